"""One view, page and fragment: render the full page, or only its partial for an htmx request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    # A history-restore request (back button after hx-push-url) needs the whole page.
    return bool(htmx) and not htmx.history_restore_request


def render_page_or_partial(
    request: HttpRequest, page: str, partial: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """`page` includes `partial`, so both render the same markup."""
    template = partial if wants_partial(request) else page
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
