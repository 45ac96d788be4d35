"""Every API error has one shape, mapped here once:

    {"error": {"code": "insufficient_funds", "message": "…", "fields": {"amount": ["…"]}}}

Domain errors carry their own status and code; ninja's request validation becomes 422 with field names.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from juiced.core.errors import DomainError

logger = logging.getLogger(__name__)

# Sources ninja reports in an error's location; the part after them names the field.
PARAM_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
PYDANTIC_MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "int_type": "Enter a whole number (money is in cents).",
    "int_from_float": "Enter a whole number (money is in cents).",
    "int_parsing": "Enter a whole number (money is in cents).",
    "bool_type": "Must be true or false.",
    "string_type": "Must be a string.",
}
STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method"}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "payload", "amount") → "amount"; ("query", "event", 0) → "event"; a missing body → "body"."""
    parts = [str(part) for part in loc if not isinstance(part, int)]
    if parts and parts[0] in PARAM_SOURCES:
        source, rest = parts[0], parts[1:]
        if source == "body":
            # The first element is the handler's body parameter; a missing whole body is reported as "body".
            rest = rest[1:] if len(rest) > 1 else []
            return ".".join(rest) or "body"
        return ".".join(rest) or source
    return ".".join(parts) or "request"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        message = PYDANTIC_MESSAGES.get(error.get("type", ""), error.get("msg", "Invalid value."))
        fields.setdefault(field_name(error.get("loc", ())), []).append(message)
    return fields


def register_error_handlers(api: NinjaAPI) -> None:
    """Install the one mapping from exceptions to the error body on `api`."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return respond(request, exc.status, error_body(exc.code, exc.message, exc.fields))

    @api.exception_handler(ValidationError)
    def request_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return respond(
            request, 422, error_body("invalid", "Some fields are invalid.", validation_fields(exc.errors))
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = "Send a valid API token: Authorization: Bearer jcd_..."
        response = respond(request, 401, error_body("unauthorized", message))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            # ninja raises 400 for a body that is not JSON; we report every unreadable input as 422.
            return respond(request, 422, error_body("invalid_json", "The request body is not valid JSON."))
        code = STATUS_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, error_body(code, str(exc)))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", "Not found."))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error on %s %s", request.method, request.path)
        return respond(request, 500, error_body("server_error", "Something went wrong on our side."))
