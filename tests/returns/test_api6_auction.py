"""Issue 6 in the auction: each candidate's return tier, penalty and discount in the flow log (stored in the
compact table, shown on the lead page and in the API), and a matched penalty using the customer's CURRENT
return rate (a return approved after the last recalculation counts at once; the rate window applies)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from juiced.leads.allocation import TIER_COLUMNS, TierTerms, auction_candidates, lead_allocate, tier_terms
from juiced.leads.models import DistributionLog
from juiced.returns import services
from juiced.returns.models import CustomerTier, ReturnSettings
from juiced.wallets.models import Transaction, TransactionEvent
from tests.leads import conftest as leads_fixtures

from . import test_recalc_auction as auction_tests

pytestmark = pytest.mark.django_db

fund = leads_fixtures.fund
make_bid = leads_fixtures.make_bid
make_category = leads_fixtures.make_category
make_customer = leads_fixtures.make_customer
make_lead_type = leads_fixtures.make_lead_type
make_source = leads_fixtures.make_source
market = auction_tests.market  # the auction tests' lead type, ladder and lead factory, as fixtures here
ladder = auction_tests.ladder
make_lead = auction_tests.make_lead
buyer_with_rate = auction_tests.buyer_with_rate
recalculate = auction_tests.recalculate

REASON = "Wrong or disconnected phone number"


def auction_stage(lead):
    log = DistributionLog.objects.filter(lead=lead).order_by("-run", "-id").first()
    return next(e for e in log.events if e.get("stage") == "auction")


@pytest.fixture
def three_buyers(tenant_a, market, ladder, make_customer, fund, make_bid):
    _category, auto, _source = market
    zest = buyer_with_rate(make_customer, fund, "Zest", returned=200_000)  # 20 %: Overripe, 20 % penalty
    gold = buyer_with_rate(make_customer, fund, "Gold", returned=10_000)  # 1 %: Golden, 5 % discount
    ripe = buyer_with_rate(make_customer, fund, "Ripe", returned=100_000)  # 10 %: Ripe, no terms
    recalculate(tenant_a)
    make_bid(zest, auto, amount=10_000)  # the seed's $100 bid at a 20 % penalty: effective $80
    make_bid(gold, auto, amount=9_000)
    make_bid(ripe, auto, amount=5_000)
    return zest, gold, ripe


def test_the_flow_log_stores_tier_penalty_and_discount_per_candidate(three_buyers, make_lead):
    zest, gold, ripe = three_buyers
    lead = make_lead()
    result = lead_allocate(lead=lead)
    assert result.customer_id == gold.pk and result.price == 8_550  # 9,000 less the 5 % discount

    stage = auction_stage(lead)
    assert stage["candidates"]["columns"][-3:] == list(TIER_COLUMNS)
    by_customer = {row["customer_name"]: row for row in auction_candidates(stage["candidates"])}
    zest_row, gold_row, ripe_row = by_customer["Zest"], by_customer["Gold"], by_customer["Ripe"]
    assert (zest_row["tier"], zest_row["penalty"], zest_row["discount"]) == ("Overripe", "20.00", "0.00")
    assert zest_row["effective"] == "8000.00" and zest_row["rank"] == 2
    assert (gold_row["tier"], gold_row["penalty"], gold_row["discount"]) == ("Golden", "0.00", "5.00")
    assert gold_row["rank"] == 1
    assert "tier" not in ripe_row  # no terms, nothing to show


def test_the_lead_page_and_the_api_show_the_terms(three_buyers, make_lead, login_client, alice, api_client,
                                                   tenant_a):  # fmt: skip
    lead = make_lead()
    lead_allocate(lead=lead)
    body = login_client(alice).get(f"/manage/{tenant_a.slug}/leads/{lead.public_id}/").content.decode()
    assert "tier Overripe: penalty 20.00 %, discount 0.00 %" in body
    assert "tier Golden: penalty 0.00 %, discount 5.00 %" in body

    got = api_client(alice, tenant_a).get(f"/api/manage/leads/{lead.public_id}").json()
    events = [e for run in got["flow_log"] for e in run["events"] if e.get("stage") == "auction"]
    rows = {row["customer_name"]: row for row in events[-1]["candidates"]}
    assert rows["Zest"]["tier"] == "Overripe" and rows["Zest"]["penalty"] == "20.00"
    assert rows["Gold"]["discount"] == "5.00"


def test_a_log_without_tier_columns_still_reads(tenant_a, market, make_customer, fund, make_bid, make_lead):
    _category, auto, _source = market
    buyer = make_customer("Plain")
    fund(buyer, 50_000)
    make_bid(buyer, auto, amount=5_000)
    lead = make_lead()
    lead_allocate(lead=lead)
    stage = auction_stage(lead)
    assert "tier" not in stage["candidates"]["columns"]  # no terms anywhere: the table stays as it was
    assert "tier" not in auction_candidates(stage["candidates"])[0]


def test_the_name_travels_with_the_terms_but_does_not_change_equality(three_buyers):
    zest, gold, ripe = three_buyers
    terms = tier_terms([zest.pk, gold.pk, ripe.pk])
    assert terms[zest.pk].name == "Overripe" and terms[gold.pk].name == "Golden"
    assert terms[zest.pk] == TierTerms(penalty_pct=Decimal("20.00"), discount_pct=Decimal("0.00"))
    assert ripe.pk not in terms


def test_a_return_approved_after_the_recalculation_raises_the_next_penalty(
    tenant_a, market, ladder, make_lead, make_customer, make_bid, fund, sold_lead, alice
):
    _category, auto, _source = market
    zest = buyer_with_rate(make_customer, fund, "Zest", returned=300_000)  # 30 %: Rotten (own rate)
    yolk = buyer_with_rate(make_customer, fund, "Yolk", returned=100_000)  # 10 %: Ripe, no terms
    recalculate(tenant_a)
    returned_lead = sold_lead(zest, 100_000)  # now 300k / 1.1M = 27.27 %
    make_bid(zest, auto, amount=10_000)
    make_bid(yolk, auto, amount=6_500)

    first = lead_allocate(lead=make_lead())
    assert first.customer_id == zest.pk  # 10,000 × 72.73 % = 7,273 beats 6,500
    assert tier_terms([zest.pk])[zest.pk].penalty_pct == Decimal("27.03")  # the sale counts too: 1.11M

    req = services.return_request(tenant=tenant_a, lead_id=returned_lead.public_id, reason=REASON)
    services.return_approve(tenant=tenant_a, request_id=req.public_id, actor=alice)
    # 400k returned / 1.11M charged = 36.04 %; the stored rate is still the recalculation's 30 %.
    assert CustomerTier.objects.get(customer=zest).return_rate == Decimal("30.00")
    assert tier_terms([zest.pk])[zest.pk].penalty_pct == Decimal("36.04")

    second = make_lead()
    result = lead_allocate(lead=second)
    assert result.customer_id == yolk.pk and result.price == 6_500  # 10,000 × 63.96 % = 6,396 < 6,500
    zest_row = next(r for r in auction_candidates(auction_stage(second)["candidates"]) if r.get("tier"))
    assert (zest_row["tier"], zest_row["penalty"], zest_row["effective"]) == ("Rotten", "36.04", "6396.00")


def test_the_current_rate_respects_the_rate_window(
    tenant_a, market, ladder, make_lead, make_customer, make_bid, fund
):
    _category, auto, _source = market
    zest = buyer_with_rate(make_customer, fund, "Zest", returned=300_000)  # 30 %: Rotten
    recalculate(tenant_a)
    assert tier_terms([zest.pk])[zest.pk].penalty_pct == Decimal("30.00")

    ReturnSettings.objects.filter(tenant=tenant_a).update(rate_window_days=30)
    Transaction.objects.filter(wallet__customer=zest, event=TransactionEvent.LEAD_RETURNED).update(
        created_at=timezone.now() - timedelta(days=45)
    )
    assert tier_terms([zest.pk]) == {}  # inside the window nothing was returned: 0 % penalty, no terms

    ReturnSettings.objects.filter(tenant=tenant_a).update(rate_window_days=60)
    assert tier_terms([zest.pk])[zest.pk].penalty_pct == Decimal("30.00")
    ReturnSettings.objects.filter(tenant=tenant_a).update(rate_window_days=None)
    assert tier_terms([zest.pk])[zest.pk].penalty_pct == Decimal("30.00")


def test_terms_are_one_query_for_every_candidate(three_buyers, django_assert_num_queries):
    zest, gold, ripe = three_buyers
    with django_assert_num_queries(1):
        terms = tier_terms([zest.pk, gold.pk, ripe.pk])
    assert set(terms) == {zest.pk, gold.pk}
