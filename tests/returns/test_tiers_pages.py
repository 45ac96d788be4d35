"""The Returns settings page, the tier modal, ordering, bulk delete, recalculation progress, roles,
tenant isolation and the portal's tier list."""

from __future__ import annotations

import pytest

from juiced.returns import tiers
from juiced.returns.models import CustomerTier, ReturnSettings, ReturnTier, TierRecalculation
from juiced.returns.views_tiers import RECALC_CONFIRM

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def page(tenant_a):
    return f"/manage/{tenant_a.slug}/disputes"


@pytest.fixture
def ladder(tenant_a, alice):
    def make(name, lower=None, upper=None, **extra):
        data = {"name": name, "color": "#112233", "icon": "crown", **extra}
        if lower is not None:
            data.update(lower_bound=lower, upper_bound=upper)
        return tiers.tier_create(tenant=tenant_a, actor=alice, data=data)

    return [
        make("Fresh", applies_to_new_customers=True),
        make("Golden", "0", "5", discount_enabled=True, discount_percent="5"),
        make("Rotten", "25", "100", penalty_enabled=True, penalty_matches_return_rate=True),
    ]


def form_data(**overrides):
    data = {"name": "Ripe", "color": "#f59e0b", "icon": "sun", "lower_bound": "5", "upper_bound": "15"}
    data.update(overrides)
    return data


def test_admin_sees_settings_form_table_and_controls(login_client, alice, page, ladder):
    html = login_client(alice).get(page).content.decode()
    for text in (
        "Return Settings",
        "Update return settings",
        "Enable dispute tiers",
        "Lead Returns URL",
        "Return Tiers",
        "Create",
        "Recalculate",
        RECALC_CONFIRM,
        "New customers",
        "Match return rate",
        "5.00 %",
        "Move up",
        'name="ids"',
        'draggable="true"',
        "returns/tiers.js",
    ):
        assert text in html, text
    assert html.index("Fresh") < html.index("Golden") < html.index("Rotten")


@pytest.mark.parametrize("role", ["customer_support", "sales"])
def test_non_admins_see_the_page_read_only(login_client, make_staff, page, ladder, role):
    client = login_client(make_staff(role))
    html = client.get(page).content.decode()
    assert "Return Tiers" in html and "Golden" in html and "Over all time" in html
    for text in ("Update return settings", "Recalculate", 'name="ids"', "draggable", "Move up", "/tiers/new"):
        assert text not in html, text
    assert client.post(page, {"return_window_days": "9", "reasons": "x"}).status_code == 403
    assert client.get(f"{page}/tiers/new").status_code == 403
    assert client.post(f"{page}/tiers/new", form_data()).status_code == 403
    assert client.post(f"{page}/tiers/delete", {"ids": [ladder[0].public_id]}).status_code == 403
    assert client.post(f"{page}/recalculate").status_code == 403
    assert ReturnTier.objects.count() == 3


def test_data_validation_gets_403(login_client, make_staff, page):
    assert login_client(make_staff("data_validation")).get(page).status_code == 403


