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
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

# Why a candidate did not compete (the loader adds its own: paused, out of scope, ineligible customer…).
CAPPED = "capped"
OVER_BUDGET = "over budget"
UNDERFUNDED = "underfunded"
BELOW_MINIMUM = "below the minimum"
OUTRANKED_BY_OWN_BID = "customer's other bid ranks higher"
HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Grid:
    """The lead type's pricing at the bid's scope: amounts are minimum + k × step, up to maximum."""

    minimum: int
    step: int
    maximum: int | None = None
    fixed: bool = False  # fixed price: `minimum` is the only amount

    def floor(self, amount: int) -> int | None:
        """The largest grid amount ≤ `amount`, or None when even the minimum is more."""
        if amount < self.minimum:
            return None
        if self.fixed:
            return self.minimum
        top = amount if self.maximum is None else min(amount, max(self.maximum, self.minimum))
        return self.minimum + (top - self.minimum) // self.step * self.step

    def lowest_beating(self, threshold: Decimal, factor: Decimal) -> int:
        """The smallest grid amount `a` (≥ minimum) with a × factor > threshold, ignoring the maximum."""
        if self.fixed or factor <= 0:
            return self.minimum
        steps = 0
        needed = threshold / factor  # a must strictly exceed this
        if needed >= self.minimum:
            steps = int((needed - self.minimum) // self.step) + 1
        amount = self.minimum + steps * self.step
        # Decimal division can round in the last place: settle on the exact boundary.
        while steps > 0 and (amount - self.step) * factor > threshold:
            steps, amount = steps - 1, amount - self.step
        while amount * factor <= threshold:
            steps, amount = steps + 1, amount + self.step
        return amount


@dataclass(frozen=True, slots=True)
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


class Ranked(NamedTuple):
    """A candidate's outcome (a named tuple: decide builds one per bid, a thousand per lead)."""

    candidate: Candidate
    competing: int  # the amount it competes at (0 when excluded)
    effective: Decimal | int  # competing × (1 − penalty%): the int competing amount when no penalty
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
    # Hot path (one call per lead, every bid): no Decimal unless a penalty is set (an unpenalised
    # effective bid is the competing amount itself, an int that compares exactly with Decimals), one
    # penalty factor per distinct penalty, one sort over precomputed keys.
    excluded: list[Ranked] = []
    scored: list[tuple[tuple[Any, ...], Candidate, int, Decimal | int]] = []
    factors: dict[Decimal, Decimal] = {}
    for candidate in candidates:
        reason, grid, amount, available = (
            candidate.exclusion,
            candidate.grid,
            candidate.amount,
            candidate.available,
        )
        cap_left, budget_left = candidate.cap_left, candidate.budget_left
        # _competing_amount, inlined (a property test checks the two agree).
        if not reason:
            minimum = grid.minimum
            if cap_left is not None and cap_left <= 0:
                reason = CAPPED
            elif budget_left is not None and budget_left < minimum:
                reason = OVER_BUDGET
            elif available < minimum:
                reason = UNDERFUNDED
            else:
                ceiling = amount if amount < available else available
                if budget_left is not None and budget_left < ceiling:
                    ceiling = budget_left
                if ceiling < minimum:
                    reason = BELOW_MINIMUM
                elif grid.fixed:
                    amount = minimum
                else:
                    maximum = grid.maximum
                    if maximum is not None and ceiling > maximum:
                        ceiling = maximum if maximum > minimum else minimum
                    amount = minimum + (ceiling - minimum) // grid.step * grid.step
        if reason:
            excluded.append(Ranked(candidate, 0, ZERO, reason, None))
            continue
        effective: Decimal | int = amount
        penalty = candidate.penalty_pct
        if penalty:
            factor = factors.get(penalty)
            if factor is None:
                factor = factors[penalty] = penalty_factor(penalty)
            effective = amount * factor
        won = candidate.last_won_at
        scored.append(
            ((-effective, won is not None, won or 0.0, candidate.bid_id), candidate, amount, effective)
        )
    scored.sort(key=_first)
    ranked: list[Ranked] = []
    seen_customers: set[Any] = set()
    for _key, candidate, amount, effective in scored:
        customer_id = candidate.customer_id
        if customer_id in seen_customers:
            excluded.append(Ranked(candidate, 0, ZERO, OUTRANKED_BY_OWN_BID, None))
            continue
        seen_customers.add(customer_id)
        ranked.append(Ranked(candidate, amount, effective, None, len(ranked) + 1))
    if not ranked:
        return Decision(winner=None, price=0, price_before_discount=0, ranked=excluded)
    top = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    before = _price(top, runner_up, smart_pricing=smart_pricing)
    charged = discounted(before, top.candidate.discount_pct) if top.candidate.discount_pct else before
    return Decision(
        winner=top.candidate, price=charged, price_before_discount=before, ranked=ranked + excluded
    )


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


def penalty_factor(penalty_pct: Decimal) -> Decimal:
    """1 − penalty%, never below zero."""
    return max(Decimal(0), 1 - Decimal(penalty_pct) / HUNDRED)


def discounted(price: int, discount_pct: Decimal) -> int:
    """price × (1 − discount%), rounded half-up to the cent (never negative)."""
    factor = max(Decimal(0), 1 - Decimal(discount_pct) / HUNDRED)
    return int((price * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _competing_amount(candidate: Candidate) -> tuple[str | None, int]:
    """(exclusion reason, 0) or (None, the grid amount the candidate competes at)."""
    if candidate.exclusion:
        return candidate.exclusion, 0
    grid = candidate.grid
    if candidate.cap_left is not None and candidate.cap_left <= 0:
        return CAPPED, 0
    if candidate.budget_left is not None and candidate.budget_left < grid.minimum:
        return OVER_BUDGET, 0
    if candidate.available < grid.minimum:
        return UNDERFUNDED, 0
    ceiling = min(candidate.amount, candidate.available)
    if candidate.budget_left is not None:
        ceiling = min(ceiling, candidate.budget_left)
    amount = grid.floor(ceiling)
    if amount is None:  # the bid is below the grid minimum (pricing raised after it was placed)
        return BELOW_MINIMUM, 0
    return None, amount


def _price(top: Ranked, runner_up: Ranked | None, *, smart_pricing: bool) -> int:
    grid = top.candidate.grid
    if runner_up is None:
        return grid.minimum
    if not smart_pricing:
        return top.competing
    beating = grid.lowest_beating(runner_up.effective, penalty_factor(top.candidate.penalty_pct))
    return max(grid.minimum, min(beating, top.competing))
