"""The portal nav's tier badge: on every portal page, one query per request, hidden when tiers don't apply."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from juiced.returns.models import CustomerTier
from juiced.returns.templatetags.tier_standing import portal_tier
from tests.returns._recalc_support import make_tier, tiers_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def golden(tenant_a, acme_customer):
    tiers_on(tenant_a)
    tier = make_tier(tenant_a, "Golden", 0, 5, discount=5)
    CustomerTier.objects.create(tenant=tenant_a, customer=acme_customer, tier=tier, return_rate="1.00")
    return tier


@pytest.mark.parametrize("path", ["/app/", "/app/leads/", "/app/returns/", "/app/transactions/"])
def test_every_portal_page_shows_the_badge_linking_to_the_tier_list(login_client, buyer, golden, path):
    body = login_client(buyer).get(path).content.decode()
    assert 'data-testid="portal-tier-badge"' in body
    assert 'href="/app/returns/tiers/"' in body
    assert "Golden" in body


def test_no_badge_when_tiers_are_off(login_client, buyer, golden, tenant_a):
    tiers_on(tenant_a, enabled=False)
    assert 'data-testid="portal-tier-badge"' not in login_client(buyer).get("/app/").content.decode()


def test_no_badge_for_a_customer_ignoring_tiers(login_client, buyer, golden, acme_customer):
    acme_customer.return_tiers_disabled = True
    acme_customer.save(update_fields=["return_tiers_disabled"])
    assert 'data-testid="portal-tier-badge"' not in login_client(buyer).get("/app/").content.decode()


def test_no_badge_without_a_tier(login_client, buyer, tenant_a):
    tiers_on(tenant_a)
    assert 'data-testid="portal-tier-badge"' not in login_client(buyer).get("/app/").content.decode()


def test_dashboard_pages_have_no_portal_badge(login_client, alice, golden, tenant_a):
    body = login_client(alice).get(f"/manage/{tenant_a.slug}/customers/").content.decode()
    assert 'data-testid="portal-tier-badge"' not in body


def test_one_query_cached_on_the_request(golden, acme_customer, tenant_a):
    request = RequestFactory().get("/app/")
    request.portal = type("Portal", (), {"customer": acme_customer, "tenant": tenant_a})()
    with CaptureQueriesContext(connection) as queries:
        assert portal_tier(request).tier == golden
        assert portal_tier(request).tier == golden
    assert len(queries) == 1


def test_another_tenants_tier_row_is_never_shown(golden, acme_customer, tenant_b):
    request = RequestFactory().get("/app/")
    request.portal = type("Portal", (), {"customer": acme_customer, "tenant": tenant_b})()
    assert portal_tier(request) is None
