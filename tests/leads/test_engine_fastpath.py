"""The fast paths of allocation keep its results: decide against a straightforward reference, the compact
flow log and its readers, the side-effect job queued in the allocation transaction with ids only, the
county filter done in SQL, and no savepoint for a debit without an idempotency key."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from hypothesis import given, settings
from hypothesis import strategies as st

from juiced.leads import selectors
from juiced.leads.allocation import (
    AUCTION_COLUMNS,
    auction_candidates,
    lead_allocate,
    losing_bids,
)
from juiced.leads.auction import OUTRANKED_BY_OWN_BID, Candidate, Decision, Grid, Ranked, decide
from juiced.leads.auction import _competing_amount as competing_amount
from juiced.leads.lead_events import lead_processed
from juiced.leads.models import DistributionLog, Lead, LeadStatus, Scope
from juiced.wallets.models import TransactionEvent
from juiced.wallets.services import wallet_debit

pytestmark = pytest.mark.django_db


# --- decide against a reference -----------------------------------------------------------------------


def reference_decide(candidates: list[Candidate], *, smart_pricing: bool = False) -> Decision:
    """The rules written the plain way (Decimal everywhere, a sort key function): the fast path's oracle."""

    def factor(pct: Decimal) -> Decimal:
        return max(Decimal(0), 1 - Decimal(pct) / 100)

    competing, excluded = [], []
    for c in candidates:
        reason, amount = competing_amount(c)
        if reason is not None:
            excluded.append(Ranked(c, 0, Decimal(0), reason, None))
        else:
            competing.append(Ranked(c, amount, amount * factor(c.penalty_pct), None, None))

    def order(r: Ranked) -> tuple[Any, ...]:
        won = r.candidate.last_won_at
        return (-r.effective, won is not None, won or 0.0, r.candidate.bid_id)

    competing.sort(key=order)
    ranked, seen = [], set()
    for r in competing:
        if r.candidate.customer_id in seen:
            excluded.append(Ranked(r.candidate, 0, Decimal(0), OUTRANKED_BY_OWN_BID, None))
            continue
        seen.add(r.candidate.customer_id)
        ranked.append(Ranked(r.candidate, r.competing, r.effective, None, len(ranked) + 1))
    if not ranked:
        return Decision(None, 0, 0, excluded)
    top, runner = ranked[0], (ranked[1] if len(ranked) > 1 else None)
    grid = top.candidate.grid
    if runner is None:
        before = grid.minimum
    elif not smart_pricing:
        before = top.competing
    else:
        beating = grid.lowest_beating(runner.effective, factor(top.candidate.penalty_pct))
        before = max(grid.minimum, min(beating, top.competing))
    charged = int((before * factor(top.candidate.discount_pct)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Decision(top.candidate, charged, before, ranked + excluded)


percents = st.sampled_from([Decimal(0), Decimal(0), Decimal(0), Decimal("12.5"), Decimal("33.33")])


@st.composite
def markets(draw):
    grid = draw(
        st.builds(
            lambda minimum, step, fixed: Grid(minimum, step, minimum + 100 * step, fixed),
            st.integers(100, 3000),
            st.sampled_from([1, 25, 100]),
            st.sampled_from([False, False, True]),
        )
    )
    penalised = draw(st.booleans())
    count = draw(st.integers(0, 12))
    result = []
    for index in range(count):
        amount = grid.minimum + draw(st.integers(0, 60)) * (0 if grid.fixed else grid.step)
        result.append(
            Candidate(
                bid_id=index + 1,
                customer_id=draw(st.integers(1, max(1, count - 2))),
                amount=amount,
                grid=grid,
                available=draw(st.integers(0, amount * 2)),
                penalty_pct=draw(percents) if penalised else Decimal(0),
                discount_pct=draw(percents),
                last_won_at=draw(st.none() | st.sampled_from([1.0, 2.0, 3.0])),
                cap_left=draw(st.none() | st.integers(0, 2)),
                budget_left=draw(st.none() | st.integers(0, amount * 2)),
                exclusion=draw(st.none() | st.none() | st.none() | st.just("paused")),
            )
        )
    return result


@settings(max_examples=300, deadline=None)
@given(markets(), st.booleans())
def test_decide_matches_the_reference(candidates, smart):
    fast, slow = decide(candidates, smart_pricing=smart), reference_decide(candidates, smart_pricing=smart)
    assert fast == slow
    # An unpenalised effective bid is the (int) competing amount, equal to the Decimal the rules define.
    assert [r.effective for r in fast.ranked] == [r.effective for r in slow.ranked]


# --- compact flow log -----------------------------------------------------------------------------------


@pytest.fixture
def market(tenant_a, make_category, make_lead_type, make_source):
    category = make_category(tenant_a)
    lead_type = make_lead_type(category, "Auto", minimum=1000, step=100)
    source, _secret = make_source(tenant_a, category=category)
    return category, lead_type, source


@pytest.fixture
def make_lead(market):
    category, lead_type, source = market

    def make(*, state: str = "CA", county: str = "Los Angeles County", zip_code: str = "90001") -> Lead:
        return Lead.objects.create(
            tenant=category.tenant, source=source, category=category, lead_type=lead_type,
            status=LeadStatus.PROCESSING, data={"first_name": "Ada"}, zip_code=zip_code, state=state,
            county=county,
        )  # fmt: skip

    return make


@pytest.fixture
def three_bidders(market, make_customer, make_bid, fund):
    _category, auto, _source = market
    people = [make_customer(name) for name in ("Zest", "Yolk", "Kiwi", "Broke")]
    for person in people[:3]:
        fund(person, 10_000)
    fund(people[3], 100)
    bids = [
        make_bid(people[0], auto, amount=4000),
        make_bid(people[1], auto, amount=3000),
        make_bid(people[2], auto, amount=3000),
        make_bid(people[3], auto, amount=5000),
    ]
    return people, bids


def auction_stage(lead: Lead) -> dict[str, Any]:
    events = DistributionLog.objects.get(lead=lead).events
    return next(event for event in events if event["stage"] == "auction")


def test_auction_stage_is_a_compact_table_with_every_candidate(make_lead, three_bidders):
    people, bids = three_bidders
    lead = make_lead()
    lead_allocate(lead=lead)

    stage = auction_stage(lead)
    assert stage["candidates"]["columns"] == list(AUCTION_COLUMNS)
    rows = {row[0]: dict(zip(AUCTION_COLUMNS, row, strict=True)) for row in stage["candidates"]["rows"]}
    assert set(rows) == {bid.public_id for bid in bids}
    winner = rows[bids[0].public_id]
    assert (winner["rank"], winner["competing"], winner["effective"], winner["reason"]) == (
        1,
        4000,
        None,
        None,
    )
    broke = rows[bids[3].public_id]
    assert (broke["rank"], broke["reason"]) == (None, "funds")
    assert all(row[0].startswith("bid_") for row in stage["candidates"]["rows"])  # public ids only

    expanded = {row["bid"]: row for row in auction_candidates(stage["candidates"])}
    assert expanded[bids[0].public_id] == {
        "bid": bids[0].public_id,
        "customer": people[0].public_id,
        "customer_name": "Zest",
        "scope": Scope.NATIONWIDE,
        "amount": 4000,
        "available": 10_000,
        "competing": 4000,
        "effective": "4000.00",
        "outcome": "ranked",
        "rank": 1,
        "reason": "",
    }
    assert expanded[bids[3].public_id]["reason"] == "underfunded"
    assert expanded[bids[3].public_id]["outcome"] == "excluded"


def test_readers_accept_the_compact_and_the_older_form(make_lead, three_bidders, tenant_a):
    people, bids = three_bidders
    lead = make_lead()
    lead_allocate(lead=lead)
    log = DistributionLog.objects.get(lead=lead)
    compact = auction_stage(lead)["candidates"]
    old_rows = auction_candidates(compact)
    # Rewrite the row the way earlier versions stored it (a list of dicts) and read it back.
    log.events = [
        {**event, "candidates": old_rows} if event["stage"] == "auction" else event for event in log.events
    ]
    log.save(update_fields=["events"])
    assert auction_candidates(old_rows) == old_rows

    (_log, events), *_ = selectors.flow_log(lead=lead)
    viewed = next(event for event in events if event.stage == "auction")
    assert {(c.bid, c.customer_name, c.outcome) for c in viewed.candidates} == {
        (row["bid"], row["customer_name"], row["outcome"]) for row in old_rows
    }


def test_the_flow_log_reader_expands_the_compact_table_for_page_and_api(make_lead, three_bidders):
    _people, bids = three_bidders
    lead = make_lead()
    lead_allocate(lead=lead)

    (log, events), *_ = selectors.flow_log(lead=lead)
    stage = next(event for event in log.events if event["stage"] == "auction")
    assert isinstance(stage["candidates"], list)
    assert {row["customer_name"] for row in stage["candidates"]} == {"Zest", "Yolk", "Kiwi", "Broke"}
    view = next(event for event in events if event.stage == "auction")
    assert [c.rank for c in view.candidates][:3] == [1, 2, 3]


def test_losers_come_from_the_flow_log(make_lead, three_bidders):
    _people, bids = three_bidders
    lead = make_lead()
    lead_allocate(lead=lead)
    events = DistributionLog.objects.get(lead=lead).events

    outbid, matched = losing_bids(events)
    assert (sorted(outbid), matched) == (sorted([bids[1].public_id, bids[2].public_id]), [])
    old_form = [
        {**e, "candidates": auction_candidates(e["candidates"])} if e["stage"] == "auction" else e
        for e in events
    ]
    assert sorted(losing_bids(old_form)[0]) == sorted(outbid)
    unsold = [e for e in events if e["stage"] != "assigned"]
    assert losing_bids(unsold) == ([], [])


def test_tied_runner_up_is_matched():
    rows = [
        ["bid_a", 3000, None, 1],
        ["bid_b", 3000, None, 2],
        ["bid_c", 4000, "2000.00", 3],
        ["bid_d", 0, None, None],
    ]
    events = [
        {
            "stage": "auction",
            "candidates": {"columns": ["bid", "competing", "effective", "rank"], "rows": rows},
        },
        {"stage": "assigned", "bid": "bid_a"},
    ]
    assert losing_bids(events) == (["bid_c"], ["bid_b"])


# --- the side-effect job ----------------------------------------------------------------------------------


def test_job_is_queued_inside_the_allocation_transaction_with_ids_only(make_lead, three_bidders):
    lead = make_lead()
    with transaction.atomic():
        lead_allocate(lead=lead)
        row = DBTaskResult.objects.get()  # visible already: the same transaction wrote it
    assert row.args_kwargs == {"args": [], "kwargs": {"tenant_id": lead.tenant_id, "lead_id": lead.pk}}
    assert row.task_path.endswith("lead_events.lead_processed")
    # On PostgreSQL the finish statement writes the row itself: it must look like the backend's own.
    reference = lead_processed.enqueue(tenant_id=lead.tenant_id, lead_id=lead.pk).db_result
    reference.refresh_from_db()
    same = ("status", "priority", "task_path", "queue_name", "backend_name", "run_after", "worker_ids")
    assert {name: getattr(row, name) for name in same} == {name: getattr(reference, name) for name in same}
    assert (row.started_at, row.finished_at, row.return_value) == (None, None, None)


def test_a_rolled_back_allocation_leaves_no_job(make_lead, three_bidders):
    lead = make_lead()
    with pytest.raises(RuntimeError), transaction.atomic():
        lead_allocate(lead=lead)
        raise RuntimeError("the caller fails after allocating")
    assert not DBTaskResult.objects.exists()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.PROCESSING


# --- county bids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lead_county", "matches"),
    [
        ("Los Angeles County", True),  # geo's spelling: compared in SQL
        ("los angeles", True),  # another spelling of a county geo knows
        ("Orange County", False),
        ("", False),  # no county: county bids never match
    ],
)
def test_county_bids_match_by_county(lead_county, matches, market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    buyer = make_customer("County buyer")
    fund(buyer, 10_000)
    make_bid(buyer, auto, amount=3000, scope=Scope.COUNTY, state="CA", county="Los Angeles County")

    result = lead_allocate(lead=make_lead(county=lead_county))

    assert (result.customer_id == buyer.pk) is matches


def test_a_county_geo_does_not_know_is_compared_by_key(market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    buyer = make_customer("Test county buyer")
    fund(buyer, 10_000)
    make_bid(buyer, auto, amount=3000, scope=Scope.COUNTY, state="ZZ", county="Testing County")

    result = lead_allocate(lead=make_lead(state="ZZ", county="testing", zip_code="00000"))

    assert result.customer_id == buyer.pk


# --- savepoints ---------------------------------------------------------------------------------------------


def savepoints(captured: CaptureQueriesContext) -> int:
    return sum(1 for query in captured.captured_queries if query["sql"].startswith("SAVEPOINT"))


@pytest.mark.postgres  # the one-statement debit; SQLite takes the ORM path
def test_a_debit_without_key_takes_no_savepoint(make_customer, fund):
    buyer = make_customer("Saver")
    fund(buyer, 10_000)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        wallet_debit(wallet=buyer.wallet, amount=100, event=TransactionEvent.LEAD_ASSIGNED, description="x")
    assert savepoints(captured) == 0


@pytest.mark.postgres
def test_an_allocation_inside_a_transaction_uses_one_savepoint_at_most(make_lead, three_bidders):
    lead = make_lead()
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        lead_allocate(lead=lead)
    assert savepoints(captured) <= 1  # the re-check's, so a retry can release the lock it took
