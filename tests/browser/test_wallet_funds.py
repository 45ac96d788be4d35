"""An admin adds funds from the customer overview; the buyer sees the transaction in the portal."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("JUICED_SCREENSHOTS", "")


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()


def snap(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_admin_adds_funds_and_buyer_sees_the_transaction(
    page: Page, live_server, alice, acme_customer, buyer
):
    log_in(page, live_server.url, "alice@acme.test")
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    snap(page, "customers")

    page.get_by_role("link", name="Acme Insurance").click()
    expect(page.get_by_role("heading", name="Acme Insurance")).to_be_visible()
    snap(page, "overview")
    page.get_by_role("link", name="Add funds").click()
    expect(page.get_by_test_id("wallet-balance")).to_have_text("$0.00")

    add = page.locator("#add-funds")
    add.get_by_label("Amount ($)").fill("250.00")
    add.get_by_label("Description (the customer sees it)").fill("Welcome credit")
    add.get_by_role("button", name="Add funds").click()

    expect(page.get_by_text("Added $250.00.")).to_be_visible()
    expect(page.get_by_test_id("wallet-balance")).to_have_text("$250.00")
    expect(page.get_by_test_id("wallet-available")).to_have_text("$250.00")
    timeline_row = page.locator("#timeline tbody tr").first
    expect(timeline_row).to_contain_text("Funds Added By Tenant")
    expect(timeline_row).to_contain_text("+$250.00")
    expect(timeline_row).to_contain_text("Welcome credit")
    expect(timeline_row).to_contain_text("alice@acme.test")
    snap(page, "wallet")

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server.url, "buyer@acmeins.test")
    expect(page.get_by_role("heading", name="Wallet")).to_be_visible()
    expect(page.get_by_test_id("wallet-available")).to_have_text("$250.00")
    snap(page, "portal")
    page.get_by_role("link", name="Transactions").first.click()
    row = page.locator("#transactions tbody tr").first
    expect(row).to_contain_text("Funds Added By Tenant")
    expect(row).to_contain_text("Welcome credit")
    expect(row).to_contain_text("+$250.00")
    snap(page, "portal-transactions")
