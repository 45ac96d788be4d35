"""Bid statuses and positions as pure functions over plain values (SPEC §5). No ORM, no clock.

A bid has four underlying statuses (operational, funding, cap, budget) that roll up into one display
status, first match wins: Archived → Paused → Capped → Exhausted → Not Funded → Under Funded → Limited →
Active. A bid of a paused or archived customer keeps its own display status (the bid itself is fine) but
its position is Out, because it cannot win anything until the customer is active again.

Position compares the bid with the eligible bids of OTHER customers on the same lead type whose locations
overlap its own (nationwide overlaps everything, a state bid overlaps every bid in that state, two county
bids overlap only when they name the same county). Amounts are compared as the auction does: what the bid
competes at, i.e. its amount, or less when the wallet or the remaining budget covers less (the largest
step-grid amount covered). Highest alone → Top, equal highest → Tied, lower → Under, not eligible → Out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from juiced.customers import status as customer_status


class Funding(StrEnum):
    AVAILABLE = "Available"
    UNDER_FUNDED = "Under Funded"
    NOT_FUNDED = "Not Funded"


# The same values as a customer's (SPEC §3): one set of enums for both.
Operational = customer_status.Operational
Cap = customer_status.CapStatus
Budget = customer_status.BudgetStatus


class Display(StrEnum):
    ACTIVE = "Active"
    PAUSED = "Paused"
    LIMITED = "Limited"
    UNDER_FUNDED = "Under Funded"
    NOT_FUNDED = "Not Funded"
    CAPPED = "Capped"
    EXHAUSTED = "Exhausted"
    ARCHIVED = "Archived"


class Position(StrEnum):
    TOP = "Top"
    TIED = "Tied"
    UNDER = "Under"
    OUT = "Out"


@dataclass(frozen=True)
class GridTerms:
    """The lead type's pricing at the bid's scope: amounts are minimum + k × step (fixed: minimum only)."""

    minimum: int
    step: int
    maximum: int | None = None
    fixed: bool = False

    def floor(self, amount: int) -> int | None:
        """The largest grid amount ≤ `amount`, or None when even the minimum is more."""
        if amount < self.minimum:
            return None
        if self.fixed:
            return self.minimum
        best = self.minimum + (amount - self.minimum) // self.step * self.step
        if self.maximum is not None and best > self.maximum:
            best = self.minimum + (self.maximum - self.minimum) // self.step * self.step
        return best


@dataclass(frozen=True)
class BidFacts:
    """Everything the statuses and the position of one bid depend on, as plain values."""

    bid_id: Any
    customer_id: Any
    lead_type_id: Any
    scope: str  # county, state or nationwide
    state: str
    county: str
    amount: int
    grid: GridTerms
    available: int  # the customer's spendable funds, cents
    is_paused: bool = False
    is_archived: bool = False
    customer_active: bool = True  # not paused, not archived, allowed to bid
    has_cap: bool = False  # any cap (bid or customer level) applies
    cap_left: int | None = None  # leads left under the tightest cap; None = no cap
    budget_left: int | None = None  # cents left under the tightest budget; None = no budget


@dataclass(frozen=True)
class BidStatuses:
    operational: Operational
    funding: Funding
    cap: Cap
    budget: Budget
    display: Display


@dataclass(frozen=True)
class Standing:
    """A bid's position, what it competes at, and the best competing amount of another customer."""

    position: Position
    competing: int  # 0 when not eligible
    top_other: int | None  # the highest competing amount among overlapping rivals; None = no rival


def operational_status(facts: BidFacts) -> Operational:
    if facts.is_archived:
        return Operational.ARCHIVED
    if facts.is_paused:
        return Operational.PAUSED
    return Operational.ACTIVE


def funding_status(*, available: int, amount: int, minimum: int) -> Funding:
    """Available: the wallet covers the bid; Under Funded: only the scope minimum; else Not Funded."""
    if available >= amount:
        return Funding.AVAILABLE
    if available >= minimum:
        return Funding.UNDER_FUNDED
    return Funding.NOT_FUNDED


