"""Seed 000: the operational status is "controlled by you or them": a Customer Admin pauses and resumes."""

from __future__ import annotations

from juiced.customers.models import CustomerMembership
from juiced.customers.services import customer_pause
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole


def test_a_customer_admin_pauses_and_resumes_their_account(login_client, buyer, acme_customer):
    client = login_client(buyer)
    assert "Pause account" in client.get("/app/").content.decode()
    assert client.post("/app/account/pause").status_code == 302
    acme_customer.refresh_from_db()
    assert acme_customer.is_paused
    assert "Resume account" in client.get("/app/").content.decode()
    client.post("/app/account/resume")
    acme_customer.refresh_from_db()
    assert not acme_customer.is_paused


def test_a_pause_set_by_staff_only_staff_lift(login_client, buyer, alice, acme_customer):
    customer_pause(customer=acme_customer, actor=alice)
    client = login_client(buyer)
    page = client.get("/app/").content.decode()
    assert "ask them to resume it" in page and "Resume account" not in page
    client.post("/app/account/resume")
    acme_customer.refresh_from_db()
    assert acme_customer.is_paused


def test_a_customer_user_cannot_pause(login_client, acme_customer):
    user = User.objects.create_user(email="viewer@acmeins.test", password="x-password-1", name="Viewer")
    CustomerMembership.objects.create(customer=acme_customer, user=user, role=CustomerRole.CUSTOMER_USER)
    client = login_client(user)
    assert "Pause account" not in client.get("/app/").content.decode()
    assert client.post("/app/account/pause").status_code == 403
    acme_customer.refresh_from_db()
    assert not acme_customer.is_paused


def test_pausing_touches_only_the_users_own_customer(login_client, buyer, acme_customer, bolt_customer):
    login_client(buyer).post("/app/account/pause")
    bolt_customer.refresh_from_db()
    assert not bolt_customer.is_paused
