"""The customer list's search, filters, sort and pages work together: each change keeps the others, and the
address bar holds each parameter once (so a reload, Back or a shared link shows the same list)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from juiced.customers.services import customer_create
from tests.browser.test_wallet_funds import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query, keep_blank_values=True)


def test_sort_survives_search_filters_and_the_next_page(page: Page, live_server, tenant_a, alice):
    for number in range(1, 31):  # 30 matches: two pages of 25
        customer_create(
            tenant=tenant_a,
            actor=alice,
            data={"name": f"Pager {number:02d}", "email": f"p{number}@pager.test"},
        )
    log_in(page, live_server.url, "alice@acme.test")
    table = page.locator("#customer-table")
    first_row = table.locator("tbody tr").first

    table.get_by_role("link", name="Name").click()  # ascending → descending
    expect(table.get_by_role("link", name="Name ▼")).to_be_visible()
    page.get_by_label("Search").fill("pager")
    expect(page).to_have_url(re.compile(r"q=pager"))
    page.get_by_label("Funding").select_option("exhausted")
    expect(page).to_have_url(re.compile(r"funding=exhausted"))

    expect(first_row).to_contain_text("Pager 30")  # still newest name first after search and filter
    table.get_by_role("link", name="Next →").click()
    expect(table).to_contain_text("Page 2 of 2")
    expect(first_row).to_contain_text("Pager 05")
    expect(page).to_have_url(re.compile(r"page=2"))
    query = _query(page)
    assert {name: values for name, values in query.items() if len(values) > 1} == {}
    assert query["sort"] == ["-name"] and query["q"] == ["pager"] and query["page"] == ["2"]

    page.reload()
    expect(first_row).to_contain_text("Pager 05")
    expect(page.get_by_label("Search")).to_have_value("pager")
