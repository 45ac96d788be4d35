"""Customer statuses as pure functions over plain values (SPEC §3). No ORM here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Operational(StrEnum):
    ACTIVE = "Active"
    PAUSED = "Paused"
    ARCHIVED = "Archived"


class Funding(StrEnum):
    AVAILABLE = "Available"
    LIMITED = "Limited"
    EXHAUSTED = "Exhausted"


class CapStatus(StrEnum):
    UNLIMITED = "Unlimited"
    AVAILABLE = "Available"
    EXHAUSTED = "Exhausted"


class BudgetStatus(StrEnum):
    UNLIMITED = "Unlimited"
    AVAILABLE = "Available"
    LIMITED = "Limited"
    EXHAUSTED = "Exhausted"


class Display(StrEnum):
    ACTIVE = "Active"
    PAUSED = "Paused"
    INACTIVE = "Inactive"
    ARCHIVED = "Archived"


@dataclass(frozen=True)
class BidFunding:
    """What one active bid needs from the wallet: its amount, and its lead type's minimum price."""

    amount: int
    minimum: int


@dataclass(frozen=True)
class Limit:
    """One cap or budget: the limit for the period and what has been used in it."""

    limit: int
    used: int


# A budget is "Limited" (approaching its limit) once 80 % of it is spent: used / limit >= 4 / 5, compared as
# integers (used * 5 >= limit * 4) so no float rounding moves the boundary.
BUDGET_LIMITED_NUMERATOR = 4
BUDGET_LIMITED_DENOMINATOR = 5


def budget_is_limited(budget: Limit) -> bool:
    """True from 80 % of the budget spent (exact integer comparison)."""
    return budget.used * BUDGET_LIMITED_DENOMINATOR >= budget.limit * BUDGET_LIMITED_NUMERATOR


def operational_status(*, is_paused: bool, is_archived: bool) -> Operational:
    if is_archived:
        return Operational.ARCHIVED
    if is_paused:
        return Operational.PAUSED
    return Operational.ACTIVE


def funding_status(*, available: int, bids: list[BidFunding]) -> Funding:
    """Available: covers every active bid; Limited: covers at least one bid's minimum; else Exhausted.

    "Covers" is `available >= amount` (equal covers), in integer cents.

    With no active bids yet, any spendable money reads Available and an empty wallet Exhausted
    (so a new customer starts Exhausted).
    """
    if not bids:
        return Funding.AVAILABLE if available > 0 else Funding.EXHAUSTED
    if all(available >= bid.amount for bid in bids):
        return Funding.AVAILABLE
    if any(available >= bid.minimum for bid in bids):
        return Funding.LIMITED
    return Funding.EXHAUSTED


def cap_status(caps: list[Limit]) -> CapStatus:
    """Unlimited without caps; Exhausted once any cap's used count reaches its limit; else Available."""
    if not caps:
        return CapStatus.UNLIMITED
    if any(cap.used >= cap.limit for cap in caps):
        return CapStatus.EXHAUSTED
    return CapStatus.AVAILABLE


def budget_status(budgets: list[Limit]) -> BudgetStatus:
    """Unlimited without budgets; Exhausted once any is spent to its limit; Limited once any reaches 80 %."""
    if not budgets:
        return BudgetStatus.UNLIMITED
    if any(b.used >= b.limit for b in budgets):
        return BudgetStatus.EXHAUSTED
    if any(budget_is_limited(b) for b in budgets):
        return BudgetStatus.LIMITED
    return BudgetStatus.AVAILABLE


def display_status(
    *, operational: Operational, funding: Funding, cap: CapStatus, budget: BudgetStatus
) -> Display:
    """First match wins: Archived → Paused → Inactive (funding, cap or budget exhausted) → Active."""
    if operational is Operational.ARCHIVED:
        return Display.ARCHIVED
    if operational is Operational.PAUSED:
        return Display.PAUSED
    if funding is Funding.EXHAUSTED or cap is CapStatus.EXHAUSTED or budget is BudgetStatus.EXHAUSTED:
        return Display.INACTIVE
    return Display.ACTIVE
