"""POST /webhooks/stripe/<tenant-slug>/: Stripe's signed events for one tenant (no login, no CSRF).

Answers 200 once the event is applied (or was already), 400 for a bad signature (nothing is applied),
404 for an unknown tenant. Stripe retries anything else, and a replayed event id is ignored.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from juiced.payments.services import SignatureInvalid, stripe_event_receive
from juiced.tenants.models import Tenant


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    tenant = Tenant.objects.filter(slug=tenant_slug).first()
    if tenant is None:
        return JsonResponse({"error": {"code": "not_found", "message": "No such tenant."}}, status=404)
    try:
        outcome = stripe_event_receive(
            tenant=tenant, payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except SignatureInvalid as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=400)
    return JsonResponse({"received": True, "outcome": outcome})
