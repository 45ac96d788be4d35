"""Juiced's public source API: POST /api/ping and POST /api/leads (filled in issue 5)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Not implemented"}, status=501)


@csrf_exempt
def leads(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Not implemented"}, status=501)