def test_update_settings_and_field_errors(login_client, alice, page, tenant_a):
    client = login_client(alice)
    data = {
        "returns_enabled": "on",
        "tiers_enabled": "on",
        "policy_url": "https://x.test/policy",
        "return_window_days": "10",
        "reasons": "Bad number\nOther",
        "rate_window_days": "90",
    }
    assert client.post(page, data).status_code == 302
    found = ReturnSettings.objects.get(tenant=tenant_a)
    assert found.tiers_enabled and found.window_days == 10 and found.reasons == ["Bad number", "Other"]
    assert found.rate_window_days == 90
    response = client.post(page, {**data, "return_window_days": "0", "policy_url": "nope"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Enter a whole number of days from 1 to 365." in html and "Enter a full http(s) address" in html
    found.refresh_from_db()
    assert found.window_days == 10


def test_modal_loads_over_htmx_and_creates(login_client, alice, page, ladder):
    client = login_client(alice)
    modal = client.get(f"{page}/tiers/new", **HX).content.decode()
    assert "<dialog" in modal and "<html" not in modal
    for group in (
        "Identity &amp; copy",
        "Visual identity",
        "Behaviour – tier bracket",
        "Behaviour – rewards and penalties",
    ):
        assert group in modal
    response = client.post(
        f"{page}/tiers/new", form_data(long_description="<p>Hi<script>x</script></p>"), **HX
    )
    assert response.status_code == 204 and response["HX-Redirect"] == page
    ripe = ReturnTier.objects.get(name="Ripe")
    assert ripe.long_description == "<p>Hi</p>" and ripe.position == 3


def test_modal_shows_the_service_messages(login_client, alice, page, ladder):
    client = login_client(alice)
    response = client.post(f"{page}/tiers/new", form_data(lower_bound="3", upper_bound="9"), **HX)
    assert response.status_code == 200  # htmx swaps only 2xx
    html = response.content.decode()
    assert "Tiers overlap: Golden covers 3.00–5.00 %" in html and "<dialog" in html
    response = client.post(
        f"{page}/tiers/new",
        form_data(name="Golden", lower_bound="50", upper_bound="60", penalty_enabled="on"),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "A tier named Golden already exists." in html
    assert tiers.MSG_PENALTY_REQUIRED in html
    response = client.post(f"{page}/tiers/new", form_data(name="New2", applies_to_new_customers="on"))
    assert "Only one tier can apply to new customers: Fresh already does." in response.content.decode()
    assert ReturnTier.objects.count() == 3


def test_edit_without_htmx(login_client, alice, page, ladder):
    client = login_client(alice)
    golden = ladder[1]
    html = client.get(f"{page}/tiers/{golden.public_id}/").content.decode()
    assert 'value="Golden"' in html and "<html" in html
    data = form_data(
        name="Golden", lower_bound="0", upper_bound="4", discount_enabled="on", discount_percent="7"
    )
    assert client.post(f"{page}/tiers/{golden.public_id}/", data).status_code == 302
    golden.refresh_from_db()
    assert str(golden.upper_bound) == "4.00" and str(golden.discount_percent) == "7.00"


def test_reorder_move_and_bulk_delete(login_client, alice, page, ladder, tenant_a, acme_customer):
    client = login_client(alice)
    fresh, golden, rotten = ladder
    response = client.post(f"{page}/tiers/order", {"order": [rotten.public_id, fresh.public_id]}, **HX)
    assert response.status_code == 200 and 'id="tier-table"' in response.content.decode()
    assert [t.name for t in tiers.tiers_for(tenant=tenant_a)] == ["Rotten", "Fresh", "Golden"]
    client.post(f"{page}/tiers/{golden.public_id}/move", {"direction": "up"}, **HX)
    assert [t.name for t in tiers.tiers_for(tenant=tenant_a)] == ["Rotten", "Golden", "Fresh"]
    assert client.post(f"{page}/tiers/{golden.public_id}/move", {"direction": "up"}).status_code == 302
    CustomerTier.objects.create(tenant=tenant_a, customer=acme_customer, tier=golden)
    response = client.post(f"{page}/tiers/delete", {"ids": [golden.public_id, rotten.public_id]})
    assert response.status_code == 302
    assert list(ReturnTier.objects.values_list("name", flat=True)) == ["Fresh"]
    assert CustomerTier.objects.get(customer=acme_customer).tier is None
    messages = client.get(page).content.decode()
    assert "no tier until the next recalculation" in messages


def test_progress_polls_while_running(login_client, alice, page, tenant_a):
    client = login_client(alice)
    assert "No recalculation yet" in client.get(f"{page}/recalculation").content.decode()
    run = TierRecalculation.objects.create(
        tenant=tenant_a, status="running", total=10, processed=4, changed=1
    )
    html = client.get(f"{page}/recalculation").content.decode()
    assert 'hx-trigger="every 2s"' in html and "4 / 10" in html and "1 changed" in html
    run.status = "finished"
    run.save()
    assert "every 2s" not in client.get(f"{page}/recalculation").content.decode()


def test_tenant_isolation(login_client, bob, tenant_a, ladder):
    client = login_client(bob)
    page = f"/manage/{tenant_a.slug}/disputes"
    assert client.get(page).status_code == 404
    assert client.get(f"{page}/tiers/{ladder[1].public_id}/").status_code == 404
    from juiced.tenants.models import Tenant

    tenant_b = Tenant.objects.get(memberships__user=bob)
    own = f"/manage/{tenant_b.slug}/disputes"
    assert client.get(f"{own}/tiers/{ladder[1].public_id}/").status_code == 404
    assert client.post(f"{own}/tiers/{ladder[1].public_id}/", form_data()).status_code == 404
    assert client.post(f"{own}/tiers/{ladder[1].public_id}/move", {"direction": "up"}).status_code == 404
    assert client.post(f"{own}/tiers/delete", {"ids": [ladder[1].public_id]}).status_code == 404
    assert client.post(f"{own}/tiers/order", {"order": [ladder[1].public_id]}).status_code == 404
    assert ReturnTier.objects.filter(tenant=tenant_a).count() == 3


def test_portal_tier_list_and_badge(login_client, buyer, acme_customer, tenant_a, alice, ladder):
    ReturnSettings.objects.update_or_create(tenant=tenant_a, defaults={"tiers_enabled": True})
    CustomerTier.objects.create(tenant=tenant_a, customer=acme_customer, tier=ladder[1], return_rate="3.20")
    html = login_client(buyer).get("/app/returns/tiers/").content.decode()
    listed = html[html.index('class="tier-list"') :]
    assert listed.index("Fresh") < listed.index("Golden") < listed.index("Rotten")
    assert "You are in" in html
    assert "tier-badge" in html and "3.20 %" in html and "5.00 % discount" in html
    assert "bids reduced by your own return rate" in html
    acme_customer.return_tiers_disabled = True
    acme_customer.save()
    assert "do not apply to your account" in login_client(buyer).get("/app/returns/tiers/").content.decode()


def test_badge_snippet_renders_only_when_enabled(ladder):
    from django.template.loader import render_to_string

    html = render_to_string(
        "returns/_tier_badge.html", {"tier": ladder[1], "return_rate": None, "tiers_enabled": True}
    )
    assert "Golden" in html and "<svg" in html and "#112233" in html
    assert (
        render_to_string("returns/_tier_badge.html", {"tier": ladder[1], "tiers_enabled": False}).strip()
        == ""
    )
