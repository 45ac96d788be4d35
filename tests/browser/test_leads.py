"""A buyer places a bid in the portal, a source posts a lead over HTTP, and the buyer finds the lead in their
leads at the price the auction set (a lone bidder pays the lead type's minimum), charged to the wallet."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_wallet_funds import log_in, snap
from tests.leads.conftest import basic_auth

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def post_lead(base_url: str, authorization: str, lead: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base_url}/api/leads",
        data=json.dumps(lead).encode(),
        headers={"Authorization": authorization, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_buyer_bids_a_lead_arrives_and_the_buyer_sees_it_at_the_auction_price(
    page: Page, live_server, tenant_a, acme_customer, buyer, make_category, make_lead_type, make_source, fund
):
    category = make_category(tenant_a, "Home insurance")
    make_lead_type(category, "Homeowner", minimum=1000, step=100, maximum=10_000)
    source, secret = make_source(tenant_a, category=category)
    fund(acme_customer, 10_000)

    log_in(page, live_server.url, "buyer@acmeins.test")
    page.get_by_role("link", name="Bids", exact=True).click()
    expect(page.get_by_role("heading", name="Bids", level=1)).to_be_visible()
    form = page.locator("#add-bid")
    form.get_by_label("Lead type").select_option(label="Home insurance · Homeowner")
    form.get_by_label("Scope").select_option(label="Nationwide")
    form.get_by_label("Amount").fill("25.00")
    form.get_by_role("button", name="Place bid").click()
    row = page.locator("#bids tbody tr").first
    expect(row).to_contain_text("Homeowner")
    expect(row).to_contain_text("$25.00")
    expect(row).to_contain_text("Top")
    snap(page, "portal-bids")

    status, body = post_lead(
        live_server.url,
        basic_auth(source.api_key, secret),
        {"first_name": "Katy", "last_name": "Berry", "email": "katy.berry@example.com",
         "phone": "555-123-4567", "address_1": "742 Orchard Lane", "city": "Los Angeles", "state": "CA",
         "zip": "90012"},
    )  # fmt: skip
    assert status == 201
    assert body["status"] == "assigned" and body["price"] == 10.0

    page.get_by_role("link", name="Leads", exact=True).click()
    lead_row = page.locator("#leads tbody tr").first
    expect(lead_row).to_contain_text("Katy Berry")
    expect(lead_row).to_contain_text("Homeowner")
    expect(lead_row).to_contain_text("$10.00")
    snap(page, "portal-leads")
    lead_row.get_by_role("link", name="Katy Berry").click()
    expect(page.get_by_text("katy.berry@example.com")).to_be_visible()

    page.get_by_role("link", name="Wallet", exact=True).click()
    expect(page.get_by_test_id("wallet-available")).to_have_text("$90.00")
