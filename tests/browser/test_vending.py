"""A cashier sells prepaid energy for cash: search, Cash, amount and tendered, the breakdown with the
change due, Confirm, and the receipt with a token that the OpenPAYGO decoder reads back."""

from __future__ import annotations

import os

import openpaygo
import pytest
from playwright.sync_api import Page, expect

from juiced.vending.models import Sale
from tests.conftest import PASSWORD
from tests.vending.conftest import (  # noqa: F401  (the vending factories, as fixtures here)
    METER_KEY_HEX,
    METER_STARTING_CODE,
    cashier,  # noqa: F811
    make_account,
    make_meter,
    make_tariff,
    make_vendor,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("JUICED_SCREENSHOTS", "")


def snap(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_cashier_sells_for_cash_and_reads_the_token_off_the_receipt(
    page: Page,
    live_server,
    tenant_a,
    cashier,  # noqa: F811
    make_account,  # noqa: F811
):
    account = make_account(tenant_a, phone="+15555550177")
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", cashier.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Vending")).to_be_visible()
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Leads")).to_have_count(0)
    expect(main_nav.get_by_role("link", name="Vending")).to_be_visible()

    page.get_by_role("searchbox", name="Find an account").fill(account.customer.name)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=f"Account {account.number}")).to_be_visible()
    snap(page, "vending-account")

    page.get_by_role("link", name="Cash", exact=True).click()
    page.get_by_label("Amount", exact=True).fill("10.00")
    page.get_by_label("Amount tendered").fill("20.00")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_test_id("change-due")).to_have_text("$10.00")
    expect(page.get_by_test_id("energy")).to_have_text("50.0 kWh")
    snap(page, "vending-confirm")
    page.get_by_role("button", name="Confirm sale").click()

    expect(page.get_by_role("heading", name="Receipt")).to_be_visible()
    token_text = page.get_by_test_id("token").inner_text()
    snap(page, "vending-receipt")
    assert token_text.count(" ") == 2  # three groups of three digits
    sale = Sale.objects.get()
    assert (sale.amount, sale.change_due, sale.energy_wh) == (1000, 1000, 50_000)
    value, kind, count, _ = openpaygo.decode_token(
        token=token_text.replace(" ", ""),
        secret_key=METER_KEY_HEX,
        count=1,
        used_counts=[],
        starting_code=METER_STARTING_CODE,
    )
    assert kind == openpaygo.TokenType.ADD_TIME
    assert value * account.meter.energy_step_wh == sale.energy_wh
