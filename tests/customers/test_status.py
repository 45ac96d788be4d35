"""Customer statuses (SPEC §3) as pure functions: no database."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from juiced.customers.status import (
    BidFunding,
    BudgetStatus,
    CapStatus,
    Display,
    Funding,
    Limit,
    Operational,
    budget_status,
    cap_status,
    display_status,
    funding_status,
    operational_status,
)

# --- operational ----------------------------------------------------------------------------------


def test_archived_wins_over_paused():
    assert operational_status(is_paused=True, is_archived=True) is Operational.ARCHIVED
    assert operational_status(is_paused=True, is_archived=False) is Operational.PAUSED
    assert operational_status(is_paused=False, is_archived=False) is Operational.ACTIVE


# --- funding --------------------------------------------------------------------------------------


def test_a_new_customer_with_an_empty_wallet_is_exhausted():
    assert funding_status(available=0, bids=[]) is Funding.EXHAUSTED


def test_spendable_money_without_bids_reads_available():
    assert funding_status(available=1, bids=[]) is Funding.AVAILABLE


def test_funding_available_when_it_covers_every_bid():
    bids = [BidFunding(amount=2_000, minimum=1_000), BidFunding(amount=3_000, minimum=1_500)]
    assert funding_status(available=3_000, bids=bids) is Funding.AVAILABLE


def test_funding_limited_when_it_covers_one_minimum_but_not_every_bid():
    bids = [BidFunding(amount=2_000, minimum=1_000), BidFunding(amount=3_000, minimum=1_500)]
    assert funding_status(available=1_000, bids=bids) is Funding.LIMITED
    assert funding_status(available=2_999, bids=bids) is Funding.LIMITED


def test_funding_exhausted_when_it_covers_no_minimum():
    bids = [BidFunding(amount=2_000, minimum=1_000), BidFunding(amount=3_000, minimum=1_500)]
    assert funding_status(available=999, bids=bids) is Funding.EXHAUSTED


# --- caps and budgets -----------------------------------------------------------------------------


def test_no_caps_is_unlimited_and_a_reached_cap_is_exhausted():
    assert cap_status([]) is CapStatus.UNLIMITED
    assert cap_status([Limit(limit=10, used=9)]) is CapStatus.AVAILABLE
    assert cap_status([Limit(limit=10, used=9), Limit(limit=50, used=50)]) is CapStatus.EXHAUSTED


def test_budget_is_limited_from_eighty_percent_and_exhausted_at_the_limit():
    assert budget_status([]) is BudgetStatus.UNLIMITED
    assert budget_status([Limit(limit=10_000, used=7_999)]) is BudgetStatus.AVAILABLE
    assert budget_status([Limit(limit=10_000, used=8_000)]) is BudgetStatus.LIMITED
    assert budget_status([Limit(limit=10_000, used=10_000)]) is BudgetStatus.EXHAUSTED
    assert budget_status([Limit(limit=10_000, used=0), Limit(limit=100, used=150)]) is BudgetStatus.EXHAUSTED


# --- display --------------------------------------------------------------------------------------


def _display(operational=Operational.ACTIVE, funding=Funding.AVAILABLE, cap=CapStatus.UNLIMITED, budget=None):
    return display_status(
        operational=operational, funding=funding, cap=cap, budget=budget or BudgetStatus.UNLIMITED
    )


def test_display_first_match_archived_then_paused_then_inactive_then_active():
    exhausted = dict(funding=Funding.EXHAUSTED, cap=CapStatus.EXHAUSTED, budget=BudgetStatus.EXHAUSTED)
    assert _display(Operational.ARCHIVED, **exhausted) is Display.ARCHIVED
    assert _display(Operational.PAUSED, **exhausted) is Display.PAUSED
    assert _display(Operational.ACTIVE, **exhausted) is Display.INACTIVE
    assert _display(Operational.ACTIVE) is Display.ACTIVE


def test_any_exhausted_dimension_makes_an_active_customer_inactive():
    assert _display(funding=Funding.EXHAUSTED) is Display.INACTIVE
    assert _display(cap=CapStatus.EXHAUSTED) is Display.INACTIVE
    assert _display(budget=BudgetStatus.EXHAUSTED) is Display.INACTIVE


def test_limited_funding_or_budget_still_reads_active():
    assert _display(funding=Funding.LIMITED, budget=BudgetStatus.LIMITED) is Display.ACTIVE


@given(
    operational=st.sampled_from(Operational),
    funding=st.sampled_from(Funding),
    cap=st.sampled_from(CapStatus),
    budget=st.sampled_from(BudgetStatus),
)
def test_display_status_follows_the_first_match_rule_for_every_combination(operational, funding, cap, budget):
    shown = display_status(operational=operational, funding=funding, cap=cap, budget=budget)
    exhausted = funding is Funding.EXHAUSTED or cap is CapStatus.EXHAUSTED or budget is BudgetStatus.EXHAUSTED
    if operational is Operational.ARCHIVED:
        assert shown is Display.ARCHIVED
    elif operational is Operational.PAUSED:
        assert shown is Display.PAUSED
    else:
        assert shown is (Display.INACTIVE if exhausted else Display.ACTIVE)


limits = st.builds(Limit, limit=st.integers(1, 10_000), used=st.integers(0, 20_000))


@given(
    available=st.integers(-1_000, 50_000),
    bids=st.lists(
        st.integers(1, 10_000).flatmap(
            lambda m: st.builds(BidFunding, amount=st.integers(m, 20_000), minimum=st.just(m))
        ),
        max_size=5,
    ),
)
def test_funding_grows_monotonically_with_available_money(available, bids):
    order = [Funding.EXHAUSTED, Funding.LIMITED, Funding.AVAILABLE]
    less = funding_status(available=available, bids=bids)
    more = funding_status(available=available + 1_000, bids=bids)
    assert order.index(more) >= order.index(less)


@given(caps=st.lists(limits, max_size=4), budgets=st.lists(limits, max_size=4))
def test_exhausted_exactly_when_some_limit_is_used_up(caps, budgets):
    assert (cap_status(caps) is CapStatus.EXHAUSTED) == any(c.used >= c.limit for c in caps)
    assert (budget_status(budgets) is BudgetStatus.EXHAUSTED) == any(b.used >= b.limit for b in budgets)


# --- boundaries (docs/ledger-and-customers.md, "Status rules") ------------------------------------------


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (999, Funding.EXHAUSTED),  # just below the smallest minimum
        (1_000, Funding.LIMITED),  # exactly the smallest minimum
        (1_001, Funding.LIMITED),
        (2_999, Funding.LIMITED),  # just below the largest bid
        (3_000, Funding.AVAILABLE),  # exactly the largest bid: covered
        (3_001, Funding.AVAILABLE),
    ],
)
def test_funding_boundaries(available, expected):
    bids = [BidFunding(amount=2_000, minimum=1_000), BidFunding(amount=3_000, minimum=1_500)]
    assert funding_status(available=available, bids=bids) is expected


@pytest.mark.parametrize(
    ("available", "expected"), [(-1, Funding.EXHAUSTED), (0, Funding.EXHAUSTED), (1, Funding.AVAILABLE)]
)
def test_funding_boundaries_without_bids(available, expected):
    assert funding_status(available=available, bids=[]) is expected


@pytest.mark.parametrize(
    ("limit", "used", "expected"),
    [
        (10_000, 7_999, BudgetStatus.AVAILABLE),  # just below 80 %
        (10_000, 8_000, BudgetStatus.LIMITED),  # exactly 80 %
        (10_000, 8_001, BudgetStatus.LIMITED),
        (10_000, 9_999, BudgetStatus.LIMITED),  # just below the limit
        (10_000, 10_000, BudgetStatus.EXHAUSTED),  # exactly the limit
        (10_000, 10_001, BudgetStatus.EXHAUSTED),
        # 80 % of 1,001 cents is 800.8: 800 is below, 801 is at or above.
        (1_001, 800, BudgetStatus.AVAILABLE),
        (1_001, 801, BudgetStatus.LIMITED),
        # Large budgets where a float product would round: 80 % of 2**53 + 5 cents.
        (2**53 + 5, (4 * (2**53 + 5)) // 5, BudgetStatus.AVAILABLE),
        (2**53 + 5, (4 * (2**53 + 5)) // 5 + 1, BudgetStatus.LIMITED),
    ],
)
def test_budget_boundaries(limit, used, expected):
    assert budget_status([Limit(limit=limit, used=used)]) is expected


@pytest.mark.parametrize(
    ("used", "expected"), [(9, CapStatus.AVAILABLE), (10, CapStatus.EXHAUSTED), (11, CapStatus.EXHAUSTED)]
)
def test_cap_boundaries(used, expected):
    assert cap_status([Limit(limit=10, used=used)]) is expected


@given(limit=st.integers(1, 10**15), used=st.integers(0, 2 * 10**15))
def test_budget_is_limited_exactly_from_four_fifths_in_exact_arithmetic(limit, used):
    share = Fraction(used, limit)
    expected = (
        BudgetStatus.EXHAUSTED
        if share >= 1
        else BudgetStatus.LIMITED
        if share >= Fraction(4, 5)
        else BudgetStatus.AVAILABLE
    )
    assert budget_status([Limit(limit=limit, used=used)]) is expected


@given(
    available=st.integers(-(10**12), 10**12),
    bids=st.lists(
        st.integers(1, 10**11).flatmap(
            lambda m: st.builds(BidFunding, amount=st.integers(m, 10**12), minimum=st.just(m))
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_funding_matches_its_definition(available, bids):
    if all(available >= bid.amount for bid in bids):
        expected = Funding.AVAILABLE
    elif any(available >= bid.minimum for bid in bids):
        expected = Funding.LIMITED
    else:
        expected = Funding.EXHAUSTED
    assert funding_status(available=available, bids=bids) is expected


def test_status_module_uses_no_floats():
    import ast
    import inspect

    from juiced.customers import status

    tree = ast.parse(inspect.getsource(status))
    floats = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, float)]
    assert floats == []
