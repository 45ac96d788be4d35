"""Return tiers in the browser: an Admin builds and orders a ladder and recalculates; Customer Support sees
the table read-only; a buyer sees the tier badge on every portal page and opens the list of all tiers."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from juiced.returns.models import CustomerTier, ReturnTier
from juiced.tenants.roles import StaffRole
from tests.conftest import PASSWORD
from tests.returns._recalc_support import ledger, make_tier, tiers_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("JUICED_SCREENSHOTS", "")
CONFIRM = "All customers will have their tier recalculated. Are you sure you want to do this?"


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()


def snap(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def tier_names(page: Page) -> list[str]:
    return [
        row.locator(".tier-badge").inner_text().strip()
        for row in page.locator("#tier-table tbody tr[data-id]").all()
    ]


def create_tier(page: Page, name: str, lower: str, upper: str, discount: str | None = None) -> None:
    page.locator(".section-head .actions").get_by_role("link", name="Create").click()
    modal = page.locator("#tier-modal")
    expect(modal).to_be_visible()
    modal.get_by_label("Name", exact=True).fill(name)
    modal.get_by_label("Lower bound (%)").fill(lower)
    modal.get_by_label("Upper bound (%)").fill(upper)
    if discount is not None:
        modal.get_by_label("Add a discount").check()
        modal.get_by_label("Discount percentage").fill(discount)
    modal.get_by_role("button", name="Create").click()
    expect(page.get_by_text(f"Return tier {name} created.")).to_be_visible()


def test_admin_builds_a_ladder_drags_a_tier_and_recalculates(
    page: Page, live_server, tenant_a, alice, acme_customer, run_tasks
):
    ledger(acme_customer, charged=600_000)  # $6,000 of sold leads, nothing returned: 0 %
    base = f"{live_server.url}/manage/{tenant_a.slug}/disputes"
    log_in(page, live_server.url, "alice@acme.test")
    page.goto(base)
    expect(page.get_by_role("heading", name="Return Tiers")).to_be_visible()

    page.get_by_label("Enable dispute tiers").check()
    page.get_by_role("button", name="Update return settings").click()
    expect(page.get_by_text("Return settings updated.")).to_be_visible()
    expect(page.get_by_label("Enable dispute tiers")).to_be_checked()

    create_tier(page, "Golden", "0", "5", discount="5")
    create_tier(page, "Ripe", "5", "15")
    assert tier_names(page) == ["Golden", "Ripe"]
    golden_row = page.locator("#tier-table tbody tr", has_text="Golden")
    expect(golden_row).to_contain_text("0.00 % – 5.00 %")
    expect(golden_row).to_contain_text("5.00 %")
    snap(page, "tiers-created")

    # Drag Ripe above Golden: the row moves and the new order is saved.
    ripe_row = page.locator("#tier-table tbody tr", has_text="Ripe")
    with page.expect_response(lambda r: r.url.endswith("/disputes/tiers/order")):
        ripe_row.locator(".drag-handle").drag_to(page.locator("#tier-table tbody tr", has_text="Golden"),
                                                 target_position={"x": 5, "y": 2})  # fmt: skip
    expect(page.locator("#tier-table tbody tr[data-id]").first).to_contain_text("Ripe")
    assert list(ReturnTier.objects.filter(tenant=tenant_a).values_list("name", flat=True)) == [
        "Ripe",
        "Golden",
    ]
    page.reload()
    assert tier_names(page) == ["Ripe", "Golden"]

    # The keyboard fallback: Move up puts Golden back on top.
    page.get_by_role("button", name="Move Golden up").click()
    expect(page.locator("#tier-table tbody tr[data-id]").first).to_contain_text("Golden")
    page.reload()
    assert tier_names(page) == ["Golden", "Ripe"]

    # Recalculate: the confirmation carries the seed's sentence; the job runs; the progress finishes.
    page.get_by_role("button", name="Recalculate").click()
    dialog = page.locator("#recalc-confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(CONFIRM)
    snap(page, "recalc-confirm")
    with page.expect_response(lambda r: r.url.endswith("/disputes/recalculate")):
        dialog.get_by_role("button", name="Recalculate").click()
    expect(dialog).to_be_hidden()
    progress = page.locator("#recalc-progress")
    expect(progress).to_contain_text("Queued")
    run_tasks()
    expect(progress).to_contain_text("Finished", timeout=10_000)
    expect(progress).to_contain_text("1 changed tier")
    snap(page, "recalc-finished")
    assert CustomerTier.objects.get(customer=acme_customer).tier.name == "Golden"

    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Acme Insurance").click()
    expect(page.get_by_test_id("tier-standing")).to_contain_text("Golden")


def test_customer_support_sees_the_tiers_read_only(page: Page, live_server, tenant_a, make_staff):
    tiers_on(tenant_a)
    make_tier(tenant_a, "Golden", 0, 5, discount=5, position=0)
    make_tier(tenant_a, "Ripe", 5, 15, position=1)
    support = make_staff(StaffRole.CUSTOMER_SUPPORT)
    log_in(page, live_server.url, support.email)
    page.goto(f"{live_server.url}/manage/{tenant_a.slug}/disputes")

    expect(page.get_by_role("heading", name="Return Tiers")).to_be_visible()
    assert tier_names(page) == ["Golden", "Ripe"]
    expect(page.get_by_role("link", name="Create")).to_have_count(0)
    expect(page.get_by_role("button", name="Recalculate")).to_have_count(0)
    expect(page.locator("#tier-table input[type=checkbox]")).to_have_count(0)
    expect(page.get_by_role("button", name="Move Golden up")).to_have_count(0)
    expect(page.locator("#tier-table tr[draggable]")).to_have_count(0)
    expect(page.get_by_role("button", name="Update return settings")).to_have_count(0)
    expect(page.get_by_text("Only an Admin can change these settings and the tiers.")).to_be_visible()
    snap(page, "tiers-read-only")


def test_buyer_sees_the_tier_badge_and_the_list_of_tiers(
    page: Page, live_server, tenant_a, acme_customer, buyer
):
    tiers_on(tenant_a)
    golden = make_tier(tenant_a, "Golden", 0, 5, discount=5, position=0)
    make_tier(tenant_a, "Ripe", 5, 15, position=1)
    make_tier(tenant_a, "Overripe", 15, 25, penalty=15, position=2)
    CustomerTier.objects.create(tenant=tenant_a, customer=acme_customer, tier=golden, return_rate="1.50")

    log_in(page, live_server.url, "buyer@acmeins.test")
    for path in ("/app/", "/app/leads/", "/app/returns/", "/app/notifications/"):
        page.goto(f"{live_server.url}{path}")
        badge = page.get_by_test_id("portal-tier-badge")
        expect(badge).to_be_visible()
        expect(badge).to_contain_text("Golden")
    snap(page, "portal-badge")

    page.get_by_test_id("portal-tier-badge").click()
    expect(page).to_have_url(f"{live_server.url}/app/returns/tiers/")
    for name in ("Golden", "Ripe", "Overripe"):
        expect(page.locator("main").get_by_text(name, exact=True).first).to_be_visible()
    snap(page, "portal-tiers")
