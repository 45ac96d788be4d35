"""An admin opens a customer with a bid, a sold lead, a card, a contact, a webhook, a user and an invite, and
walks the customer page's tabs in the seed's order, checking each tab's heading and a real row."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from juiced.leads.models import Bid
from juiced.notifications.services import contact_create
from juiced.tenants.services import invite_create
from juiced.webhooks.services import webhook_create, webhook_settings_update
from tests.browser.test_wallet_funds import log_in, snap
from tests.payments.conftest import localstripe_url, stripe_acme, visa  # noqa: F401 (fixtures)
from tests.returns.conftest import sold_lead  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_customer(
    tenant_a,
    alice,
    acme_customer,
    buyer,
    visa,  # noqa: F811
    sold_lead,  # noqa: F811
    make_category,
    make_lead_type,
    fund,
):
    """acme_customer as the demo shows it: funded, one bid, one sold lead, a card, a contact, a webhook,
    a portal user and a pending invite."""
    auto = make_lead_type(make_category(tenant_a), "Auto", minimum=1000, step=100)
    fund(acme_customer, 50_00)
    bid = Bid.objects.create(
        tenant=tenant_a, customer=acme_customer, lead_type=auto, scope="state", state="TX", amount=2500
    )
    lead = sold_lead(acme_customer, price=2200)
    contact_create(
        customer=acme_customer, actor=alice, data={"kind": "email", "value": "alerts@acmeins.test"}
    )
    webhook_settings_update(tenant=tenant_a, actor=alice, allow_private_addresses=True)
    webhook_create(
        tenant=tenant_a,
        actor=alice,
        customer=acme_customer,
        data={"name": "Acme CRM", "url": "http://127.0.0.1:9/leads"},
    )
    invite_create(
        tenant=tenant_a,
        actor=alice,
        email="new.hire@acmeins.test",
        role="customer_user",
        customer=acme_customer,
    )
    return {"bid": bid, "lead": lead, "card": visa}


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Customer").get_by_role("link", name=name, exact=True).click()
    current = page.get_by_role("navigation", name="Customer").locator('[aria-current="page"]')
    expect(current).to_have_text(name)


def test_admin_walks_every_tab_of_a_demo_like_customer(page: Page, live_server, demo_customer):
    log_in(page, live_server.url, "alice@acme.test")
    page.get_by_role("link", name="Acme Insurance").click()

    # Overview: the stats and the funds actions
    expect(page.get_by_role("heading", name="Acme Insurance")).to_be_visible()
    expect(page.get_by_text("Active bids")).to_be_visible()
    tabs = page.get_by_role("navigation", name="Customer").get_by_role("link")
    expect(tabs).to_have_text(
        [
            "Overview", "Bids", "Leads", "Transactions", "Payment methods", "Contacts", "Webhooks",
            "Notifications", "Users", "Invites",
        ]
    )  # fmt: skip
    expect(page.get_by_role("link", name="Add funds")).to_be_visible()
    expect(page.get_by_role("link", name="Remove funds")).to_be_visible()
    page.get_by_role("link", name="Timeline").click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.get_by_test_id("wallet-balance")).to_have_text("$50.00")
    snap(page, "tabs-funds")

    open_tab(page, "Bids")
    expect(page.get_by_role("heading", name="Bids", exact=True)).to_be_visible()
    row = page.locator(f"#bid-{demo_customer['bid'].public_id}")
    expect(row).to_contain_text("Auto")
    expect(row).to_contain_text("$25.00")
    expect(row.get_by_role("link", name="History")).to_be_visible()
    snap(page, "tabs-bids")

    open_tab(page, "Leads")
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    lead_row = page.locator("#leads tbody tr").filter(has_text=demo_customer["lead"].public_id)
    expect(lead_row).to_contain_text("$22.00")
    expect(lead_row.get_by_role("link", name="Start a return")).to_be_visible()
    snap(page, "tabs-leads")

    open_tab(page, "Transactions")
    expect(page.get_by_role("heading", name="Transactions", exact=True)).to_be_visible()
    charge = page.locator("#transactions tbody tr").first
    expect(charge).to_contain_text("Lead Assigned")
    expect(charge).to_contain_text("-$22.00")
    expect(charge.get_by_role("link", name=f"lead {demo_customer['lead'].public_id}")).to_be_visible()
    expect(charge).to_contain_text("txn_")
    snap(page, "tabs-transactions")

    open_tab(page, "Payment methods")
    expect(page.get_by_role("heading", name="Cards")).to_be_visible()
    expect(page.locator("#cards tbody tr").first).to_contain_text("4242")
    snap(page, "tabs-payment-methods")

    open_tab(page, "Contacts")
    expect(page.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()
    expect(page.get_by_text("alerts@acmeins.test")).to_be_visible()

    open_tab(page, "Webhooks")
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(page.locator("table tbody tr").filter(has_text="Acme CRM")).to_contain_text(
        "http://127.0.0.1:9/leads"
    )

    open_tab(page, "Notifications")
    expect(page.get_by_role("heading", name="Notifications sent")).to_be_visible()

    open_tab(page, "Users")
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    user_row = page.locator("table tbody tr").filter(has_text="buyer@acmeins.test")
    expect(user_row).to_contain_text("Betty Buyer")
    expect(user_row.get_by_role("button", name="Detach")).to_be_visible()
    snap(page, "tabs-users")

    open_tab(page, "Invites")
    expect(page.get_by_role("heading", name="Pending invites")).to_be_visible()
    invite = page.locator(".invite-list li").filter(has_text="new.hire@acmeins.test")
    expect(invite.get_by_role("button", name="Resend")).to_be_visible()
    expect(invite.get_by_role("button", name="Revoke")).to_be_visible()
    invite.get_by_role("button", name="Resend").click()
    expect(
        page.get_by_text("The invite to new.hire@acmeins.test was sent again with a new link.")
    ).to_be_visible()
    snap(page, "tabs-invites")


def test_admin_starts_and_approves_a_return_from_the_leads_tab(page: Page, live_server, demo_customer):
    lead = demo_customer["lead"]
    log_in(page, live_server.url, "alice@acme.test")
    page.get_by_role("link", name="Acme Insurance").click()
    open_tab(page, "Leads")
    page.locator("#leads tbody tr").filter(has_text=lead.public_id).get_by_role(
        "link", name="Start a return"
    ).click()
    page.get_by_label("Reason").select_option("Other")
    page.get_by_label("Comment").fill("Customer says it is a test entry")
    page.get_by_role("button", name="Start the return").click()
    expect(page.get_by_text(f"opened for lead {lead.public_id}")).to_be_visible()

    row = page.locator("#leads tbody tr").filter(has_text=lead.public_id)
    expect(row).to_contain_text("Return pending")
    row.get_by_label("Note").fill("Checked the recording")
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("approved.")).to_be_visible()
    expect(page.locator("#leads tbody tr").filter(has_text=lead.public_id)).to_contain_text("Returned")

    open_tab(page, "Transactions")
    refund = page.locator("#transactions tbody tr").first
    expect(refund).to_contain_text("Lead Returned")
    expect(refund).to_contain_text("+$22.00")
    snap(page, "tabs-return-approved")
