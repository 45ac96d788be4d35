"""Juiced's public source API: POST /api/ping and POST /api/leads (plain views: this is the hot path).

The views only authenticate, time the call and turn the service's Reply into an HTTP response; the rules
live in leads/ingest.py. Answers keep Juiced's shapes: 401 `{"message": "Unauthorized"}`, 422
`{"message", "errors"}` or `{"error"}`, 429 `{"message": "Too Many Attempts."}` with Retry-After.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from juiced.leads import ingest
from juiced.leads.models import Submission
from juiced.leads.source_auth import source_authenticate

logger = logging.getLogger("juiced.leads.ingest")

JSON = "application/json"


def _json(status: int, text: str, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type=JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _handle(request: HttpRequest, kind: str, submit: Callable[..., ingest.Reply]) -> HttpResponse:
    started = time.perf_counter()
    if request.method != "POST":
        route = request.path.lstrip("/")
        message = f"The {request.method} method is not supported for route {route}. Supported methods: POST."
        return _json(405, ingest.render_json({"message": message}), {"Allow": "POST"})
    meta = request.META  # read directly: request.headers would build a dict of every header first
    source = source_authenticate(authorization=meta.get("HTTP_AUTHORIZATION", ""))
    if source is None:
        return _json(401, '{"message": "Unauthorized"}')
    partner_id = meta.get("HTTP_X_PARTNER_ID", "")
    try:
        reply = submit(source=source, body=request.body, partner_id=partner_id, started=started)
    except Exception:
        logger.exception("Source API call failed for source %s", source.public_id)
        try:
            ingest.submission_failure_record(
                source=source, kind=kind, body=request.body, partner_id=partner_id, started=started
            )
        except Exception:
            logger.exception("Could not record the failed submission")
        return _json(500, '{"message": "Server Error"}')
    return _json(reply.status, reply.content(), reply.headers)


@csrf_exempt
def ping(request: HttpRequest) -> HttpResponse:
    return _handle(request, Submission.Kind.PING, ingest.ping_submit)


@csrf_exempt
def leads(request: HttpRequest) -> HttpResponse:
    return _handle(request, Submission.Kind.POST, ingest.lead_submit)
