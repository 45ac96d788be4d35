"""The customer page's tab bar in the seed's order, the funds actions on the Overview, the Transactions tab
(linked events, the old wallet/ URL), the Users tab's Detach and the Invites tab's Resend and Revoke."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from juiced.core.models import AuditEntry
from juiced.customers.models import CustomerMembership
from juiced.customers.services import customer_create
from juiced.tenants.models import Invite, User
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.tenants.services import invite_create
from juiced.wallets.models import TransactionEvent
from juiced.wallets.services import Related, wallet_credit, wallet_debit
from juiced.web.views.customer_tabs import related_url
from tests.conftest import PASSWORD
from tests.mailbox import invite_path
from tests.web.conftest import customer_url

TABS = [
    ("Overview", ""),
    ("Bids", "bids/"),
    ("Leads", "leads/"),
    ("Transactions", "transactions/"),
    ("Payment methods", "payment-methods/"),
    ("Contacts", "contacts/"),
    ("Webhooks", "webhooks/"),
    ("Notifications", "notifications/"),
    ("Users", "users/"),
    ("Invites", "invites/"),
]


def tab_bar(html: str) -> list[tuple[str, str, bool]]:
    """(label, href, current) for each link of the customer tab bar."""
    nav = re.search(r'<nav class="tabs" aria-label="Customer">(.*?)</nav>', html, re.S).group(1)
    return [
        (label, href, "aria-current" in attrs)
        for href, attrs, label in re.findall(r'<a href="([^"]+)"([^>]*)>([^<]+)</a>', nav)
    ]


@pytest.fixture
def invite(acme_customer, alice):
    invite, _raw = invite_create(
        tenant=acme_customer.tenant,
        actor=alice,
        email="pending@acmeins.test",
        role=CustomerRole.CUSTOMER_USER,
        customer=acme_customer,
    )
    return invite


# --- the tab bar --------------------------------------------------------------------------------------


def test_the_tab_bar_lists_the_seeds_tabs_in_order_with_notifications_after_webhooks(
    acme_customer, alice, login_client
):
    html = login_client(alice).get(customer_url(acme_customer)).content.decode()
    bar = tab_bar(html)
    assert [label for label, _href, _current in bar] == [label for label, _suffix in TABS]
    assert [href for _label, href, _current in bar] == [customer_url(acme_customer, s) for _l, s in TABS]


@pytest.mark.parametrize("label,suffix", TABS)
def test_every_tab_opens_and_marks_itself_current(label, suffix, acme_customer, alice, login_client):
    response = login_client(alice).get(customer_url(acme_customer, suffix))
    assert response.status_code == 200
    current = [tab_label for tab_label, _href, is_current in tab_bar(response.content.decode()) if is_current]
    assert current == [label]


def test_the_overview_offers_add_funds_remove_funds_and_the_timeline(acme_customer, alice, login_client):
    html = login_client(alice).get(customer_url(acme_customer)).content.decode()
    funds = customer_url(acme_customer, "funds/")
    assert f'href="{funds}#add-funds">Add funds</a>' in html
    assert f'href="{funds}#remove-funds">Remove funds</a>' in html
    assert f'href="{funds}#timeline">Timeline</a>' in html
    page = login_client(alice).get(funds).content.decode()
    assert 'id="add-funds"' in page and 'id="remove-funds"' in page and 'id="timeline"' in page


def test_the_timeline_shows_who_adjusted_funds_and_why(funded, alice, login_client):
    wallet_debit(wallet=funded.wallet, amount=1500, description="Clawback of a promo", actor=alice)
    page = login_client(alice).get(customer_url(funded, "funds/"))
    rows = [(t.event, t.amount, t.description, t.actor_label) for t in page.context["timeline"]]
    assert rows == [
        (TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT, -1500, "Clawback of a promo", "alice@acme.test"),
        (TransactionEvent.FUNDS_ADDED_BY_TENANT, 100_00, "Opening credit", "alice@acme.test"),
    ]
    assert "Clawback of a promo" in page.content.decode()


# --- Transactions tab -----------------------------------------------------------------------------------


def test_transactions_show_time_amount_linked_event_and_id(funded, alice, login_client, sold_lead):
    lead = sold_lead(funded, price=2500, fund=False)
    charge = lead.transaction
    refund, _ = wallet_credit(
        wallet=funded.wallet,
        amount=2500,
        event=TransactionEvent.LEAD_RETURNED,
        description="Return ret_xyz",
        related=Related("return", "ret_xyz"),
    )
    response = login_client(alice).get(customer_url(funded, "transactions/"))
    html = response.content.decode()
    assert [t.public_id for t in response.context["page"].object_list][:2] == [
        refund.public_id,
        charge.public_id,
    ]
    lead_link = (
        f'<a href="/manage/acme-leads/leads/{lead.public_id}/" hx-boost="false">lead {lead.public_id}</a>'
    )
    assert lead_link in html
    returns = f"/manage/acme-leads/returns/?status=all&amp;customer={funded.public_id}#row-ret_xyz"
    assert f'<a href="{returns}" hx-boost="false">return ret_xyz</a>' in html
    charge_row = next(row for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if charge.public_id in row)
    assert (
        "Lead Assigned" in charge_row and "-$25.00" in charge_row and f"lead {lead.public_id}" in charge_row
    )
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d</time>', charge_row)
    refund_row = next(row for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if refund.public_id in row)
    assert "Lead Returned" in refund_row and "+$25.00" in refund_row
    assert "Export CSV" in html


def test_transactions_link_only_records_the_viewer_can_open(funded, alice, make_staff, login_client):
    """A lead id with no lead row (imported or made-up history) and, for Sales, a payment stay plain text."""
    wallet_debit(
        wallet=funded.wallet,
        amount=2500,
        event=TransactionEvent.LEAD_ASSIGNED,
        description="Lead from the old system",
        related=Related("lead", "lead_01m850qargvm4fr42cjn0b70mq"),
    )
    wallet_credit(
        wallet=funded.wallet,
        amount=1000,
        event=TransactionEvent.FUNDS_ADDED,
        description="Card deposit",
        related=Related("payment", "pay_1"),
    )
    payment_link = f"{customer_url(funded)}payment-methods/#payment-pay_1"

    admin_html = login_client(alice).get(customer_url(funded, "transactions/")).content.decode()
    sales_html = (
        login_client(make_staff(StaffRole.SALES)).get(customer_url(funded, "transactions/")).content.decode()
    )

    assert "/leads/lead_01m850qargvm4fr42cjn0b70mq/" not in admin_html
    assert '<div class="muted small mono">lead lead_01m850qargvm4fr42cjn0b70mq</div>' in admin_html
    assert f'href="{payment_link}"' in admin_html
    assert f'href="{payment_link}"' not in sales_html and "payment pay_1" in sales_html


def test_related_url_points_at_the_record_or_nowhere():
    common = {"tenant_slug": "acme-leads", "customer_id": "cus_1"}
    assert (
        related_url(**common, related_type="lead", related_id="lead_1") == "/manage/acme-leads/leads/lead_1/"
    )
    assert related_url(**common, related_type="payment", related_id="pay_1") == (
        "/manage/acme-leads/customers/cus_1/payment-methods/#payment-pay_1"
    )
    assert related_url(**common, related_type="return", related_id="ret_1").endswith(
        "customer=cus_1#row-ret_1"
    )
    assert related_url(**common, related_type="ping", related_id="abc") == ""
    assert related_url(**common, related_type="lead", related_id="") == ""


def test_the_old_wallet_url_redirects_to_transactions_keeping_the_filters(funded, alice, login_client):
    response = login_client(alice).get(customer_url(funded, "wallet/"), {"q": "Opening"})
    assert response.status_code == 302
    assert response["Location"] == customer_url(funded, "transactions/") + "?q=Opening"


def test_adding_funds_from_the_overview_lands_on_the_timeline_page(acme_customer, alice, login_client):
    client = login_client(alice)
    data = {"add-amount": "40", "add-description": "Welcome", "add-idempotency_key": "k-1"}
    response = client.post(customer_url(acme_customer, "wallet/add/"), data, follow=True)
    assert response.redirect_chain == [(customer_url(acme_customer, "funds/"), 302)]
    html = response.content.decode()
    assert "Added $40.00." in html and "Welcome" in html


# --- Users tab: Detach ----------------------------------------------------------------------------------


def test_users_tab_lists_the_customers_users(acme_customer, buyer, alice, login_client):
    html = login_client(alice).get(customer_url(acme_customer, "users/")).content.decode()
    assert "buyer@acmeins.test" in html and "Betty Buyer" in html and "Customer Admin" in html
    assert "Detach" in html


def test_detaching_a_user_removes_access_to_this_customer_only(
    acme_customer, buyer, alice, login_client, make_customer
):
    other = make_customer("other")
    CustomerMembership.objects.create(customer=other, user=buyer, role=CustomerRole.CUSTOMER_USER)
    client = login_client(alice)
    response = client.post(customer_url(acme_customer, f"users/{buyer.public_id}/detach/"))
    assert response.status_code == 302 and response["Location"] == customer_url(acme_customer, "users/")
    assert not CustomerMembership.objects.filter(customer=acme_customer, user=buyer).exists()
    assert CustomerMembership.objects.filter(customer=other, user=buyer).exists()
    assert AuditEntry.objects.filter(customer=acme_customer, action="customer.user_detached").exists()
    page = client.get(customer_url(acme_customer, "users/")).content.decode()
    assert "User detached from this customer." in page and "buyer@acmeins.test" not in page


@pytest.fixture
def make_customer(tenant_a, alice):
    def make(name: str):
        return customer_create(tenant=tenant_a, actor=alice, data={"name": name, "email": f"{name}@x.test"})

    return make


def test_detach_refuses_another_tenants_customer_with_404_and_changes_nothing(
    acme_customer, buyer, bob, bolt_customer, alice, login_client
):
    url = customer_url(acme_customer, f"users/{buyer.public_id}/detach/")
    assert login_client(bob).post(url).status_code == 404
    # alice under her own tenant cannot reach Bolt's customer either
    bolt_user = User.objects.create_user(email="b@boltroof.test", password=PASSWORD)
    CustomerMembership.objects.create(customer=bolt_customer, user=bolt_user, role=CustomerRole.CUSTOMER_USER)
    foreign = f"/manage/acme-leads/customers/{bolt_customer.public_id}/users/{bolt_user.public_id}/detach/"
    assert login_client(alice).post(foreign).status_code == 404
    assert CustomerMembership.objects.filter(user__in=[buyer, bolt_user]).count() == 2


def test_detaching_a_user_of_another_customer_is_404(
    acme_customer, buyer, alice, login_client, make_customer
):
    other = make_customer("other")
    stranger = User.objects.create_user(email="s@other.test", password=PASSWORD)
    CustomerMembership.objects.create(customer=other, user=stranger, role=CustomerRole.CUSTOMER_USER)
    url = customer_url(acme_customer, f"users/{stranger.public_id}/detach/")
    assert login_client(alice).post(url).status_code == 404
    assert CustomerMembership.objects.filter(customer=other, user=stranger).exists()


def test_sales_cannot_detach(acme_customer, buyer, make_staff, login_client):
    sales = login_client(make_staff(StaffRole.SALES))
    assert sales.post(customer_url(acme_customer, f"users/{buyer.public_id}/detach/")).status_code == 403
    assert CustomerMembership.objects.filter(customer=acme_customer, user=buyer).exists()


# --- Invites tab ----------------------------------------------------------------------------------------


def test_invites_tab_lists_pending_invites_with_resend_and_revoke(acme_customer, invite, alice, login_client):
    accepted, _ = invite_create(
        tenant=acme_customer.tenant, actor=alice, email="gone@acmeins.test", role="customer_user",
        customer=acme_customer,
    )  # fmt: skip
    Invite.objects.filter(pk=accepted.pk).update(revoked_at=accepted.created_at)
    html = login_client(alice).get(customer_url(acme_customer, "invites/")).content.decode()
    assert "<h2>Pending invites</h2>" in html
    row = re.search(rf'<li id="invite-{invite.public_id}">(.*?)</li>', html, re.S).group(1)
    assert "pending@acmeins.test" in row and "Customer User" in row
    assert f"invites/{invite.public_id}/resend/" in row and f"invites/{invite.public_id}/revoke/" in row
    assert "gone@acmeins.test" not in html


def test_inviting_from_the_invites_tab_returns_to_it(acme_customer, alice, login_client):
    data = {"email": "new@acmeins.test", "role": CustomerRole.CUSTOMER_USER}
    response = login_client(alice).post(customer_url(acme_customer, "invites/"), data)
    assert response.status_code == 302 and response["Location"] == customer_url(acme_customer, "invites/")
    assert Invite.objects.filter(customer=acme_customer, email="new@acmeins.test").exists()


def test_invite_form_errors_show_next_to_the_field_on_the_invites_tab(acme_customer, alice, login_client):
    response = login_client(alice).post(customer_url(acme_customer, "invites/"), {"email": "", "role": "x"})
    assert response.status_code == 422
    assert set(response.context["invite_form"].errors) >= {"role"}
    assert 'class="field-error"' in response.content.decode()
    assert not Invite.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_resend_mails_a_new_link_and_returns_to_the_invites_tab(
    acme_customer, invite, alice, login_client, run_tasks
):
    old_hash = invite.token_hash
    response = login_client(alice).post(customer_url(acme_customer, f"invites/{invite.public_id}/resend/"))
    assert response.status_code == 302 and response["Location"] == customer_url(acme_customer, "invites/")
    run_tasks()
    invite.refresh_from_db()
    assert invite.token_hash != old_hash
    assert Client().get(invite_path("pending@acmeins.test")).status_code == 200


def test_revoke_kills_the_invite_and_returns_to_the_invites_tab(acme_customer, invite, alice, login_client):
    client = login_client(alice)
    response = client.post(customer_url(acme_customer, f"invites/{invite.public_id}/revoke/"))
    assert response.status_code == 302 and response["Location"] == customer_url(acme_customer, "invites/")
    invite.refresh_from_db()
    assert invite.status == "revoked"
    html = client.get(customer_url(acme_customer, "invites/")).content.decode()
    assert "was revoked" in html and "No pending invites." in html


def test_another_tenants_staff_gets_404_on_the_invites_tab_and_its_actions(
    acme_customer, invite, bob, login_client
):
    client = login_client(bob)
    assert client.get(customer_url(acme_customer, "invites/")).status_code == 404
    for action in ("resend", "revoke"):
        url = customer_url(acme_customer, f"invites/{invite.public_id}/{action}/")
        assert client.post(url).status_code == 404
    invite.refresh_from_db()
    assert invite.status == "pending"


def test_a_customer_user_gets_404_on_the_new_tabs(acme_customer, buyer, login_client):
    client = login_client(buyer)
    for suffix in ("transactions/", "funds/", "invites/"):
        assert client.get(customer_url(acme_customer, suffix)).status_code == 404, suffix
