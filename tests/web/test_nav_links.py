"""Every dashboard link a staff member sees opens for their role: the main nav, the customer tabs and the
settings tabs never lead Sales, Customer Support or Data Validation to a "your role does not allow" page."""

from __future__ import annotations

import re

import pytest

from juiced.customers.models import CustomerMembership
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole, StaffRole
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NAVS = (r'<nav class="mainnav".*?</nav>', r'<nav class="tabs" aria-label="(?:Customer|Settings)">.*?</nav>')


def _nav_links(html: str) -> list[str]:
    navs = [block for pattern in NAVS for block in re.findall(pattern, html, re.S)]
    return [href for block in navs for href in re.findall(r'href="(/manage/[^"#?]+)"', block)]


def _walk_nav(client, start: str) -> dict[str, int]:
    """Follow nav links breadth-first from `start`; every reached page's status."""
    seen: dict[str, int] = {}
    queue = [start]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code == 200:
            queue.extend(_nav_links(response.content.decode()))
    return seen


@pytest.mark.parametrize(
    "role", [StaffRole.ADMIN, StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION]
)
def test_every_nav_and_tab_link_opens_for_the_role_that_sees_it(
    role, make_staff, login_client, acme_customer
):
    client = login_client(make_staff(role, email=f"{role}-nav@acme.test"))
    start = "/manage/acme-leads/leads/"
    customer_page = f"/manage/acme-leads/customers/{acme_customer.public_id}/"

    reached = _walk_nav(client, start)
    if client.get(customer_page).status_code == 200:
        reached |= _walk_nav(client, customer_page)

    refused = {url: status for url, status in reached.items() if status != 200}
    assert refused == {}
    assert len(reached) >= 2


def test_sales_sees_the_customer_tabs_it_may_open_and_not_payment_methods_or_webhooks(
    make_staff, login_client, acme_customer
):
    client = login_client(make_staff(StaffRole.SALES))

    html = client.get(f"/manage/acme-leads/customers/{acme_customer.public_id}/").content.decode()

    tabs = re.search(r'<nav class="tabs" aria-label="Customer">.*?</nav>', html, re.S).group(0)
    assert ">Transactions<" in tabs and ">Invites<" in tabs
    assert "Payment methods" not in tabs and ">Webhooks<" not in tabs


def test_customer_support_finds_the_read_only_return_tiers_under_settings(make_staff, login_client, tenant_a):
    client = login_client(make_staff(StaffRole.CUSTOMER_SUPPORT))

    html = client.get("/manage/acme-leads/customers/").content.decode()

    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
    assert re.search(r'href="/manage/acme-leads/disputes"[^>]*>Settings<', nav)
    assert "/team/" not in nav and "/setup/" not in nav
    assert client.get("/manage/acme-leads/disputes").status_code == 200


def test_a_customer_user_sees_no_payments_or_webhooks_link_they_cannot_open(login_client, acme_customer):
    user = User.objects.create_user(email="carl@acmeins.test", password=PASSWORD, name="Carl User")
    CustomerMembership.objects.create(customer=acme_customer, user=user, role=CustomerRole.CUSTOMER_USER)
    client = login_client(user)

    html = client.get("/app/").content.decode()

    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
    links = re.findall(r'href="(/app/[^"#?]*)"', nav)
    assert "/app/payments/" not in links and "/app/webhooks/" not in links
    assert "/app/leads/" in links and "/app/contacts/" in links
    assert {link: client.get(link).status_code for link in links} == {link: 200 for link in links}


def test_a_customer_admin_keeps_the_payments_and_webhooks_links(login_client, buyer):
    html = login_client(buyer).get("/app/").content.decode()

    assert 'href="/app/payments/"' in html and 'href="/app/webhooks/"' in html
