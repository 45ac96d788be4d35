"""The auction's rules (SPEC §5) as properties of the pure `decide`, plus one example per rule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from juiced.leads.auction import (
    CAPPED,
    OUTRANKED_BY_OWN_BID,
    OVER_BUDGET,
    UNDERFUNDED,
    Candidate,
    Grid,
    decide,
    penalty_factor,
)

SETTINGS = settings(max_examples=200, deadline=None)

grids = st.builds(
    lambda minimum, step, fixed: Grid(minimum=minimum, step=step, maximum=minimum + 200 * step, fixed=fixed),
    st.integers(100, 5000),
    st.sampled_from([1, 25, 50, 100, 500]),
    st.sampled_from([False, False, False, True]),
)
percents = st.sampled_from(
    [Decimal(0), Decimal(0), Decimal("5"), Decimal("12.5"), Decimal("33.33"), Decimal(50)]
)


@st.composite
def candidate_lists(draw, *, same_grid: bool = False, max_size: int = 6):
    grid = draw(grids)
    count = draw(st.integers(0, max_size))
    result = []
    for index in range(count):
        g = grid if same_grid else draw(grids)
        amount = g.minimum + draw(st.integers(0, 150)) * (0 if g.fixed else g.step)
        result.append(
            Candidate(
                bid_id=index + 1,
                customer_id=draw(st.integers(1, max(1, count))),
                amount=amount,
                grid=g,
                available=draw(st.integers(0, amount * 2)),
                penalty_pct=draw(percents),
                discount_pct=draw(percents),
                last_won_at=draw(st.none() | st.floats(0, 1e6)),
                cap_left=draw(st.none() | st.integers(0, 3)),
                budget_left=draw(st.none() | st.integers(0, amount * 2)),
                exclusion=draw(st.none() | st.none() | st.sampled_from(["paused", "out of scope"])),
            )
        )
    return result


@SETTINGS
@given(candidate_lists(), st.booleans())
def test_winner_has_the_highest_effective_bid_and_a_bounded_price(candidates, smart):
    decision = decide(candidates, smart_pricing=smart)
    ranked = [r for r in decision.ranked if r.rank is not None]
    if decision.winner is None:
        assert not ranked and decision.price == 0
        return
    top = ranked[0]
    assert top.candidate == decision.winner and top.rank == 1
    assert all(top.effective >= r.effective for r in ranked)
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    winner = decision.winner
    assert winner.grid.minimum <= decision.price_before_discount <= top.competing <= winner.amount
    assert decision.price <= winner.available
    if winner.budget_left is not None:
        assert decision.price <= winner.budget_left
    expected = (decision.price_before_discount * (1 - winner.discount_pct / 100)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    assert decision.price == int(expected)


@SETTINGS
@given(candidate_lists(), st.booleans())
def test_exclusions_never_win_and_carry_their_reason(candidates, smart):
    decision = decide(candidates, smart_pricing=smart)
    assert len(decision.ranked) == len(candidates)
    assert {id(r.candidate) for r in decision.ranked} == {id(c) for c in candidates}
    for entry in decision.ranked:
        c = entry.candidate
        if entry.rank is None:
            assert entry.reason and entry.competing == 0
            assert c != decision.winner or decision.winner is None or c.bid_id != decision.winner.bid_id
        if c.exclusion:
            assert entry.reason == c.exclusion and entry.rank is None
        elif c.cap_left == 0:
            assert entry.reason == CAPPED
        elif c.budget_left is not None and c.budget_left < c.grid.minimum:
            assert entry.reason == OVER_BUDGET
        elif c.available < c.grid.minimum:
            assert entry.reason == UNDERFUNDED
        else:
            assert entry.rank is not None or entry.reason == OUTRANKED_BY_OWN_BID


@SETTINGS
@given(candidate_lists(), st.booleans())
def test_one_customer_never_occupies_two_ranks(candidates, smart):
    ranked = [r for r in decide(candidates, smart_pricing=smart).ranked if r.rank is not None]
    customers = [r.candidate.customer_id for r in ranked]
    assert len(customers) == len(set(customers))


@SETTINGS
@given(candidate_lists(), st.booleans(), st.sampled_from([Decimal(0), Decimal(10), Decimal(40)]))
def test_the_penalty_never_changes_the_price(candidates, smart, penalty):
    decision = decide(candidates, smart_pricing=smart)
    if decision.winner is None or len([r for r in decision.ranked if r.rank]) != 1:
        return
    # A lone bidder: any penalty ranks it the same and it pays the same.
    from dataclasses import replace

    penalised = [replace(c, penalty_pct=penalty) if c is decision.winner else c for c in candidates]
    again = decide(penalised, smart_pricing=smart)
    assert again.winner is not None and again.winner.bid_id == decision.winner.bid_id
    assert again.price == decision.price


@SETTINGS
@given(candidate_lists(same_grid=True), st.booleans())
def test_a_lone_bidder_pays_the_grid_minimum(candidates, smart):
    decision = decide(candidates[:1], smart_pricing=smart)
    if decision.winner is not None:
        assert decision.price_before_discount == decision.winner.grid.minimum


@SETTINGS
@given(candidate_lists(same_grid=True, max_size=6))
def test_smart_price_is_the_lowest_grid_amount_beating_the_runner_up(candidates):
    decision = decide(candidates, smart_pricing=True)
    ranked = [r for r in decision.ranked if r.rank is not None]
    if len(ranked) < 2:
        return
    top, second = ranked[0], ranked[1]
    grid, factor = top.candidate.grid, penalty_factor(top.candidate.penalty_pct)
    price = decision.price_before_discount
    if top.effective == second.effective or grid.fixed:
        assert price == (top.competing if not grid.fixed else grid.minimum)
        return
    assert price * factor > second.effective or price == top.competing
    lower = price - grid.step
    if lower >= grid.minimum and price < top.competing:
        assert not lower * factor > second.effective


@SETTINGS
@given(st.integers(100, 3000), st.sampled_from([1, 50, 100]), st.integers(0, 50), st.integers(0, 100_000))
def test_underfunded_bid_competes_at_the_largest_grid_amount_its_funds_cover(minimum, step, steps, available):
    grid = Grid(minimum=minimum, step=step)
    amount = minimum + steps * step
    rival = Candidate(bid_id=2, customer_id=2, amount=minimum, grid=grid, available=10**9)
    decision = decide([Candidate(1, 1, amount, grid, available), rival])
    entry = next(r for r in decision.ranked if r.candidate.bid_id == 1)
    if available < minimum:
        assert entry.reason == UNDERFUNDED
    else:
        assert entry.competing == grid.floor(min(amount, available))
        assert entry.competing <= available and entry.competing + step > min(amount, available)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5), st.integers(10, 60), st.integers(1000, 5000))
def test_tied_bidders_share_wins_within_one(bidders, leads, amount):
    grid = Grid(minimum=500, step=100)
    last_won: dict[int, float | None] = dict.fromkeys(range(1, bidders + 1))
    wins = dict.fromkeys(last_won, 0)
    for clock in range(leads):
        candidates = [Candidate(i, i, amount, grid, 10**9, last_won_at=last_won[i]) for i in last_won]
        winner = decide(candidates).winner
        assert winner is not None
        wins[winner.bid_id] += 1
        last_won[winner.bid_id] = float(clock)
    assert max(wins.values()) - min(wins.values()) <= 1


# --- examples named after the rules -------------------------------------------------------------------


GRID = Grid(minimum=1000, step=1000)


def test_lone_bidder_pays_minimum():
    decision = decide([Candidate(1, 1, 10_000, GRID, 50_000)])
    assert (decision.price, decision.winner.bid_id) == (1000, 1)


def test_highest_bid_pays_its_bid_without_smart_pricing():
    decision = decide([Candidate(1, 1, 10_000, GRID, 50_000), Candidate(2, 2, 3000, GRID, 50_000)])
    assert (decision.winner.bid_id, decision.price) == (1, 10_000)


def test_smart_pricing_pays_one_step_above_the_runner_up():
    # Juiced's documented example: min $10, step $10, $100 vs $10 → the winner pays $20.
    decision = decide(
        [Candidate(1, 1, 10_000, GRID, 50_000), Candidate(2, 2, 1000, GRID, 50_000)], smart_pricing=True
    )
    assert decision.price == 2000


def test_smart_pricing_tie_pays_the_competing_amount():
    decision = decide(
        [Candidate(1, 1, 5000, GRID, 50_000), Candidate(2, 2, 5000, GRID, 50_000)], smart_pricing=True
    )
    assert decision.price == 5000


def test_penalty_lowers_rank_but_not_price():
    penalised = Candidate(1, 1, 5000, GRID, 50_000, penalty_pct=Decimal(50))  # effective 2500
    rival = Candidate(2, 2, 3000, GRID, 50_000)
    decision = decide([penalised, rival])
    assert decision.winner.bid_id == 2 and decision.price == 3000
    alone = decide([penalised, Candidate(3, 3, 2000, GRID, 50_000)])
    assert alone.winner.bid_id == 1 and alone.price == 5000  # pays its bid, not bid × (1 − penalty)


def test_discount_applies_to_the_price_half_up():
    decision = decide(
        [Candidate(1, 1, 5000, Grid(1000, 1), 50_000, discount_pct=Decimal("12.5")),
         Candidate(2, 2, 4999, Grid(1000, 1), 50_000)],
    )  # fmt: skip
    assert (decision.price_before_discount, decision.price) == (5000, 4375)


def test_ties_go_to_the_least_recently_assigned():
    recent = Candidate(1, 1, 5000, GRID, 50_000, last_won_at=200.0)
    older = Candidate(2, 2, 5000, GRID, 50_000, last_won_at=100.0)
    never = Candidate(3, 3, 5000, GRID, 50_000)
    assert decide([recent, older]).winner.bid_id == 2
    assert decide([recent, older, never]).winner.bid_id == 3


def test_underfunded_bid_competes_at_what_the_wallet_covers():
    decision = decide([Candidate(1, 1, 9000, GRID, 4500), Candidate(2, 2, 3000, GRID, 50_000)])
    first = decision.ranked[0]
    assert (first.candidate.bid_id, first.competing, decision.price) == (1, 4000, 4000)


def test_funds_below_minimum_is_underfunded():
    decision = decide([Candidate(1, 1, 9000, GRID, 999)])
    assert decision.winner is None and decision.ranked[0].reason == UNDERFUNDED


def test_caps_and_budgets_exclude():
    decision = decide(
        [
            Candidate(1, 1, 9000, GRID, 50_000, cap_left=0),
            Candidate(2, 2, 9000, GRID, 50_000, budget_left=999),
        ]
    )
    assert decision.winner is None
    assert [r.reason for r in decision.ranked] == [CAPPED, OVER_BUDGET]


def test_budget_limits_the_competing_amount():
    decision = decide(
        [Candidate(1, 1, 9000, GRID, 50_000, budget_left=2500), Candidate(2, 2, 1000, GRID, 50_000)]
    )
    assert decision.ranked[0].competing == 2000 and decision.price == 2000


def test_customer_competes_with_its_best_bid_only():
    decision = decide([Candidate(1, 1, 3000, GRID, 50_000), Candidate(2, 1, 5000, GRID, 50_000)])
    assert decision.winner.bid_id == 2 and decision.price == 1000  # alone once its weaker bid steps aside
    assert decision.ranked[1].reason == OUTRANKED_BY_OWN_BID


def test_grid_floor():
    grid = Grid(minimum=1000, step=250, maximum=2000)
    assert [grid.floor(a) for a in (999, 1000, 1249, 1250, 5000)] == [None, 1000, 1000, 1250, 2000]
    assert Grid(minimum=1500, step=100, fixed=True).floor(9999) == 1500