def cap_status(*, cap_left: int | None) -> Cap:
    if cap_left is None:
        return Cap.UNLIMITED
    return Cap.EXHAUSTED if cap_left <= 0 else Cap.AVAILABLE


def budget_status(*, budget_left: int | None, amount: int, minimum: int) -> Budget:
    """Limited: what is left is below the bid amount but still covers the minimum; below that Exhausted."""
    if budget_left is None:
        return Budget.UNLIMITED
    if budget_left < minimum:
        return Budget.EXHAUSTED
    if budget_left < amount:
        return Budget.LIMITED
    return Budget.AVAILABLE


def display_status(*, operational: Operational, funding: Funding, cap: Cap, budget: Budget) -> Display:
    """First match wins: Archived → Paused → Capped → Exhausted → Not Funded → Under Funded → Limited."""
    if operational is Operational.ARCHIVED:
        return Display.ARCHIVED
    if operational is Operational.PAUSED:
        return Display.PAUSED
    if cap is Cap.EXHAUSTED:
        return Display.CAPPED
    if budget is Budget.EXHAUSTED:
        return Display.EXHAUSTED
    if funding is Funding.NOT_FUNDED:
        return Display.NOT_FUNDED
    if funding is Funding.UNDER_FUNDED:
        return Display.UNDER_FUNDED
    if budget is Budget.LIMITED:
        return Display.LIMITED
    return Display.ACTIVE


def bid_statuses(facts: BidFacts) -> BidStatuses:
    """All four underlying statuses of a bid and its display status."""
    operational = operational_status(facts)
    minimum = facts.grid.minimum
    funding = funding_status(available=facts.available, amount=facts.amount, minimum=minimum)
    cap = cap_status(cap_left=facts.cap_left)
    budget = budget_status(budget_left=facts.budget_left, amount=facts.amount, minimum=minimum)
    display = display_status(operational=operational, funding=funding, cap=cap, budget=budget)
    return BidStatuses(operational, funding, cap, budget, display)


def competing_amount(facts: BidFacts) -> int:
    """What the bid competes at now (0 when it cannot compete), like the auction: its amount, or the
    largest grid amount that both the wallet and the remaining budget cover."""
    if facts.is_archived or facts.is_paused or not facts.customer_active:
        return 0
    if facts.cap_left is not None and facts.cap_left <= 0:
        return 0
    ceiling = min(facts.amount, facts.available)
    if facts.budget_left is not None:
        ceiling = min(ceiling, facts.budget_left)
    if ceiling >= facts.amount:
        return facts.amount
    return facts.grid.floor(ceiling) or 0


def locations_overlap(a: BidFacts, b: BidFacts) -> bool:
    """Whether some lead could match both bids' locations."""
    if "nationwide" in (a.scope, b.scope):
        return True
    if a.state != b.state:
        return False
    if "state" in (a.scope, b.scope):
        return True
    return a.county.casefold() == b.county.casefold()


def standing(target: BidFacts, others: Iterable[BidFacts]) -> Standing:
    """The target's position among the overlapping bids of other customers on its lead type."""
    mine = competing_amount(target)
    top_other: int | None = None
    for other in others:
        if other.customer_id == target.customer_id or other.lead_type_id != target.lead_type_id:
            continue
        if not locations_overlap(target, other):
            continue
        theirs = competing_amount(other)
        if theirs and (top_other is None or theirs > top_other):
            top_other = theirs
    if not mine:
        return Standing(Position.OUT, 0, top_other)
    if top_other is None or mine > top_other:
        return Standing(Position.TOP, mine, top_other)
    if mine == top_other:
        return Standing(Position.TIED, mine, top_other)
    return Standing(Position.UNDER, mine, top_other)


def standings(targets: Iterable[BidFacts], pool: Iterable[BidFacts]) -> dict[Any, Standing]:
    """Standing of each target against `pool` (the pool may include the targets), by bid id."""
    by_lead_type: dict[Any, list[BidFacts]] = {}
    for facts in pool:
        by_lead_type.setdefault(facts.lead_type_id, []).append(facts)
    return {t.bid_id: standing(t, by_lead_type.get(t.lead_type_id, [])) for t in targets}
