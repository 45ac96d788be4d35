"""Allocation end to end: the winner is charged exactly, counted, assigned and logged in one commit."""

from __future__ import annotations

import pytest
from django.utils import timezone

from juiced.core.errors import InvalidState
from juiced.leads.allocation import auction_candidates, lead_allocate, lead_reprocess, tier_terms
from juiced.leads.models import (
    Bid,
    DistributionLog,
    Lead,
    LeadSettings,
    LeadStatus,
    LeadStatusChange,
    Scope,
    SourcePricing,
    UsageCounter,
)
from juiced.wallets.models import Transaction, TransactionEvent
from juiced.wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(tenant_a, make_category, make_lead_type, make_source):
    category = make_category(tenant_a)
    lead_type = make_lead_type(category, "Auto", minimum=1000, step=100)
    source, _secret = make_source(tenant_a, category=category)
    return category, lead_type, source


@pytest.fixture
def make_lead(market):
    category, lead_type, source = market

    def make(*, state="CA", county="Los Angeles County", lead_type_=None, source_=None, **extra) -> Lead:
        return Lead.objects.create(
            tenant=category.tenant,
            source=source_ or source,
            category=category,
            lead_type=lead_type_ or lead_type,
            status=LeadStatus.PROCESSING,
            data={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "age": 40},
            zip_code="90001",
            state=state,
            county=county,
            **extra,
        )

    return make


def auction_rows(lead: Lead) -> list[dict]:
    log = DistributionLog.objects.get(lead=lead)
    return auction_candidates(
        next(event for event in log.events if event["stage"] == "auction")["candidates"]
    )


