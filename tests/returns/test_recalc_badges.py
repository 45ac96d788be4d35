"""The tier badge on the dashboard's customer overview and the portal wallet page; the raw return rate
when tiers are off or the customer is excluded."""

from __future__ import annotations

import pytest

from juiced.returns.recalc import recalculation_request, recalculation_run

from ._recalc_support import ledger, seed_ladder, tiers_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def golden_acme(tenant_a, acme_customer):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    ledger(acme_customer, charged=1_000_000, returned=10_000)  # 1 %
    run = recalculation_request(tenant=tenant_a, actor=None, in_background=False)
    recalculation_run(recalculation_id=run.pk)
    return acme_customer


def overview(login_client, alice, tenant_a, customer) -> str:
    response = login_client(alice).get(f"/manage/{tenant_a.slug}/customers/{customer.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def wallet(login_client, buyer) -> str:
    response = login_client(buyer).get("/app/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_overview_shows_the_tier_badge(golden_acme, login_client, alice, tenant_a):
    page = overview(login_client, alice, tenant_a, golden_acme)
    assert 'class="tier-badge"' in page and "Golden" in page and "1.00 %" in page


def test_the_portal_wallet_shows_the_badge_linking_to_all_tiers(golden_acme, login_client, buyer):
    page = wallet(login_client, buyer)
    assert 'class="tier-badge"' in page and "Golden" in page and 'href="/app/returns/tiers/"' in page


def test_an_excluded_customer_shows_the_raw_rate(golden_acme, login_client, alice, buyer, tenant_a):
    type(golden_acme).objects.filter(pk=golden_acme.pk).update(return_tiers_disabled=True)
    for page in (overview(login_client, alice, tenant_a, golden_acme), wallet(login_client, buyer)):
        assert 'class="tier-badge"' not in page
        assert "return tiers ignored for this customer" in page and "1.00 %" in page


def test_tiers_off_shows_the_raw_rate(golden_acme, login_client, alice, buyer, tenant_a):
    tiers_on(tenant_a, enabled=False)
    for page in (overview(login_client, alice, tenant_a, golden_acme), wallet(login_client, buyer)):
        assert 'class="tier-badge"' not in page
        assert "return tiers are off" in page and "1.00 %" in page
