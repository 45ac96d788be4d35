"""The auction: ranking and pricing as one pure function (plain values in, a decision out). SPEC §5.

No ORM, no clock, no randomness: `decide(candidates, smart_pricing=…)` is deterministic, so it can be
property-tested and replayed from a flow log.

Rules (SPEC §5):
- Excluded before ranking, each with its reason: anything the loader already excluded (`exclusion`:
  paused bid, archived, customer paused/archived/not allowed to bid, out of scope), a cap with no
  headroom (`cap_left == 0` → "capped"), a budget that cannot cover the grid minimum ("over budget"),
  funds below the grid minimum ("underfunded").
- Competing amount = the bid amount, or, when the wallet (or the remaining budget) covers less, the
  largest step-grid amount it covers (underfunded / budget-limited bids compete at that amount).
- Effective bid = competing amount × (1 − penalty%). The customer's best candidate only (one customer
  never competes with itself).
- Highest effective bid wins; ties go round robin: least recently won first (`last_won_at` None first),
  then the lowest `bid_id` for determinism.
- Price: without smart pricing the winner pays its competing amount; with smart pricing the lowest
  step-grid amount whose effective bid beats (strictly exceeds) the runner-up's effective bid, never above
  the competing amount (a tie with the runner-up pays the competing amount); a lone bidder pays the grid
  minimum. Then the tier discount: charged = price × (1 − discount%), rounded half-up to the cent.
  The penalty never changes the price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Grid:
    """The lead type's pricing at the bid's scope: amounts are minimum + k × step, up to maximum."""

    minimum: int
    step: int
    maximum: int | None = None
    fixed: bool = False  # fixed price: `minimum` is the only amount

    def floor(self, amount: int) -> int | None:
        """The largest grid amount ≤ `amount`, or None when even the minimum is more."""
        raise NotImplementedError


@dataclass(frozen=True)
class Candidate:
    bid_id: Any
    customer_id: Any
    amount: int  # the bid's amount, cents
    grid: Grid
    available: int  # the customer's spendable funds, cents
    penalty_pct: Decimal = Decimal(0)  # tier penalty (or the return rate when the tier matches it)
    discount_pct: Decimal = Decimal(0)  # tier discount, applied to the price only
    last_won_at: float | None = None  # epoch seconds of this bid's last win; None = never
    cap_left: int | None = None  # leads left under the tightest cap (bid or customer); None = no cap
    budget_left: int | None = None  # cents left under the tightest budget; None = no budget
    exclusion: str | None = None  # a reason the loader already found (paused, out of scope, …)


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    competing: int  # the amount it competes at (0 when excluded)
    effective: Decimal  # competing × (1 − penalty%)
    reason: str | None  # why excluded, or None when it competed
    rank: int | None  # 1 = winner; None when excluded


@dataclass(frozen=True)
class Decision:
    winner: Candidate | None
    price: int  # what the winner is charged (after discount), cents; 0 with no winner
    price_before_discount: int
    ranked: list[Ranked] = field(default_factory=list)  # every candidate: competitors first, by rank


def decide(candidates: list[Candidate], *, smart_pricing: bool = False) -> Decision:
    """Rank `candidates` and price the winner (see the module docstring for the rules)."""
    raise NotImplementedError