def test_highest_bid_wins_and_pays_its_bid(market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    fund(zest, 10_000)
    fund(yolk, 10_000)
    winning = make_bid(zest, auto, amount=3000)
    make_bid(yolk, auto, amount=2000)
    lead = make_lead()

    result = lead_allocate(lead=lead)

    lead.refresh_from_db()
    assert result.status == LeadStatus.ASSIGNED and result.price == 3000
    assert (lead.status, lead.customer_id, lead.bid_id, lead.bid_amount, lead.price) == (
        LeadStatus.ASSIGNED, zest.pk, winning.pk, 3000, 3000,
    )  # fmt: skip
    assert lead.payout == 3000  # payout 100 % by default
    zest.wallet.refresh_from_db()
    yolk.wallet.refresh_from_db()
    assert (zest.wallet.balance, yolk.wallet.balance) == (7000, 10_000)
    txn = Transaction.objects.get(pk=lead.transaction_id)
    assert (txn.event, txn.amount, txn.related_type, txn.related_id) == (
        TransactionEvent.LEAD_ASSIGNED, -3000, "lead", lead.public_id,
    )  # fmt: skip
    assert txn.description == f"Lead {lead.public_id} (Auto)"
    winning.refresh_from_db()
    assert winning.last_won_at is not None
    counters = UsageCounter.objects.filter(customer=zest)
    assert counters.count() == 6  # daily/weekly/monthly × customer and bid
    assert {(c.leads, c.spent) for c in counters} == {(1, 3000)}
    change = LeadStatusChange.objects.get(lead=lead)
    assert (change.from_status, change.to_status) == (LeadStatus.PROCESSING, LeadStatus.ASSIGNED)


def test_flow_log_is_one_row_with_every_candidate_and_reason(
    tenant_a, market, make_lead, make_customer, make_bid, make_lead_type, fund
):
    category, auto, _source = market
    names = ["Winner", "Second", "Paused bid", "Paused customer", "Broke", "Capped", "Budget", "Scope"]
    people = {name: make_customer(name) for name in names}
    for name, customer in people.items():
        fund(customer, 500 if name == "Broke" else 50_000)
    make_bid(people["Winner"], auto, amount=5000)
    make_bid(people["Second"], auto, amount=4000, scope=Scope.STATE, state="CA")
    make_bid(people["Paused bid"], auto, amount=9000, is_paused=True)
    people["Paused customer"].is_paused = True
    people["Paused customer"].save()
    make_bid(people["Paused customer"], auto, amount=9000)
    make_bid(people["Broke"], auto, amount=9000)
    make_bid(people["Capped"], auto, amount=9000, daily_cap=1)
    make_bid(people["Budget"], auto, amount=9000, daily_budget=500)
    limited = make_lead_type(category, "Limited", scopes=(Scope.STATE,), is_fallback=False)
    make_bid(people["Scope"], limited, amount=9000)
    # Elsewhere: a county bid in another county and a state bid in another state are not candidates.
    make_bid(people["Second"], auto, amount=9900, scope=Scope.COUNTY, state="CA", county="Orange County")
    make_bid(people["Second"], auto, amount=9900, scope=Scope.STATE, state="NV")
    UsageCounter.objects.create(
        tenant=tenant_a, customer=people["Capped"], bid=Bid.objects.get(customer=people["Capped"]),
        period="daily", period_start=timezone.now().date(), leads=1,
    )  # fmt: skip

    lead_allocate(lead=make_lead())
    other = make_lead(lead_type_=limited)
    lead_allocate(lead=other)

    lead = Lead.objects.filter(lead_type=auto).get()
    assert DistributionLog.objects.filter(lead=lead).count() == 1
    rows = {row["customer_name"]: row for row in auction_rows(lead)}
    assert set(rows) == {"Winner", "Second", "Paused bid", "Paused customer", "Broke", "Capped", "Budget"}
    assert (rows["Winner"]["outcome"], rows["Winner"]["rank"]) == ("ranked", 1)
    assert (rows["Second"]["outcome"], rows["Second"]["rank"]) == ("ranked", 2)
    assert rows["Paused bid"]["reason"] == "paused"
    assert rows["Paused customer"]["reason"] == "ineligible customer"
    assert rows["Broke"]["reason"] == "underfunded"
    assert rows["Capped"]["reason"] == "capped"
    assert rows["Budget"]["reason"] == "over budget"
    assert rows["Winner"]["effective"] == "5000.00" and rows["Winner"]["competing"] == 5000
    stages = [event["stage"] for event in DistributionLog.objects.get(lead=lead).events]
    assert stages == ["initiated", "lead_type", "auction", "assigned"]
    assert auction_rows(other)[0]["reason"] == "out of scope"
    other.refresh_from_db()
    assert other.status == LeadStatus.UNASSIGNED


def test_lone_bidder_pays_minimum(market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    zest = make_customer("Zest")
    fund(zest, 10_000)
    make_bid(zest, auto, amount=5000)

    result = lead_allocate(lead=make_lead())

    assert result.price == 1000
    zest.wallet.refresh_from_db()
    assert zest.wallet.balance == 9000


def test_smart_pricing_pays_one_step_over_the_runner_up(
    tenant_a, market, make_lead, make_customer, make_bid, fund
):
    _category, auto, _source = market
    LeadSettings.objects.create(tenant=tenant_a, smart_pricing=True)
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    fund(zest, 10_000)
    fund(yolk, 10_000)
    make_bid(zest, auto, amount=5000)
    make_bid(yolk, auto, amount=2000)

    assert lead_allocate(lead=make_lead()).price == 2100


def test_underfunded_bid_competes_at_what_its_wallet_covers(market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    fund(zest, 2550)  # bids 5000 but covers only 2500 on the 100-cent grid
    fund(yolk, 10_000)
    make_bid(zest, auto, amount=5000)
    make_bid(yolk, auto, amount=2400)

    result = lead_allocate(lead=make_lead())

    assert (result.customer_id, result.price) == (zest.pk, 2500)
    row = next(r for r in auction_rows(Lead.objects.get()) if r["customer_name"] == "Zest")
    assert (row["amount"], row["competing"]) == (5000, 2500)


def test_round_robin_between_tied_bids(market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    fund(zest, 100_000)
    fund(yolk, 100_000)
    make_bid(zest, auto, amount=3000)
    make_bid(yolk, auto, amount=3000)

    winners = [lead_allocate(lead=make_lead()).customer_id for _ in range(6)]

    assert winners.count(zest.pk) == 3 and winners.count(yolk.pk) == 3
    assert all(a != b for a, b in zip(winners, winners[1:], strict=False))


def test_bid_cap_stops_the_bid_and_the_next_bidder_wins(market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    fund(zest, 100_000)
    fund(yolk, 100_000)
    make_bid(zest, auto, amount=5000, daily_cap=2)
    make_bid(yolk, auto, amount=2000)

    winners = [lead_allocate(lead=make_lead()).customer_id for _ in range(3)]

    assert winners == [zest.pk, zest.pk, yolk.pk]


def test_bid_budget_limits_then_stops(market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    zest = make_customer("Zest")
    yolk = make_customer("Yolk")
    fund(zest, 100_000)
    fund(yolk, 100_000)
    make_bid(zest, auto, amount=5000, daily_budget=7000)
    make_bid(yolk, auto, amount=1500)

    first = lead_allocate(lead=make_lead())
    second = lead_allocate(lead=make_lead())  # 2000 left: competes at 2000, still above 1500
    third = lead_allocate(lead=make_lead())  # nothing left

    assert (first.customer_id, first.price) == (zest.pk, 5000)
    assert (second.customer_id, second.price) == (zest.pk, 2000)
    assert third.customer_id == yolk.pk


def test_bid_limits_ignored_when_the_tenant_turns_them_off(
    tenant_a, market, make_lead, make_customer, make_bid, fund
):
    _category, auto, _source = market
    LeadSettings.objects.create(tenant=tenant_a, bid_limits_enabled=False)
    zest = make_customer("Zest")
    fund(zest, 100_000)
    make_bid(zest, auto, amount=5000, daily_cap=1)

    assert [lead_allocate(lead=make_lead()).customer_id for _ in range(2)] == [zest.pk, zest.pk]


def test_customer_cap_and_budget_count_across_bids(
    market, make_lead, make_customer, make_bid, fund, make_lead_type
):
    category, auto, _source = market
    zest = make_customer("Zest", daily_cap=2)
    fund(zest, 100_000)
    make_bid(zest, auto, amount=5000)
    make_bid(zest, auto, amount=4000, scope=Scope.STATE, state="CA")

    results = [lead_allocate(lead=make_lead()) for _ in range(3)]

    assert [r.status for r in results] == [LeadStatus.ASSIGNED, LeadStatus.ASSIGNED, LeadStatus.UNASSIGNED]
    counter = UsageCounter.objects.get(customer=zest, bid__isnull=True, period="daily")
    assert (counter.leads, counter.spent) == (2, 2000)  # lone bidder pays the minimum


def test_payout_percent_fixed_and_fallback(
    tenant_a, market, make_lead, make_customer, make_bid, fund, make_source
):
    _category, auto, source = market
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    fund(zest, 100_000)
    fund(yolk, 100_000)
    make_bid(zest, auto, amount=3000)
    make_bid(yolk, auto, amount=2000)
    vendor, _ = make_source(tenant_a, "Vendor", payout_percent=50)
    fixed, _ = make_source(tenant_a, "Fixed")
    SourcePricing.objects.create(tenant=tenant_a, source=fixed, lead_type=auto, kind="fixed", price=700)
    fallback, _ = make_source(tenant_a, "Fallback", payout_percent=40)
    SourcePricing.objects.create(tenant=tenant_a, source=fallback, lead_type=auto, kind="fallback", price=300)

    assert lead_allocate(lead=make_lead(source_=vendor)).payout == 1500
    assert lead_allocate(lead=make_lead(source_=fixed)).payout == 700
    sold = lead_allocate(lead=make_lead(source_=fallback))
    assert sold.payout == round(sold.price * 0.4)
    Bid.objects.update(is_paused=True)
    unsold = lead_allocate(lead=make_lead(source_=fallback))
    assert (unsold.status, unsold.payout) == (LeadStatus.UNASSIGNED, 300)
    assert lead_allocate(lead=make_lead(source_=fixed)).payout == 700


def test_no_bids_leaves_the_lead_unassigned_with_a_log(market, make_lead):
    lead = make_lead()

    result = lead_allocate(lead=lead)

    lead.refresh_from_db()
    assert (result.status, lead.status, lead.price, lead.customer_id) == (LeadStatus.UNASSIGNED,) * 2 + (
        0,
        None,
    )
    log = DistributionLog.objects.get(lead=lead)
    assert (log.run, log.outcome, log.events[-1]["stage"]) == (1, LeadStatus.UNASSIGNED, "unassigned")


def test_reprocess_sells_an_unassigned_lead_in_a_new_run(
    market, make_lead, make_customer, make_bid, fund, alice
):
    _category, auto, _source = market
    lead = make_lead()
    lead_allocate(lead=lead)
    zest = make_customer("Zest")
    fund(zest, 10_000)
    make_bid(zest, auto, amount=2500)

    result = lead_reprocess(lead=lead, actor=alice)

    lead.refresh_from_db()
    assert (result.status, lead.status, lead.customer_id) == (
        LeadStatus.ASSIGNED,
        LeadStatus.ASSIGNED,
        zest.pk,
    )
    assert list(DistributionLog.objects.filter(lead=lead).values_list("run", flat=True)) == [1, 2]
    reasons = list(LeadStatusChange.objects.filter(lead=lead).values_list("reason", flat=True))
    assert any(reason.startswith("Reprocessed by") for reason in reasons)
    assert "Reprocessed by" in DistributionLog.objects.get(lead=lead, run=2).events[0]["message"]


def test_reprocess_refuses_a_sold_lead(market, make_lead, make_customer, make_bid, fund, alice):
    _category, auto, _source = market
    zest = make_customer("Zest")
    fund(zest, 10_000)
    make_bid(zest, auto, amount=2500)
    lead = make_lead()
    lead_allocate(lead=lead)
    zest.wallet.refresh_from_db()
    balance = zest.wallet.balance

    with pytest.raises(InvalidState):
        lead_reprocess(lead=lead, actor=alice)

    zest.wallet.refresh_from_db()
    assert zest.wallet.balance == balance
    assert DistributionLog.objects.filter(lead=lead).count() == 1


def test_allocating_twice_never_charges_twice(market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    zest = make_customer("Zest")
    fund(zest, 10_000)
    make_bid(zest, auto, amount=2500)
    lead = make_lead()
    stale = Lead.objects.get(pk=lead.pk)
    lead_allocate(lead=lead)

    with pytest.raises(InvalidState):
        lead_allocate(lead=stale)  # a stale copy still says Processing: the conditional update refuses

    assert Transaction.objects.filter(event=TransactionEvent.LEAD_ASSIGNED).count() == 1


def test_tier_terms_are_empty_until_return_tiers_exist(acme_customer):
    assert tier_terms([acme_customer.pk]) == {}


def test_ledger_check_is_clean_after_sales(market, make_lead, make_customer, make_bid, fund):
    _category, auto, _source = market
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    fund(zest, 7_000)
    fund(yolk, 5_000)
    make_bid(zest, auto, amount=3000)
    make_bid(yolk, auto, amount=3000)
    for _ in range(6):
        lead_allocate(lead=make_lead())

    checked, mismatches = ledger_check()

    assert checked >= 2 and mismatches == []
