"""The fee rule, pure: a percentage of the deposit, rounded half up to the cent, charged on top."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def fee_for(*, amount: int, percent: Decimal, waived: bool = False) -> int:
    """Cents of fee on a deposit of `amount` cents at `percent` (0–100); 0 when waived."""
    if waived or not percent:
        return 0
    return int((Decimal(amount) * percent / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
