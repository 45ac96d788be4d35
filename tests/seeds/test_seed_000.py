"""Seed 000 (customers), the sentences no other test proved precisely. Each test names the sentence it
proves; docs/seed-traceability.md points at it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from juiced.customers.models import Customer, CustomerMembership
from juiced.customers.selectors import customer_statuses
from juiced.customers.services import (
    customer_archive,
    customer_create,
    customer_pause,
    customer_restore,
    customer_unpause,
)
from juiced.customers.status import CapStatus, Display, Funding
from juiced.leads.allocation import lead_allocate
from juiced.leads.models import Lead, LeadStatus, UsageCounter
from juiced.notifications.models import Notification
from juiced.notifications.services import contact_create
from juiced.payments.models import Payment
from juiced.returns.services import return_approve, return_request
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole
from juiced.wallets.models import Transaction, TransactionEvent
from juiced.wallets.selectors import adjustment_timeline
from juiced.wallets.services import Related, hold_place, wallet_credit, wallet_debit
from tests.conftest import PASSWORD
from tests.web.conftest import customer_url

pytestmark = pytest.mark.django_db

LIST = "/manage/acme-leads/customers/"
REASON = "Invalid e-mail address"  # one of the tenant's default return reasons


@pytest.fixture
def market(tenant_a, make_category, make_lead_type, make_source):
    category = make_category(tenant_a)
    lead_type = make_lead_type(category, "Auto", minimum=1000, step=100)
    source, _secret = make_source(tenant_a, category=category)
    return category, lead_type, source


@pytest.fixture
def new_lead(market):
    category, lead_type, source = market

    def make() -> Lead:
        return Lead.objects.create(
            tenant=category.tenant, source=source, category=category, lead_type=lead_type,
            status=LeadStatus.PROCESSING, data={"first_name": "Ada", "email": "ada@example.com"},
            zip_code="90001", state="CA", county="Los Angeles County",
        )  # fmt: skip

    return make


def customer(name: str, tenant, actor, **extra) -> Customer:
    return customer_create(
        tenant=tenant, actor=actor, data={"name": name, "email": f"{name.lower()}@example.com", **extra}
    )


def names_in(response) -> list[str]:
    return [row_customer.name for row_customer, _statuses in response.context["rows"]]


# --- customers vs users ---------------------------------------------------------------------------------


def test_one_customer_has_several_users_who_all_see_its_wallet(funded, buyer, login_client):
    colleague = User.objects.create_user(email="colleague@acmeins.test", password=PASSWORD, name="Cole")
    CustomerMembership.objects.create(customer=funded, user=colleague, role=CustomerRole.CUSTOMER_USER)
    for user in (buyer, colleague):
        html = login_client(user).get("/app/transactions/").content.decode()
        assert "Opening credit" in html, user.email


# --- the customer list ----------------------------------------------------------------------------------


def test_list_search_finds_a_customer_by_its_name_or_its_email(acme_customer, tenant_a, alice, login_client):
    customer("Zephyr", tenant_a, alice)
    client = login_client(alice)
    assert names_in(client.get(LIST, {"q": "acme insur"})) == ["Acme Insurance"]
    assert names_in(client.get(LIST, {"q": "zephyr@example"})) == ["Zephyr"]
    assert names_in(client.get(LIST, {"q": "nobody-at-all"})) == []


def test_list_filters_by_operational_status(acme_customer, tenant_a, alice, login_client):
    paused = customer("Paused", tenant_a, alice)
    customer_pause(customer=paused, actor=alice)
    archived = customer("Archived", tenant_a, alice)
    customer_archive(customer=archived, actor=alice)
    client = login_client(alice)
    assert names_in(client.get(LIST, {"operational": "active"})) == ["Acme Insurance"]
    assert names_in(client.get(LIST, {"operational": "paused"})) == ["Paused"]
    assert names_in(client.get(LIST, {"operational": "archived"})) == ["Archived"]


# --- creating a customer manually -----------------------------------------------------------------------


def test_phone_and_address_are_optional_and_kept(tenant_a, alice):
    bare = customer("Bare", tenant_a, alice)
    assert (bare.phone, bare.address1, bare.city, bare.zip_code) == ("", "", "", "")
    full = customer(
        "Full", tenant_a, alice, phone="+1 555 0100", address1="1 Main St", address2="Suite 2",
        city="Springfield", state="IL", zip_code="62701",
    )  # fmt: skip
    full.refresh_from_db()
    assert (full.phone, full.address1, full.address2, full.city, full.state, full.zip_code) == (
        "+1 555 0100", "1 Main St", "Suite 2", "Springfield", "IL", "62701",
    )  # fmt: skip


# --- overview metrics ------------------------------------------------------------------------------------


def overview(login_client, alice, target: Customer):
    response = login_client(alice).get(customer_url(target))
    assert response.status_code == 200
    return response


def test_overview_revenue_is_what_assigned_leads_cost(acme_customer, alice, login_client, sold_lead):
    wallet_credit(wallet=acme_customer.wallet, amount=50_00, description="Credit, not revenue", actor=alice)
    sold_lead(acme_customer, 25_00)
    sold_lead(acme_customer, 12_50)
    response = overview(login_client, alice, acme_customer)
    assert response.context["stats"].revenue == 37_50
    assert "$37.50" in response.content.decode()


def test_overview_wallet_is_the_balance_minus_reserved_funds(funded, alice, login_client):
    hold_place(wallet=funded.wallet, amount=30_00, description="Reserved for a ping")
    response = overview(login_client, alice, funded)
    stats = response.context["stats"]
    assert (stats.balance, stats.held, stats.available) == (100_00, 30_00, 70_00)
    html = response.content.decode()
    assert "$70.00" in html and "$30.00 held" in html


def test_overview_active_bids_counts_only_running_bids(acme_customer, alice, login_client, market, make_bid):
    _category, lead_type, _source = market
    make_bid(acme_customer, lead_type, amount=2000)
    make_bid(acme_customer, lead_type, amount=2000, scope="state", state="CA")
    make_bid(acme_customer, lead_type, amount=2000, scope="state", state="NV", is_paused=True)
    make_bid(acme_customer, lead_type, amount=2000, scope="state", state="OR", archived_at=timezone.now())
    assert overview(login_client, alice, acme_customer).context["stats"].active_bids == 2


def test_overview_return_rate_is_the_share_returned(tenant_a, acme_customer, alice, login_client, sold_lead):
    kept = sold_lead(acme_customer, 30_00)
    returned = sold_lead(acme_customer, 10_00)
    assert kept.customer == acme_customer
    request = return_request(
        tenant=tenant_a, lead_id=returned.public_id, reason=REASON, actor=alice, customer=acme_customer
    )
    return_approve(tenant=tenant_a, request_id=request.public_id, actor=alice)
    response = overview(login_client, alice, acme_customer)
    assert str(response.context["stats"].return_rate) == "25.00"  # $10 of $40
    assert "25.00%" in response.content.decode()


# --- statuses and who receives leads ---------------------------------------------------------------------


def test_only_an_active_customer_allowed_to_bid_receives_the_lead(
    tenant_a, alice, market, new_lead, make_bid, fund
):
    _category, lead_type, _source = market
    people = {name: customer(name, tenant_a, alice) for name in ("Active", "Paused", "Archived", "NoBidding")}
    for index, person in enumerate(people.values()):
        fund(person, 100_00)
        # The ineligible customers bid more: they would win if they competed.
        make_bid(person, lead_type, amount=2000 if person.name == "Active" else 5000 + index * 100)
    customer_pause(customer=people["Paused"], actor=alice)
    customer_archive(customer=people["Archived"], actor=alice)
    Customer.objects.filter(pk=people["NoBidding"].pk).update(can_access_bidding=False)

    lead = new_lead()
    lead_allocate(lead=lead)
    lead.refresh_from_db()
    assert lead.customer == people["Active"] and lead.status == LeadStatus.ASSIGNED
    for name in ("Paused", "Archived", "NoBidding"):
        assert not Transaction.objects.filter(
            wallet__customer=people[name], event=TransactionEvent.LEAD_ASSIGNED
        ).exists(), name


def test_an_exhausted_customer_receives_no_lead(acme_customer, market, new_lead, make_bid):
    _category, lead_type, _source = market
    make_bid(acme_customer, lead_type, amount=2000)
    assert customer_statuses(acme_customer).funding is Funding.EXHAUSTED
    lead = new_lead()
    lead_allocate(lead=lead)
    lead.refresh_from_db()
    assert lead.customer is None and lead.status == LeadStatus.UNASSIGNED
    assert acme_customer.wallet.transactions.count() == 0


@pytest.mark.parametrize("period", ["weekly", "monthly"])
def test_a_reached_weekly_or_monthly_cap_exhausts_the_customer(tenant_a, alice, period):
    capped = customer("Capped", tenant_a, alice, **{f"{period}_cap": 3})
    assert customer_statuses(capped).cap is CapStatus.AVAILABLE
    now = timezone.now()
    # The period starts on Monday (weekly) or on the 1st (monthly), in UTC.
    start = (now - timedelta(days=now.weekday())) if period == "weekly" else now.replace(day=1)
    counter = UsageCounter.objects.create(
        tenant=tenant_a, customer=capped, period=period, period_start=start.date(), leads=3
    )
    statuses = customer_statuses(capped, now=now)
    assert (statuses.cap, statuses.display) == (CapStatus.EXHAUSTED, Display.INACTIVE)
    # A count from an earlier period does not exhaust this one.
    counter.period_start = start.date() - timedelta(days=40)
    counter.save()
    assert customer_statuses(capped, now=now).cap is CapStatus.AVAILABLE


def test_archiving_keeps_the_history_and_restore_brings_the_customer_back(
    funded, alice, login_client, sold_lead
):
    lead = sold_lead(funded, 25_00)
    before = list(funded.wallet.transactions.values_list("public_id", flat=True))
    customer_archive(customer=funded, actor=alice)
    assert customer_statuses(Customer.objects.get(pk=funded.pk)).display is Display.ARCHIVED
    assert list(funded.wallet.transactions.values_list("public_id", flat=True)) == before
    Lead.objects.get(pk=lead.pk, customer=funded)
    page = login_client(alice).get(customer_url(funded, "transactions/")).content.decode()
    assert "Opening credit" in page  # still readable while archived
    restored = customer_restore(customer=funded, actor=alice)
    assert customer_statuses(restored).display is not Display.ARCHIVED


# --- wallet management -----------------------------------------------------------------------------------


def test_tenant_adjustments_move_the_wallet_without_any_card_payment(acme_customer, alice):
    # What the Add Funds and Remove Funds forms call (tests/web/test_customer_wallet.py drives the forms).
    wallet_credit(wallet=acme_customer.wallet, amount=40_00, description="Goodwill credit", actor=alice)
    wallet_debit(wallet=acme_customer.wallet, amount=15_00, description="Correction", actor=alice)
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 25_00
    events = list(acme_customer.wallet.transactions.order_by("id").values_list("event", "amount"))
    assert events == [
        (TransactionEvent.FUNDS_ADDED_BY_TENANT, 40_00),
        (TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT, -15_00),
    ]
    assert not Payment.objects.exists()  # no card was charged or refunded


def test_the_timeline_lists_adjustments_only_with_who_and_why(funded, alice):
    wallet_debit(
        wallet=funded.wallet, amount=10_00, event=TransactionEvent.LEAD_ASSIGNED, description="Lead",
        related=Related("lead", "lead_x"),
    )  # fmt: skip
    wallet_debit(
        wallet=funded.wallet, amount=5_00, event=TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT,
        description="Clawback", actor=alice,
    )  # fmt: skip
    timeline = list(adjustment_timeline(wallet=funded.wallet))
    assert [(t.event, t.description, t.actor) for t in timeline] == [
        (TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT, "Clawback", alice),
        (TransactionEvent.FUNDS_ADDED_BY_TENANT, "Opening credit", alice),
    ]


def test_the_transactions_list_shows_when_amount_event_and_id(funded, alice, login_client):
    txn = wallet_debit(
        wallet=funded.wallet, amount=12_34, event=TransactionEvent.LEAD_ASSIGNED, description="Lead",
        related=Related("lead", "lead_abc"),
    )[0]  # fmt: skip
    html = login_client(alice).get(customer_url(funded, "transactions/")).content.decode()
    row = html[html.index(txn.public_id) - 2000 : html.index(txn.public_id)]
    assert (
        f'datetime="{txn.created_at.isoformat()}"' in row or txn.created_at.strftime("%Y-%m-%d %H:%M") in row
    )
    assert "−$12.34" in row or "-$12.34" in row
    assert "Lead Assigned" in row
    assert txn.public_id.startswith("txn_")


# --- notifications -------------------------------------------------------------------------------------


def test_pause_and_unpause_each_send_their_notification(acme_customer, alice):
    customer_pause(customer=acme_customer, actor=alice)
    customer_unpause(customer=acme_customer, actor=alice)
    sent = list(
        Notification.objects.filter(customer=acme_customer, channel="in_app")
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert sent == ["account_paused", "account_unpaused"]


def test_each_contact_gets_only_the_notifications_it_enabled(acme_customer, alice):
    contact_create(customer=acme_customer, actor=alice, data={"kind": "email", "value": "ops@acme.test"})
    boss = {
        "kind": "email",
        "value": "boss@acme.test",
        "name": "Boss",
        "preferences": {"account_paused": False},
    }
    contact_create(customer=acme_customer, actor=alice, data=boss)
    customer_pause(customer=acme_customer, actor=alice)
    customer_unpause(customer=acme_customer, actor=alice)
    emails = set(Notification.objects.filter(channel="email").values_list("type", "recipient"))
    assert emails == {
        ("account_paused", "ops@acme.test"),
        ("account_unpaused", "ops@acme.test"),
        ("account_unpaused", "boss@acme.test"),
    }
