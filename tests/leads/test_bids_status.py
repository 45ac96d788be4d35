"""Bid statuses and positions: pure functions over plain values (bid_status.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from juiced.leads import bid_status as bs

GRID = bs.GridTerms(minimum=1000, step=100, maximum=10_000)


def facts(
    bid_id=1, customer_id=1, amount=2500, available=100_000, scope="nationwide", state="", county="", **kw
):
    return bs.BidFacts(
        bid_id=bid_id,
        customer_id=customer_id,
        lead_type_id=1,
        scope=scope,
        state=state,
        county=county,
        amount=amount,
        grid=kw.pop("grid", GRID),
        available=available,
        **kw,
    )


def display(**kw):
    return bs.bid_statuses(facts(**kw)).display


def test_display_status_first_match_wins():
    assert display(is_archived=True, is_paused=True, cap_left=0) == bs.Display.ARCHIVED
    assert display(is_paused=True, cap_left=0) == bs.Display.PAUSED
    assert display(cap_left=0, budget_left=0, available=0) == bs.Display.CAPPED
    assert display(budget_left=500, available=0) == bs.Display.EXHAUSTED
    assert display(available=999, budget_left=1500) == bs.Display.NOT_FUNDED
    assert display(available=1500, budget_left=1500) == bs.Display.UNDER_FUNDED
    assert display(budget_left=1500) == bs.Display.LIMITED
    assert display() == bs.Display.ACTIVE


def test_underlying_statuses():
    s = bs.bid_statuses(facts(available=1200, cap_left=3, budget_left=2000))
    assert (s.operational, s.funding, s.cap, s.budget) == (
        bs.Operational.ACTIVE,
        bs.Funding.UNDER_FUNDED,
        bs.Cap.AVAILABLE,
        bs.Budget.LIMITED,
    )
    s = bs.bid_statuses(facts())
    assert (s.funding, s.cap, s.budget) == (bs.Funding.AVAILABLE, bs.Cap.UNLIMITED, bs.Budget.UNLIMITED)


def test_underfunded_bid_competes_at_what_the_wallet_covers_on_the_grid():
    assert bs.competing_amount(facts(amount=2500, available=1750)) == 1700
    assert bs.competing_amount(facts(amount=2500, available=900)) == 0
    assert bs.competing_amount(facts(amount=2500, budget_left=2050)) == 2000


def test_highest_alone_is_top_equal_is_tied_lower_is_under():
    a, b, c = facts(1, 1, 3000), facts(2, 2, 3000), facts(3, 3, 2000)
    result = bs.standings([a, b, c], [a, b, c])
    assert [result[i].position for i in (1, 2, 3)] == [bs.Position.TIED, bs.Position.TIED, bs.Position.UNDER]
    result = bs.standings([a], [a, c])
    assert result[1].position == bs.Position.TOP and result[1].top_other == 2000


def test_own_bids_never_compete_and_a_lone_bid_is_top():
    mine, also_mine = facts(1, 1, 2000), facts(2, 1, 5000)
    assert bs.standings([mine], [mine, also_mine])[1].position == bs.Position.TOP


def test_paused_customer_or_bid_is_out():
    assert bs.standing(facts(customer_active=False), []).position == bs.Position.OUT
    assert bs.standing(facts(is_paused=True), []).position == bs.Position.OUT
    assert bs.standing(facts(available=0), []).position == bs.Position.OUT


def test_underfunded_rival_competes_at_its_covered_amount():
    me = facts(1, 1, 2500)
    rival = facts(2, 2, 5000, available=2000)
    assert bs.standing(me, [rival]).position == bs.Position.TOP


def test_location_overlap():
    ca_state = facts(scope="state", state="CA")
    la = facts(scope="county", state="CA", county="Los Angeles County")
    orange = facts(scope="county", state="CA", county="Orange County")
    tx = facts(scope="state", state="TX")
    nation = facts()
    assert bs.locations_overlap(nation, la) and bs.locations_overlap(ca_state, la)
    assert not bs.locations_overlap(la, orange) and not bs.locations_overlap(ca_state, tx)
    me = facts(1, 1, 2000, scope="county", state="CA", county="Los Angeles County")
    assert (
        bs.standing(me, [facts(2, 2, 9000, scope="county", state="CA", county="Orange County")]).position
        == "Top"
    )
    assert bs.standing(me, [facts(2, 2, 9000, scope="state", state="CA")]).position == "Under"


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(1000, 10_000), st.integers(0, 12_000)),
        min_size=1,
        max_size=8,
    )
)
def test_exactly_the_best_customers_are_top_or_tied(specs):
    pool = [
        facts(i, customer, amount - (amount - 1000) % 100, available)
        for i, (customer, amount, available) in enumerate(specs)
    ]
    result = bs.standings(pool, pool)
    competing = {f.bid_id: bs.competing_amount(f) for f in pool}
    for f in pool:
        position = result[f.bid_id].position
        rivals = [competing[o.bid_id] for o in pool if o.customer_id != f.customer_id and competing[o.bid_id]]
        if not competing[f.bid_id]:
            assert position == bs.Position.OUT
        elif not rivals or competing[f.bid_id] > max(rivals):
            assert position == bs.Position.TOP
        elif competing[f.bid_id] == max(rivals):
            assert position == bs.Position.TIED
        else:
            assert position == bs.Position.UNDER
        assert competing[f.bid_id] <= f.amount and competing[f.bid_id] <= max(f.available, 0)


@given(st.integers(0, 20_000))
def test_grid_floor_is_on_the_grid_and_not_above(amount):
    floor = GRID.floor(amount)
    if amount < GRID.minimum:
        assert floor is None
    else:
        assert GRID.minimum <= floor <= min(amount, GRID.maximum) and (floor - GRID.minimum) % GRID.step == 0
