"""Malformed query strings (a NUL byte, which PostgreSQL refuses in text) never make a page answer 500."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NUL = "a%00b"
PARAMS = "&".join(
    f"{name}={NUL}"
    for name in (
        "q", "lead_type", "status", "from", "until", "min_price", "max_price", "channel", "lead", "state",
        "scope", "amount", "tenant", "sort", "funding", "operational", "archived", "page",
    )
)  # fmt: skip


def _quiet(client: Client) -> Client:
    client.raise_request_exception = False
    return client


def test_login_with_a_nul_byte_in_the_tenant_answers_the_plain_login_page():
    response = _quiet(Client()).get(f"/login/?tenant={NUL}")

    assert response.status_code == 200
    assert "Register" not in response.content.decode()


def test_return_request_form_with_a_nul_byte_in_the_lead_id_is_404(login_client, buyer):
    client = _quiet(login_client(buyer))

    assert client.get(f"/app/returns/new/?lead=lead_{NUL}").status_code == 404
    assert client.post("/app/returns/new/", {"lead": "lead_\x00", "reason": "x"}).status_code == 404


def test_staff_and_portal_list_pages_survive_nul_bytes_in_every_filter(
    login_client, alice, buyer, acme_customer
):
    customer = f"/manage/acme-leads/customers/{acme_customer.public_id}/"
    staff_pages = [
        "/manage/acme-leads/customers/", f"{customer}leads/", f"{customer}transactions/", f"{customer}bids/",
        f"{customer}notifications/", f"{customer}transactions.csv", "/manage/acme-leads/leads/",
        "/manage/acme-leads/submissions/", "/manage/acme-leads/returns/", "/manage/acme-leads/bids/counties/",
        "/manage/acme-leads/disputes", "/manage/acme-leads/settings/jobs/",
    ]  # fmt: skip
    portal_pages = [
        "/app/", "/app/leads/", "/app/leads.csv", "/app/transactions/", "/app/transactions.csv", "/app/bids/",
        "/app/bids/preview/", "/app/returns/", "/app/returns/new/", "/app/notifications/", "/app/payments/",
    ]  # fmt: skip
    staff, portal = _quiet(login_client(alice)), _quiet(login_client(buyer))

    statuses = {url: staff.get(f"{url}?{PARAMS}").status_code for url in staff_pages}
    statuses |= {url: portal.get(f"{url}?{PARAMS}").status_code for url in portal_pages}

    assert {url: status for url, status in statuses.items() if status >= 500} == {}
