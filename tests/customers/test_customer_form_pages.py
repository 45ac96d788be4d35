"""Staff create/edit form (caps, budgets in dollars, access toggles incl. "ignore dispute tiers") and the raw
return rate shown instead of a tier badge for a customer with return tiers disabled (dashboard and portal)."""

from __future__ import annotations

import pytest

from juiced.customers.models import Customer
from juiced.returns.models import CustomerTier
from tests.returns._recalc_support import ledger, make_tier, tiers_on

pytestmark = pytest.mark.django_db

NEW = "/manage/acme-leads/customers/new/"


def _overview(customer) -> str:
    return f"/manage/{customer.tenant.slug}/customers/{customer.public_id}/"


def test_create_form_offers_every_cap_budget_and_access_setting(login_client, alice, tenant_a):
    body = login_client(alice).get(NEW).content.decode()
    for name in (
        "daily_cap", "weekly_cap", "monthly_cap", "daily_budget", "weekly_budget", "monthly_budget",
        "can_access_bidding", "is_onboarded", "return_tiers_disabled",
    ):  # fmt: skip
        assert f'name="{name}"' in body, name
    assert "Daily budget ($)" in body and "Disable return tiers (ignore dispute tiers)" in body


def test_create_stores_dollar_budgets_as_cents_with_caps_and_toggles(login_client, alice, tenant_a):
    data = {
        "name": "Zest Roofing",
        "email": "ops@zest.test",
        "daily_cap": "5",
        "weekly_cap": "20",
        "monthly_cap": "60",
        "daily_budget": "250.5",
        "weekly_budget": "1,000.00",
        "monthly_budget": "3000",
        "is_onboarded": "on",
        "return_tiers_disabled": "on",
        # can_access_bidding left unticked: off
    }
    response = login_client(alice).post(NEW, data)
    assert response.status_code == 302
    customer = Customer.objects.get(tenant=tenant_a, name="Zest Roofing")
    assert (customer.daily_cap, customer.weekly_cap, customer.monthly_cap) == (5, 20, 60)
    assert (customer.daily_budget, customer.weekly_budget, customer.monthly_budget) == (
        25_050,
        100_000,
        300_000,
    )
    assert customer.is_onboarded and customer.return_tiers_disabled and not customer.can_access_bidding


def test_create_refuses_a_zero_budget_and_a_negative_cap_per_field(login_client, alice, tenant_a):
    response = login_client(alice).post(
        NEW, {"name": "Zest", "email": "ops@zest.test", "daily_budget": "0", "weekly_cap": "-3"}
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "daily_budget" in errors and "weekly_cap" in errors
    assert not Customer.objects.filter(name="Zest").exists()


def test_edit_form_shows_and_saves_the_ignore_dispute_tiers_toggle(login_client, alice, acme_customer):
    client = login_client(alice)
    edit = _overview(acme_customer) + "edit/"
    page = client.get(edit).content.decode()
    assert "Disable return tiers (ignore dispute tiers)" in page and 'name="return_tiers_disabled"' in page
    response = client.post(
        edit,
        {"name": acme_customer.name, "email": acme_customer.email, "can_access_bidding": "on",
         "return_tiers_disabled": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    acme_customer.refresh_from_db()
    assert acme_customer.return_tiers_disabled is True
    again = client.get(edit)
    assert again.context["form"]["return_tiers_disabled"].value() is True


# --- raw return rate instead of a tier badge -----------------------------------------------------------


@pytest.fixture
def golden_acme(tenant_a, acme_customer):
    tiers_on(tenant_a)
    tier = make_tier(tenant_a, "Golden", 0, 50, discount=5)
    CustomerTier.objects.create(tenant=tenant_a, customer=acme_customer, tier=tier, return_rate="12.50")
    ledger(acme_customer, charged=800_000, returned=100_000)  # 12.50 %
    return acme_customer


def _ignore_tiers(customer) -> None:
    Customer.objects.filter(pk=customer.pk).update(return_tiers_disabled=True)


def test_dashboard_overview_shows_the_badge_or_the_raw_rate(login_client, alice, golden_acme):
    client = login_client(alice)
    body = client.get(_overview(golden_acme)).content.decode()
    assert "tier-badge" in body and 'data-testid="raw-return-rate"' not in body
    _ignore_tiers(golden_acme)
    body = client.get(_overview(golden_acme)).content.decode()
    assert 'class="tier-badge"' not in body
    assert 'data-testid="raw-return-rate">12.50 %' in body
    assert "return tiers ignored for this customer" in body


def test_portal_nav_shows_the_raw_rate_for_a_customer_ignoring_tiers(login_client, buyer, golden_acme):
    client = login_client(buyer)
    body = client.get("/app/leads/").content.decode()
    assert 'data-testid="portal-tier-badge"' in body and 'data-testid="portal-return-rate"' not in body
    _ignore_tiers(golden_acme)
    for path in ("/app/", "/app/leads/", "/app/transactions/"):
        body = client.get(path).content.decode()
        assert 'data-testid="portal-tier-badge"' not in body, path
        assert 'data-testid="portal-return-rate"' in body and "Return rate 12.50 %" in body, path


def test_portal_nav_shows_nothing_extra_for_a_customer_without_a_tier_who_does_not_ignore_tiers(
    login_client, buyer, tenant_a
):
    tiers_on(tenant_a)
    body = login_client(buyer).get("/app/leads/").content.decode()
    assert 'data-testid="portal-return-rate"' not in body and 'data-testid="portal-tier-badge"' not in body
