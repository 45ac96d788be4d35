"""Template filters for the vending pages: permissions, tokens in groups, energy and tariff units."""

from __future__ import annotations

import uuid
from typing import Any

from django import template

from juiced.core.money import format_money

register = template.Library()


@register.filter
def can(access: Any, permission: str) -> bool:
    """{% if request.access|can:"vending.sell" %}: the role table decides (no access → False)."""
    return bool(access) and access.can(permission)


@register.filter
def token_groups(token: str) -> str:
    """'123456789' → '123 456 789': groups of three, as a customer types them on a keypad."""
    digits = str(token or "").replace(" ", "")
    return " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))


@register.filter
def kwh(wh: int | None) -> str:
    """Energy in Wh shown as kWh with one decimal (sales are rounded to 0.1 kWh): 12300 → '12.3 kWh'."""
    if wh is None or wh == "":
        return ""
    sign = "-" if int(wh) < 0 else ""
    tenths = abs(int(wh)) // 100
    return f"{sign}{tenths // 10:,}.{tenths % 10} kWh"


@register.filter
def rate(millicents: int | None, currency: str = "USD") -> str:
    """A tariff rate in millicents per kWh shown in cents per kWh: 23450 → '23.45 ¢/kWh'."""
    if millicents is None or millicents == "":
        return ""
    return f"{int(millicents) / 1000:,.3f}".rstrip("0").rstrip(".") + " ¢/kWh"


@register.filter
def percent(bp: int | None) -> str:
    """Basis points as a percentage: 1500 → '15%', 1250 → '12.5%'."""
    if bp is None or bp == "":
        return ""
    return f"{int(bp) / 100:,.2f}".rstrip("0").rstrip(".") + "%"


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return (mapping or {}).get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def idempotency_key() -> str:
    """A fresh key for a money form, rendered once with the page: posting that form twice (a double
    click, a refresh) replays the first entry instead of moving the money again."""
    return f"web-{uuid.uuid4().hex}"


# How a changed field reads in the Synchronize preview and the Audit tab (stored in the model's units).
FIELD_LABELS = {
    "tariff": "Tariff",
    "arrears_recovery_bp": "Arrears recovery",
    "arrears_balance": "Arrears",
    "wallet_balance": "Wallet",
    "deposit_balance": "Deposit",
    "minimum_purchase": "Minimum purchase",
    "maximum_purchase": "Maximum purchase",
    "discount_bp": "Discount",
}
MONEY_FIELDS = {
    "arrears_balance",
    "wallet_balance",
    "deposit_balance",
    "minimum_purchase",
    "maximum_purchase",
}


@register.filter
def field_label(field: str) -> str:
    """'arrears_recovery_bp' → 'Arrears recovery' (units are shown with the value, not in the name)."""
    return FIELD_LABELS.get(field) or str(field).replace("_", " ").capitalize()


@register.simple_tag
def change_value(field: str, value: Any, currency: str = "USD") -> str:
    """An old or new value in the unit a person types: basis points as %, cents as money, none as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int) and str(field).endswith("_bp"):
        return percent(value)
    if isinstance(value, int) and field in MONEY_FIELDS:
        return format_money(value, currency)
    return str(value)


@register.filter
def token_type_label(token_type: str) -> str:
    """'ADD_TIME' → 'Add credit', as the meter's token list names it."""
    from juiced.vending.models import TokenType

    try:
        return TokenType(token_type).label
    except ValueError:
        return str(token_type)
