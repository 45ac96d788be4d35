"""Ping → post through the source API with real buyers: holds placed for the bids a ping returns, the
chosen (or top) offer captured on the post, the others released; expiry, mismatch, re-posts, vendor
pricing, tenant isolation, the Distribution Error fallback and a constant number of queries per lead."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from juiced.leads import allocation, ingest
from juiced.leads.models import Lead, LeadStatus, Ping, PingOffer, Source, Submission
from juiced.leads.pings import pings_expire
from juiced.wallets.models import Hold
from tests.leads.conftest import basic_auth

pytestmark = pytest.mark.django_db

PING = {"zip": "90210", "state": "CA"}
LEAD = {
    "first_name": "Brad", "last_name": "Pit", "email": "brad.pit@juiceboxoffice.com", "phone": "555-987-6543",
    "address_1": "100 Citrus Grove Dr", "city": "Tropicana", "state": "CA", "zip": "90210",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_caches():
    from django.core.cache import cache

    ingest.caches_clear()
    cache.clear()
    yield
    ingest.caches_clear()


@pytest.fixture
def market(tenant_a, make_category, make_lead_type, make_source, make_customer, make_bid, fund):
    """Tenant A: lead type Standard ($10 minimum), Zest bids $30 and Yolk $25, both funded with $100."""
    category = make_category(tenant_a)
    lead_type = make_lead_type(category, "Standard", minimum=1000, step=100)
    source, secret = make_source(tenant_a, "Web form", category=category)
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    for customer in (zest, yolk):
        fund(customer, 10_000)
    make_bid(zest, lead_type, amount=3000)
    make_bid(yolk, lead_type, amount=2500)

    class Market:
        pass

    m = Market()
    m.category, m.lead_type, m.source, m.zest, m.yolk = category, lead_type, source, zest, yolk
    m.client = Client(HTTP_AUTHORIZATION=basic_auth(source.api_key, secret))
    return m


def send(client: Client, path: str, body: dict):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def wallet(customer) -> tuple[int, int]:
    customer.wallet.refresh_from_db()
    return customer.wallet.balance, customer.wallet.held


def test_internal_ping_lists_bids_and_holds_their_prices(market):
    response = send(market.client, "/api/ping", PING)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Match found"
    assert [bid["tcpa_name"] for bid in body["bids"]] == ["Zest", "Yolk"]
    assert [bid["price"] for bid in body["bids"]] == [30.0, 25.0]
    assert '"price": 30.00' in response.content.decode()
    first = body["bids"][0]
    assert set(first) == {"id", "price", "tcpa_name", "customer_id", "customer_public_id"}
    assert first["customer_public_id"] == market.zest.public_id
    assert first["customer_id"] == ingest.public_customer_number(market.zest.public_id)
    assert wallet(market.zest) == (10_000, 3000) and wallet(market.yolk) == (10_000, 2500)
    ping = Ping.objects.get(uuid=body["ping_id"])
    assert ping.status == Ping.Status.OPEN and ping.lead_type == market.lead_type
    assert ping.expires_at > timezone.now() + timedelta(minutes=4)


def test_post_with_a_chosen_bid_captures_it_and_releases_the_rest(market):
    ping = send(market.client, "/api/ping", PING).json()
    yolk_offer = ping["bids"][1]
    response = send(
        market.client, "/api/leads", {**LEAD, "ping_id": ping["ping_id"], "bid_id": yolk_offer["id"]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "assigned" and '"price": 25.00' in response.content.decode()
    lead = Lead.objects.get(uuid=body["lead_uuid"])
    assert (
        lead.customer == market.yolk
        and lead.price == 2500
        and lead.ping.uuid.hex == ping["ping_id"].replace("-", "")
    )
    assert wallet(market.yolk) == (7500, 0)
    assert wallet(market.zest) == (10_000, 0)  # released
    assert Ping.objects.get(uuid=ping["ping_id"]).status == Ping.Status.POSTED
    assert not Hold.objects.filter(status=Hold.Status.ACTIVE).exists()


def test_post_without_a_bid_id_takes_the_top_offer(market):
    ping = send(market.client, "/api/ping", PING).json()
    body = send(market.client, "/api/leads", {**LEAD, "ping_id": ping["ping_id"]}).json()
    assert body["status"] == "assigned" and body["price"] == 30.0
    assert wallet(market.zest) == (7000, 0) and wallet(market.yolk) == (10_000, 0)


def test_a_posted_ping_cannot_be_posted_again(market):
    ping = send(market.client, "/api/ping", PING).json()
    send(market.client, "/api/leads", {**LEAD, "ping_id": ping["ping_id"]})
    again = send(market.client, "/api/leads", {**LEAD, "ping_id": ping["ping_id"]})
    assert again.status_code == 422
    assert again.json() == {"error": "Ping could not be found with the provided ping ID"}
    assert Lead.objects.count() == 1
    assert Submission.objects.filter(reason="Ping already posted").exists()


def test_an_expired_ping_is_refused_and_its_holds_released(market):
    ping = send(market.client, "/api/ping", PING).json()
    Ping.objects.filter(uuid=ping["ping_id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = send(market.client, "/api/leads", {**LEAD, "ping_id": ping["ping_id"]})
    assert response.status_code == 422 and response.json() == {"error": "Ping ID has expired"}
    assert not Lead.objects.exists()
    assert Ping.objects.get(uuid=ping["ping_id"]).status == Ping.Status.EXPIRED
    assert wallet(market.zest) == (10_000, 0) and wallet(market.yolk) == (10_000, 0)
    again = send(market.client, "/api/leads", {**LEAD, "ping_id": ping["ping_id"]})
    assert again.json() == {"error": "Ping ID has expired"}


def test_the_expiry_job_releases_holds_of_stale_pings(market):
    stale = send(market.client, "/api/ping", PING).json()["ping_id"]
    Ping.objects.filter(uuid=stale).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert wallet(market.zest)[1] == 3000
    assert pings_expire() == 1
    assert Ping.objects.get(uuid=stale).status == Ping.Status.EXPIRED
    assert wallet(market.zest) == (10_000, 0) and wallet(market.yolk) == (10_000, 0)
    assert set(PingOffer.objects.values_list("status", flat=True)) == {PingOffer.Status.RELEASED}
    assert pings_expire() == 0


def test_a_post_that_differs_from_its_ping_is_refused(market):
    ping = send(market.client, "/api/ping", PING).json()
    response = send(
        market.client, "/api/leads", {**LEAD, "zip": "33139", "state": "FL", "ping_id": ping["ping_id"]}
    )
    assert response.status_code == 422
    assert response.json() == {"error": "Lead data does not match ping data"}
    assert not Lead.objects.exists()
    assert wallet(market.zest)[1] == 3000  # the ping still stands
    rejected = Submission.objects.get(outcome="rejected")
    assert set(rejected.errors) == {"state", "zip"}
    # Values are compared normalised: "ca" is CA.
    ok = send(market.client, "/api/leads", {**LEAD, "state": "ca", "ping_id": ping["ping_id"]})
    assert ok.status_code == 201


def test_a_bid_id_that_is_not_one_of_the_pings_offers_is_a_field_error(market):
    ping = send(market.client, "/api/ping", PING).json()
    response = send(
        market.client,
        "/api/leads",
        {**LEAD, "ping_id": ping["ping_id"], "bid_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "message": "The given data was invalid.",
        "errors": {"bid_id": ["The selected bid_id is invalid."]},
    }
    assert not Lead.objects.exists() and Ping.objects.get().status == Ping.Status.OPEN


def test_a_plain_post_is_auctioned_and_charged(market):
    response = send(market.client, "/api/leads", LEAD)
    body = response.json()
    assert body["status"] == "assigned" and '"price": 30.00' in response.content.decode()
    assert wallet(market.zest) == (7000, 0)
    lead = Lead.objects.get()
    assert [c.to_status for c in lead.status_changes.all()][:1] == ["processing"]
    stages = [event["stage"] for event in lead.distribution_logs.get().events]
    assert {"received", "validation", "duplicates"} <= set(stages)


def test_vendor_ping_reports_the_top_price_after_payout(market, tenant_a, make_source):
    vendor, secret = make_source(
        tenant_a, "Vendor", kind=Source.Kind.VENDOR, category=market.category, payout_percent=50
    )
    client = Client(HTTP_AUTHORIZATION=basic_auth(vendor.api_key, secret))
    response = send(client, "/api/ping", PING)
    assert response.json()["message"] == "Match found" and set(response.json()) == {
        "ping_id",
        "message",
        "price",
    }
    assert '"price": 15.00' in response.content.decode()
    posted = send(client, "/api/leads", {**LEAD, "ping_id": response.json()["ping_id"], "bid_id": "ignored"})
    assert posted.json()["status"] == "assigned"
    assert '"price": 15.00' in posted.content.decode()  # the vendor is told its payout, not the buyer's price


def test_tenant_a_leads_never_reach_tenant_b_bids(
    market, tenant_b, bolt_customer, make_category, make_lead_type, make_bid, fund
):
    category_b = make_category(tenant_b)
    standard_b = make_lead_type(category_b, "Standard")
    fund(bolt_customer, 100_000)
    make_bid(bolt_customer, standard_b, amount=9000)
    ping = send(market.client, "/api/ping", PING).json()
    assert "Bolt Roofing" not in [bid["tcpa_name"] for bid in ping["bids"]]
    send(market.client, "/api/leads", {**LEAD, "email": "other@example.com"})
    assert not Lead.objects.filter(customer=bolt_customer).exists()
    assert wallet(bolt_customer) == (100_000, 0)


def test_an_unexpected_allocation_failure_keeps_the_lead_as_distribution_error(market, monkeypatch):
    # Fault injection: the engine itself is tested elsewhere; here only the ingestion's fallback is.
    def broken(**kwargs):
        raise RuntimeError("engine down")

    monkeypatch.setattr(allocation, "lead_allocate", broken)
    response = send(market.client, "/api/leads", LEAD)
    assert response.status_code == 201 and response.json()["status"] == "pending"
    lead = Lead.objects.get()
    assert lead.status == LeadStatus.DISTRIBUTION_ERROR and lead.customer is None
    assert wallet(market.zest) == (10_000, 0)
    submission = Submission.objects.get()
    assert submission.outcome == "accepted" and "engine down" in submission.reason


def test_queries_per_post_do_not_grow_with_the_number_of_bids(market, make_customer, make_bid, fund):
    send(market.client, "/api/leads", {**LEAD, "email": "warm@example.com"})  # warm the caches
    counts = []
    for round_ in range(2):
        for n in range(8 * round_):
            buyer = make_customer(f"Buyer {round_}-{n}")
            fund(buyer, 10_000)
            make_bid(buyer, market.lead_type, amount=1000 + 100 * n)
        with CaptureQueriesContext(connection) as queries:
            response = send(market.client, "/api/leads", {**LEAD, "email": f"lead{round_}@example.com"})
        assert response.json()["status"] == "assigned"
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
