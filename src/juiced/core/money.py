"""Money is integer minor units (cents). One place parses and formats it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CURRENCY_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "EUR": "€", "GBP": "£", "ZAR": "R", "KES": "KSh "}


class AmountError(ValueError):
    """A human-entered amount that is not a valid money value."""


def parse_amount(text: str | int | Decimal) -> int:
    """Turn "1,234.56", "12" or Decimal("0.5") into cents; refuse fractions of a cent and non-numbers."""
    if isinstance(text, bool):
        raise AmountError("Enter an amount such as 25 or 25.50.")
    if isinstance(text, int):
        return text * 100
    raw = str(text).strip().replace(",", "").lstrip("$€£")
    if not raw:
        raise AmountError("Enter an amount.")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise AmountError("Enter an amount such as 25 or 25.50.") from None
    if not value.is_finite():
        raise AmountError("Enter an amount such as 25 or 25.50.")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise AmountError("Use at most two decimal places.")
    return int(cents)


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_money(cents: int, currency: str = "USD") -> str:
    """Format cents for people: -1234 USD → "-$12.34"."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency.upper() + " ")
    sign = "-" if cents < 0 else ""
    return f"{sign}{symbol}{cents_to_decimal(abs(cents)):,.2f}"
