"""Filter forms ask htmx for their page's path, not "" (the current address): with "" each change added the
form's fields to the address again (?q=a&q=a&sort=name&sort=-name…) and the next page read stale ones."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_every_filter_form_gets_its_own_path(login_client, alice, buyer, acme_customer):
    customer = f"/manage/acme-leads/customers/{acme_customer.public_id}/"
    staff_pages = [
        "/manage/acme-leads/customers/", f"{customer}transactions/", f"{customer}leads/",
        "/manage/acme-leads/leads/", "/manage/acme-leads/submissions/",
    ]  # fmt: skip
    staff, portal = login_client(alice), login_client(buyer)

    forms = {url: _targets(staff.get(f"{url}?q=x&page=1").content.decode()) for url in staff_pages}
    forms["/app/transactions/"] = _targets(portal.get("/app/transactions/?q=x").content.decode())

    assert forms == {url: [url] for url in forms}


def test_the_customer_list_sort_travels_with_the_table(login_client, alice, acme_customer):
    client = login_client(alice)

    response = client.get("/manage/acme-leads/customers/?sort=-created", HTTP_HX_REQUEST="true")
    partial = response.content.decode()

    assert '<input type="hidden" name="sort" value="-created" form="customer-filters">' in partial


def _targets(html: str) -> list[str]:
    return re.findall(r'<form class="filters[^"]*"[^>]*?hx-get="([^"]*)"', html, re.S)
