"""The buyer adds a card, sees the fee before confirming, deposits, and finds the credit and the fee in the
transactions list (real Stripe library against localstripe)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_wallet_funds import log_in, snap
from tests.payments.conftest import localstripe_url, stripe_acme  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buyer_adds_a_card_deposits_and_sees_the_credit_and_fee(
    page: Page,
    live_server,
    stripe_acme,  # noqa: F811
    acme_customer,
    buyer,
):
    log_in(page, live_server.url, "buyer@acmeins.test")
    page.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", name="Payments", level=1)).to_be_visible()
    expect(page.get_by_text("No cards on file.")).to_be_visible()

    add = page.locator("#add-card")
    add.get_by_label("Card number").fill("4242 4242 4242 4242")
    add.get_by_label("Expiry (MM/YY)").fill("12/34")
    add.get_by_label("CVC").fill("123")
    add.get_by_role("button", name="Add card").click()
    expect(page.get_by_text("Card Visa •••• 4242 added.")).to_be_visible()
    expect(page.locator("#cards tbody tr").first).to_contain_text("Default")

    deposit = page.locator("#deposit")
    deposit.get_by_label("Amount ($)").fill("100")
    preview = page.get_by_test_id("fee-preview")
    expect(preview).to_contain_text("$100.00")
    expect(preview).to_contain_text("$3.00")
    expect(preview).to_contain_text("$103.00")
    snap(page, "deposit-preview")
    deposit.get_by_role("button", name="Confirm deposit").click()
    expect(page.get_by_text("Deposited $100.00; $103.00 charged.")).to_be_visible()
    expect(page.get_by_test_id("wallet-available")).to_have_text("$100.00")

    page.get_by_role("link", name="Transactions").first.click()
    row = page.locator("#transactions tbody tr").first
    expect(row).to_contain_text("Funds Added")
    expect(row).to_contain_text("+$100.00")
    expect(row).to_contain_text("fee $3.00 (3.00%)")
    expect(row).to_contain_text("$103.00 charged")
    snap(page, "deposit-transactions")
