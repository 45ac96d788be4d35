"""Ping holds, the side-effect job after commit, and the query budget of one allocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from juiced.leads.allocation import lead_allocate, ping_quote, ping_release
from juiced.leads.models import DistributionLog, Lead, LeadStatus, Ping, PingOffer
from juiced.notifications.models import Channel, Notification, NotificationType
from juiced.wallets.models import Hold, Transaction, TransactionEvent
from juiced.wallets.selectors import ledger_check
from juiced.webhooks.models import WebhookDelivery, WebhookEndpoint

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

    def make(*, ping=None, state="CA", county="Los Angeles County") -> Lead:
        return Lead.objects.create(
            tenant=category.tenant, source=source, category=category, lead_type=lead_type, ping=ping,
            status=LeadStatus.PROCESSING, data={"first_name": "Ada", "last_name": "Lovelace", "age": 40},
            zip_code="90001", state=state, county=county,
        )  # fmt: skip

    return make


@pytest.fixture
def make_ping(market):
    category, lead_type, source = market

    def make() -> Ping:
        return Ping.objects.create(
            tenant=category.tenant, source=source, category=category, lead_type=lead_type,
            zip_code="90001", state="CA", county="Los Angeles County", message="Match found",
            expires_at=timezone.now() + timedelta(minutes=5),
        )  # fmt: skip

    return make


@pytest.fixture
def buyers(market, make_customer, make_bid, fund):
    _category, auto, _source = market
    zest, yolk, kiwi = make_customer("Zest"), make_customer("Yolk"), make_customer("Kiwi")
    for customer in (zest, yolk, kiwi):
        fund(customer, 10_000)
    make_bid(zest, auto, amount=4000)
    make_bid(yolk, auto, amount=3000)
    make_bid(kiwi, auto, amount=2000)
    return zest, yolk, kiwi


@pytest.fixture
def allocate(django_capture_on_commit_callbacks):
    """lead_allocate, then the on-commit callbacks (the test's transaction never commits)."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return lead_allocate(**kwargs)

    return run


def available(customer) -> int:
    customer.wallet.refresh_from_db()
    return customer.wallet.available


def test_ping_holds_each_offered_buyers_price(make_ping, buyers):
    zest, yolk, kiwi = buyers
    ping = make_ping()

    offers = ping_quote(ping=ping, limit=2)

    assert [(o.customer_id, o.rank, o.price) for o in offers] == [(zest.pk, 1, 4000), (yolk.pk, 2, 3000)]
    assert (available(zest), available(yolk), available(kiwi)) == (6000, 7000, 10_000)
    holds = Transaction.objects.filter(event=TransactionEvent.PING_HOLD)
    assert holds.count() == 2
    assert {(t.related_type, t.related_id) for t in holds} == {("ping", str(ping.uuid))}


def test_post_with_an_offer_captures_it_and_releases_the_others(make_ping, make_lead, buyers):
    zest, yolk, kiwi = buyers
    ping = make_ping()
    offers = ping_quote(ping=ping, limit=3)
    chosen = offers[1]  # the vendor posts against Yolk's offer

    result = lead_allocate(lead=make_lead(ping=ping), offer=chosen)

    assert (result.status, result.customer_id, result.price) == (LeadStatus.ASSIGNED, yolk.pk, 3000)
    assert (available(zest), available(yolk), available(kiwi)) == (10_000, 7000, 10_000)
    statuses = dict(PingOffer.objects.values_list("customer_id", "status"))
    assert statuses == {zest.pk: "released", yolk.pk: "won", kiwi.pk: "released"}
    assert Transaction.objects.filter(event=TransactionEvent.PING_HOLD_RELEASED).count() == 2
    charge = Transaction.objects.get(event=TransactionEvent.LEAD_ASSIGNED)
    assert (charge.amount, charge.related_type) == (-3000, "lead")
    assert not Hold.objects.filter(status=Hold.Status.ACTIVE).exists()
    log = DistributionLog.objects.get()
    assert [e["stage"] for e in log.events][-1] == "ping_honoured"
    assert ledger_check()[1] == []


def test_an_expired_offer_falls_back_to_the_auction(make_ping, make_lead, buyers):
    zest, _yolk, _kiwi = buyers
    ping = make_ping()
    offers = ping_quote(ping=ping, limit=2)
    ping_release(ping=ping, reason="Ping expired")
    assert available(zest) == 10_000

    result = lead_allocate(lead=make_lead(ping=ping), offer=offers[1])

    assert (result.customer_id, result.price) == (zest.pk, 4000)
    stages = [e["stage"] for e in DistributionLog.objects.get().events]
    assert "ping_offer" in stages and stages[-1] == "assigned"
    assert ledger_check()[1] == []


def test_a_post_without_offer_releases_the_pings_holds(make_ping, make_lead, buyers):
    zest, yolk, kiwi = buyers
    ping = make_ping()
    ping_quote(ping=ping, limit=3)

    lead_allocate(lead=make_lead(ping=ping))

    assert (available(zest), available(yolk), available(kiwi)) == (6000, 10_000, 10_000)
    assert not Hold.objects.filter(status=Hold.Status.ACTIVE).exists()


@pytest.mark.django_db(transaction=True)  # the worker commits and closes connections
def test_side_effects_run_after_commit_in_one_job(tenant_a, make_lead, buyers, run_tasks, allocate):
    zest, yolk, kiwi = buyers
    WebhookEndpoint.objects.create(
        tenant=tenant_a,
        url="http://127.0.0.1:9/t",
        secret_encrypted="x",
        events=["lead.created", "lead.assigned"],
    )
    WebhookEndpoint.objects.create(
        tenant=tenant_a, customer=zest, url="http://127.0.0.1:9/zest", secret_encrypted="x"
    )

    lead = make_lead()
    allocate(lead=lead)
    assert not Notification.objects.exists()  # nothing is sent on the request path
    run_tasks()

    kinds = set(Notification.objects.filter(channel=Channel.IN_APP).values_list("customer_id", "type"))
    assert kinds == {
        (zest.pk, NotificationType.LEAD_ASSIGNED),
        (yolk.pk, NotificationType.OUTBID),
        (kiwi.pk, NotificationType.OUTBID),
    }
    events = list(WebhookDelivery.objects.order_by("id").values_list("event_type", flat=True))
    assert events == ["lead.created", "lead.assigned", "lead.assigned"]  # tenant × 2, then Zest's own

    allocate(lead=make_lead())
    run_tasks()
    outbid = Notification.objects.filter(type=NotificationType.OUTBID, channel=Channel.IN_APP)
    assert outbid.count() == 2  # at most once per customer in 24 hours


@pytest.mark.django_db(transaction=True)  # the worker commits and closes connections
def test_tied_loser_gets_bid_matched(make_lead, make_customer, make_bid, fund, market, run_tasks, allocate):
    _category, auto, _source = market
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    fund(zest, 10_000)
    fund(yolk, 10_000)
    make_bid(zest, auto, amount=3000)
    make_bid(yolk, auto, amount=3000)

    result = allocate(lead=make_lead())
    run_tasks()

    loser = yolk if result.customer_id == zest.pk else zest
    matched = Notification.objects.filter(type=NotificationType.BID_MATCHED, channel=Channel.IN_APP)
    assert list(matched.values_list("customer_id", flat=True)) == [loser.pk]


@pytest.mark.django_db(transaction=True)  # the worker commits and closes connections
def test_under_funded_bids_after_the_charge(
    make_lead, make_customer, make_bid, fund, market, run_tasks, allocate
):
    _category, auto, _source = market
    zest, yolk = make_customer("Zest"), make_customer("Yolk")
    fund(zest, 6000)
    fund(yolk, 10_000)
    make_bid(zest, auto, amount=5000)
    make_bid(yolk, auto, amount=2000)

    allocate(lead=make_lead())  # Zest pays 5000: 1000 left, below its 5000 bid
    run_tasks()

    assert Notification.objects.filter(
        customer=zest, type=NotificationType.UNDER_FUNDED_BIDS, channel=Channel.IN_APP
    ).exists()


@pytest.mark.django_db(transaction=True)  # the worker commits and closes connections
def test_losers_never_see_the_winners_lead_details(make_lead, buyers, run_tasks, allocate):
    _zest, yolk, _kiwi = buyers
    allocate(lead=make_lead())
    run_tasks()
    body = Notification.objects.get(customer=yolk, channel=Channel.IN_APP).body
    assert "Ada" not in body and "Lovelace" not in body


def count_queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


@pytest.mark.parametrize("limits", [False, True])
def test_query_count_is_constant_in_the_number_of_bids(
    limits, market, make_lead, make_customer, make_bid, fund
):
    _category, auto, _source = market
    extra = {"daily_cap": 1000} if limits else {}

    def market_with(bids: int) -> None:
        for index in range(bids):
            customer = make_customer(f"Buyer {len(Lead.objects.all())}-{index}-{bids}")
            fund(customer, 100_000)
            make_bid(customer, auto, amount=1000 + 100 * (index % 40), **extra)

    market_with(1)
    lead_allocate(lead=make_lead())  # warm caches (content types, settings)
    one = count_queries(lambda: lead_allocate(lead=make_lead()))
    market_with(49)
    fifty = count_queries(lambda: lead_allocate(lead=make_lead()))

    assert one == fifty, (one, fifty)
    assert fifty <= 25
