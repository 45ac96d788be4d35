"""Every dashboard customer page and action: another tenant's staff and customer users get 404,
roles without the permission get 403, and a refused request changes nothing."""

from __future__ import annotations

import pytest

from juiced.core.models import AuditEntry
from juiced.customers.models import Customer, CustomerMembership
from juiced.tenants.models import Invite
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.tenants.services import invite_create
from juiced.wallets.models import Transaction
from tests.web.conftest import customer_url

PAGES = ["", "edit/", "wallet/", "transactions/", "funds/", "users/", "invites/", "transactions.csv"]


def _post_actions(customer, invite, member):
    """(url suffix, form data) for every POST on a customer's pages."""
    return [
        ("edit/", {"name": "Renamed", "email": "new@acmeins.test"}),
        ("archive/", {}),
        ("pause/", {}),
        ("toggles/is_onboarded/", {"value": "on"}),
        ("wallet/add/", {"add-amount": "5", "add-description": "x", "add-idempotency_key": "k-add"}),
        (
            "wallet/remove/",
            {"remove-amount": "5", "remove-description": "x", "remove-idempotency_key": "k-rm"},
        ),
        ("invites/", {"email": "new@acmeins.test", "role": CustomerRole.CUSTOMER_USER}),
        (f"invites/{invite.public_id}/resend/", {}),
        (f"invites/{invite.public_id}/revoke/", {}),
        (f"users/{member.public_id}/detach/", {}),
    ]


@pytest.fixture
def invite(acme_customer, alice):
    invite, _raw = invite_create(
        tenant=acme_customer.tenant,
        actor=alice,
        email="pending@acmeins.test",
        role="customer_user",
        customer=acme_customer,
    )
    return invite


def snapshot(customer):
    customer.refresh_from_db()
    customer.wallet.refresh_from_db()
    return (
        customer.name,
        customer.is_paused,
        customer.archived_at,
        customer.is_onboarded,
        customer.wallet.balance,
        Transaction.objects.count(),
        Invite.objects.filter(revoked_at__isnull=True).count(),
        CustomerMembership.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("suffix", PAGES)
def test_another_tenants_staff_gets_404_on_every_page(suffix, acme_customer, bob, login_client):
    assert login_client(bob).get(customer_url(acme_customer, suffix)).status_code == 404


@pytest.mark.parametrize("suffix", PAGES)
def test_a_customer_user_gets_404_on_every_dashboard_page(suffix, acme_customer, buyer, login_client):
    assert login_client(buyer).get(customer_url(acme_customer, suffix)).status_code == 404


def test_customer_list_and_create_are_404_for_other_tenants_staff(tenant_a, bob, login_client):
    client = login_client(bob)
    assert client.get("/manage/acme-leads/customers/").status_code == 404
    response = client.post("/manage/acme-leads/customers/new/", {"name": "X", "email": "x@x.test"})
    assert response.status_code == 404
    assert not Customer.objects.filter(name="X").exists()


def test_a_customer_id_of_another_tenant_is_404_even_under_ones_own_tenant(
    alice, bolt_customer, login_client
):
    url = f"/manage/acme-leads/customers/{bolt_customer.public_id}/"
    assert login_client(alice).get(url).status_code == 404
    assert login_client(alice).get(url + "wallet/").status_code == 404
    assert login_client(alice).get(url + "transactions/").status_code == 404
    assert login_client(alice).get(url + "invites/").status_code == 404


def test_every_post_from_another_tenants_staff_is_404_and_changes_nothing(
    acme_customer, buyer, invite, bob, login_client
):
    before = snapshot(acme_customer)
    client = login_client(bob)
    for suffix, data in _post_actions(acme_customer, invite, buyer):
        assert client.post(customer_url(acme_customer, suffix), data).status_code == 404, suffix
    assert snapshot(acme_customer) == before


def test_every_post_from_a_customer_user_is_404_and_changes_nothing(
    acme_customer, buyer, invite, login_client
):
    before = snapshot(acme_customer)
    client = login_client(buyer)
    for suffix, data in _post_actions(acme_customer, invite, buyer):
        assert client.post(customer_url(acme_customer, suffix), data).status_code == 404, suffix
    assert snapshot(acme_customer) == before


def test_data_validation_cannot_see_customers(tenant_a, acme_customer, make_staff, login_client):
    client = login_client(make_staff(StaffRole.DATA_VALIDATION))
    assert client.get("/manage/acme-leads/customers/").status_code == 403
    assert client.get(customer_url(acme_customer)).status_code == 403


def test_sales_sees_customers_but_every_change_except_invites_is_refused(
    acme_customer, buyer, invite, make_staff, login_client
):
    client = login_client(make_staff(StaffRole.SALES))
    assert client.get("/manage/acme-leads/customers/").status_code == 200
    assert client.get(customer_url(acme_customer, "transactions/")).status_code == 200
    assert client.get(customer_url(acme_customer, "funds/")).status_code == 200
    before = snapshot(acme_customer)
    for suffix, data in _post_actions(acme_customer, invite, buyer):
        if suffix.startswith("invites/"):
            continue  # Sales may send, resend and revoke invites (roles.mdx)
        assert client.post(customer_url(acme_customer, suffix), data).status_code == 403, suffix
    response = client.post("/manage/acme-leads/customers/new/", {"name": "X", "email": "x@x.test"})
    assert response.status_code == 403
    assert snapshot(acme_customer) == before
    assert not Customer.objects.filter(name="X").exists()


def test_sales_does_not_see_buttons_it_cannot_use(acme_customer, buyer, make_staff, login_client):
    client = login_client(make_staff(StaffRole.SALES))
    overview = client.get(customer_url(acme_customer)).content.decode()
    funds = client.get(customer_url(acme_customer, "funds/")).content.decode()
    users = client.get(customer_url(acme_customer, "users/")).content.decode()
    invites = client.get(customer_url(acme_customer, "invites/")).content.decode()
    listing = client.get("/manage/acme-leads/customers/").content.decode()
    assert "Archive" not in overview and "/edit/" not in overview
    assert "Add funds" not in overview and "Remove funds" not in overview and "Timeline" in overview
    assert "Add funds" not in funds and "Remove funds" not in funds
    assert "Detach" not in users and "Send invitation" in invites
    assert "Create customer" not in listing


def test_customer_support_manages_funds(acme_customer, make_staff, login_client):
    client = login_client(make_staff(StaffRole.CUSTOMER_SUPPORT))
    data = {"add-amount": "12.50", "add-description": "Goodwill", "add-idempotency_key": "k1"}
    response = client.post(customer_url(acme_customer, "wallet/add/"), data)
    assert response.status_code == 302
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 1250


def test_anonymous_visitors_are_sent_to_log_in(acme_customer, client):
    response = client.get(customer_url(acme_customer))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
