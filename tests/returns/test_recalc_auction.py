"""Tier effects in the auction (SPEC §5, seed 001): a penalty lowers the effective bid only, a matched
penalty uses the customer's own rate, a discount lowers the price paid; excluded customers and tenants with
tiers off get neither. The terms are read in ONE query for every candidate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from juiced.leads.allocation import TierTerms, auction_candidates, lead_allocate, tier_terms
from juiced.leads.models import DistributionLog, Lead, LeadStatus
from juiced.returns.recalc import recalculation_request, recalculation_run
from tests.leads import conftest as leads_fixtures

from ._recalc_support import ledger, make_tier, tiers_on

pytestmark = pytest.mark.django_db

# The marketplace factories of the leads tests, as fixtures of this module.
fund = leads_fixtures.fund
make_bid = leads_fixtures.make_bid
make_category = leads_fixtures.make_category
make_customer = leads_fixtures.make_customer
make_lead_type = leads_fixtures.make_lead_type
make_source = leads_fixtures.make_source

ESTABLISHED = 1_000_000


@pytest.fixture
def market(tenant_a, make_category, make_lead_type, make_source):
    category = make_category(tenant_a)
    lead_type = make_lead_type(category, "Auto", minimum=1000, step=100, maximum=100_000)
    source, _secret = make_source(tenant_a, category=category)
    return category, lead_type, source


@pytest.fixture
def make_lead(market):
    category, lead_type, source = market

    def make() -> Lead:
        return Lead.objects.create(
            tenant=category.tenant, source=source, category=category, lead_type=lead_type,
            status=LeadStatus.PROCESSING, data={"first_name": "Ada", "email": "ada@example.com", "age": 40},
            zip_code="90001", state="CA", county="Los Angeles County",
        )  # fmt: skip

    return make


@pytest.fixture
def ladder(tenant_a):
    tiers_on(tenant_a)
    return {
        "Golden": make_tier(tenant_a, "Golden", 0, 5, discount=5),
        "Ripe": make_tier(tenant_a, "Ripe", 5, 15),
        "Overripe": make_tier(tenant_a, "Overripe", 15, 25, penalty=20),
        "Rotten": make_tier(tenant_a, "Rotten", 25, 100, match=True),
    }


def recalculate(tenant) -> None:
    run = recalculation_request(tenant=tenant, actor=None, in_background=False)
    recalculation_run(recalculation_id=run.pk)


def buyer_with_rate(make_customer, fund, name: str, returned: int):
    customer = make_customer(name)
    ledger(customer, charged=ESTABLISHED, returned=returned)
    fund(customer, 50_000)
    return customer


def test_a_penalised_customer_loses_with_the_higher_bid_and_the_discounted_winner_pays_less(
    tenant_a, market, ladder, make_lead, make_customer, make_bid, fund
):
    _category, auto, _source = market
    zest = buyer_with_rate(make_customer, fund, "Zest", returned=200_000)  # 20 %: Overripe, 20 % penalty
    yolk = buyer_with_rate(make_customer, fund, "Yolk", returned=0)  # 0 %: Golden, 5 % discount
    recalculate(tenant_a)
    make_bid(zest, auto, amount=10_000)  # $100 bid, treated as $80
    make_bid(yolk, auto, amount=9_000)
    lead = make_lead()

    result = lead_allocate(lead=lead)

    assert result.customer_id == yolk.pk
    assert result.price == 8_550  # $90 less 5 %
    rows = {row["customer_name"]: row for row in auction_rows(lead)}
    assert Decimal(rows["Zest"]["effective"]) == Decimal("8000.00")
    assert Decimal(rows["Yolk"]["effective"]) == Decimal("9000.00")


def test_a_penalised_winner_pays_its_full_bid(
    tenant_a, market, ladder, make_lead, make_customer, make_bid, fund
):
    _category, auto, _source = market
    zest = buyer_with_rate(make_customer, fund, "Zest", returned=200_000)
    yolk = buyer_with_rate(make_customer, fund, "Yolk", returned=100_000)  # 10 %: Ripe, no terms
    recalculate(tenant_a)
    make_bid(zest, auto, amount=10_000)
    make_bid(yolk, auto, amount=7_000)

    result = lead_allocate(lead=make_lead())

    assert (result.customer_id, result.price) == (zest.pk, 10_000)


def test_a_matched_penalty_uses_the_customers_own_rate(
    tenant_a, market, ladder, make_lead, make_customer, make_bid, fund
):
    _category, auto, _source = market
    zest = buyer_with_rate(make_customer, fund, "Zest", returned=300_000)  # 30 %: Rotten → 30 % penalty
    yolk = buyer_with_rate(make_customer, fund, "Yolk", returned=100_000)
    recalculate(tenant_a)
    assert tier_terms([zest.pk, yolk.pk]) == {zest.pk: TierTerms(penalty_pct=Decimal("30.00"))}
    make_bid(zest, auto, amount=10_000)  # effective 7,000
    make_bid(yolk, auto, amount=7_100)

    result = lead_allocate(lead=make_lead())

    assert (result.customer_id, result.price) == (yolk.pk, 7_100)


def test_an_excluded_customer_bids_without_terms(tenant_a, market, ladder, make_customer, fund):
    zest = buyer_with_rate(make_customer, fund, "Zest", returned=200_000)
    yolk = buyer_with_rate(make_customer, fund, "Yolk", returned=0)
    recalculate(tenant_a)
    type(zest).objects.filter(pk=zest.pk).update(return_tiers_disabled=True)

    assert tier_terms([zest.pk, yolk.pk]) == {yolk.pk: TierTerms(discount_pct=Decimal("5.00"))}


def test_tiers_off_means_no_terms_for_anyone(tenant_a, market, ladder, make_customer, fund):
    zest = buyer_with_rate(make_customer, fund, "Zest", returned=200_000)
    recalculate(tenant_a)
    assert tier_terms([zest.pk])
    tiers_on(tenant_a, enabled=False)

    assert tier_terms([zest.pk]) == {}


def test_terms_are_one_query_for_every_candidate(
    tenant_a, market, ladder, make_customer, fund, django_assert_num_queries
):
    people = [buyer_with_rate(make_customer, fund, f"C{i}", returned=i * 40_000) for i in range(6)]
    recalculate(tenant_a)
    with django_assert_num_queries(1):
        terms = tier_terms([person.pk for person in people])
    assert {people.index(p) for p in people if p.pk in terms} == {0, 1, 4, 5}  # Golden ×2, Overripe ×2
    with django_assert_num_queries(0):
        assert tier_terms([]) == {}


def auction_rows(lead: Lead) -> list[dict]:
    log = DistributionLog.objects.get(lead=lead)
    stage = next(event for event in log.events if event["stage"] == "auction")
    return auction_candidates(stage["candidates"])
