"""Template filters for the dashboard and portal: money, status badges, audit values."""

from __future__ import annotations

from typing import Any

from django import template

from juiced.core.money import format_money

register = template.Library()

BADGE_TONES = {
    "active": "ok",
    "available": "ok",
    "unlimited": "muted",
    "paused": "warn",
    "limited": "warn",
    "inactive": "bad",
    "exhausted": "bad",
    "archived": "muted",
    "pending": "warn",
    "expired": "muted",
}


@register.filter
def money(cents: int | None, currency: str = "USD") -> str:
    """12345|money:"USD" → "$123.45"; an empty value (no limit) stays empty."""
    if cents is None or cents == "":
        return ""
    return format_money(int(cents), currency or "USD")


@register.filter
def signed_money(cents: int, currency: str = "USD") -> str:
    """Like `money`, with a plus sign on credits so the direction of a transaction is plain."""
    text = format_money(int(cents), currency or "USD")
    return f"+{text}" if cents > 0 else text


@register.filter
def badge_tone(status: Any) -> str:
    return BADGE_TONES.get(str(status).lower(), "muted")


@register.filter
def audit_value(value: Any) -> str:
    """An old/new value in the history: empty values read as a dash, booleans as Yes/No."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)
