"""Seed 001 ("Returns" settings guide), statement by statement, against /manage/<tenant>/disputes.

Each test names the guide's step it proves. Pages are read as HTML; the drag-and-drop itself is clicked
in tests/browser/test_return_tiers.py.
"""

from __future__ import annotations

import re

import pytest
from django_tasks_db.models import DBTaskResult

from juiced.returns import tiers
from juiced.returns.models import CustomerTier, ReturnSettings, ReturnTier, TierRecalculation
from juiced.returns.recalc import recalculation_run
from juiced.returns.tiers import TIER_FIELDS
from juiced.returns.views_tiers import RECALC_CONFIRM
from tests.returns._recalc_support import make_tier

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
NON_ADMINS = ["customer_support", "sales"]
SEED_CONFIRM = "All customers will have their tier recalculated. Are you sure you want to do this?"


@pytest.fixture
def page(tenant_a):
    return f"/manage/{tenant_a.slug}/disputes"


@pytest.fixture
def ladder(tenant_a):
    return [
        make_tier(tenant_a, "Fresh", new=True, position=0),
        make_tier(tenant_a, "Golden", 0, 5, discount=5, position=1),
        make_tier(tenant_a, "Rotten", 25, 100, match=True, position=2),
    ]


def section(html: str, title_id: str) -> str:
    """The <section> labelled by `title_id`."""
    start = html.index(f'aria-labelledby="{title_id}"')
    return html[start : html.index("</section>", start)]


def names_in_order(tenant) -> list[str]:
    return [t.name for t in tiers.tiers_for(tenant=tenant)]


# --- Step 1: open the Returns page ------------------------------------------------------------------------


def test_step1_settings_returns_opens_the_disputes_page(login_client, alice, page):
    html = login_client(alice).get(f"{page}").content.decode()
    assert re.search(rf'<a [^>]*href="{page}"[^>]*>Returns</a>', html)  # Settings → Returns
    assert "<h1>Settings</h1>" in html


def test_step1_two_sections_stacked_settings_on_top_tiers_below(login_client, alice, page, ladder):
    html = login_client(alice).get(page).content.decode()
    settings_at = html.index('aria-labelledby="return-settings-title"')
    tiers_at = html.index('aria-labelledby="return-tiers-title"')
    assert settings_at < tiers_at
    assert ">Return Settings</h2>" in section(html, "return-settings-title")
    tier_section = section(html, "return-tiers-title")
    assert ">Return Tiers</h2>" in tier_section and 'class="table tier-table"' in tier_section
    assert 'data-sortable="1"' in tier_section  # reorderable by drag-and-drop


# --- Step 2: turn on return tiers -------------------------------------------------------------------------


def test_step2_return_settings_has_the_toggle_the_url_and_update_button(login_client, alice, page):
    form = section(login_client(alice).get(page).content.decode(), "return-settings-title")
    assert re.search(r'<input type="checkbox" name="tiers_enabled"[^>]*>', form)
    assert ">Enable dispute tiers</label>" in form or "Enable dispute tiers" in form
    assert re.search(r'<input type="url" name="policy_url"', form) and "Lead Returns URL" in form
    assert '<button class="btn primary" type="submit">Update return settings</button>' in form


def test_step2_update_commits_but_assigns_no_tier_until_a_recalculation(
    login_client, alice, page, tenant_a, acme_customer, ladder
):
    client = login_client(alice)
    data = {
        "tiers_enabled": "on",
        "policy_url": "https://acme.test/returns-policy",
        "return_window_days": "7",
        "reasons": "Wrong number",
    }
    assert client.post(page, data).status_code == 302
    saved = ReturnSettings.objects.get(tenant=tenant_a)
    assert saved.tiers_enabled and saved.policy_url == "https://acme.test/returns-policy"
    assert "Return settings updated." in client.get(page).content.decode()
    assert not CustomerTier.objects.filter(tier__isnull=False).exists()


def test_step2_the_enable_toggle_is_admin_only(login_client, make_staff, page, tenant_a):
    for role in NON_ADMINS:
        client = login_client(make_staff(role))
        html = client.get(page).content.decode()
        assert 'name="tiers_enabled"' not in html and "Update return settings" not in html
        assert "Dispute tiers</dt><dd>Disabled" in html  # read-only state instead of the switch
        response = client.post(page, {"tiers_enabled": "on", "return_window_days": "7", "reasons": "x"})
        assert response.status_code == 403
    assert not ReturnSettings.objects.filter(tenant=tenant_a, tiers_enabled=True).exists()


# --- Step 3: create a tier --------------------------------------------------------------------------------


def test_step3_create_in_the_tier_table_opens_the_four_group_form(login_client, alice, page):
    client = login_client(alice)
    head = section(client.get(page).content.decode(), "return-tiers-title")
    assert re.search(rf'<a class="btn primary" href="{page}/tiers/new"[^>]*>Create</a>', head)
    modal = client.get(f"{page}/tiers/new", **HX).content.decode()
    legends = re.findall(r"<legend>(.*?)</legend>", modal)
    assert legends == [
        "Identity &amp; copy",
        "Visual identity",
        "Behaviour – tier bracket",
        "Behaviour – rewards and penalties",
    ]
    for name in TIER_FIELDS:
        assert f'name="{name}"' in modal, name


def test_step3_a_created_tier_appears_at_the_bottom_of_the_order(login_client, alice, page, tenant_a, ladder):
    data = {"name": "Ripe", "color": "#f59e0b", "icon": "sun", "lower_bound": "5", "upper_bound": "15"}
    assert login_client(alice).post(f"{page}/tiers/new", data).status_code == 302
    assert names_in_order(tenant_a) == ["Fresh", "Golden", "Rotten", "Ripe"]


def test_step3_overlapping_brackets_fail_with_tiers_overlap(login_client, alice, page, ladder):
    data = {"name": "Bad", "color": "#000000", "icon": "sun", "lower_bound": "3", "upper_bound": "10"}
    response = login_client(alice).post(f"{page}/tiers/new", data)
    assert response.status_code == 422 and "overlap" in response.content.decode().lower()
    assert ReturnTier.objects.count() == 3


# --- Step 5: reorder (Admin only) -------------------------------------------------------------------------


def test_step5_admin_drags_rows_to_reorder(login_client, alice, page, tenant_a, ladder):
    client = login_client(alice)
    table = client.get(page).content.decode()
    assert table.count('draggable="true"') == 3 and "returns/tiers.js" in table
    fresh, golden, rotten = ladder
    order = [rotten.public_id, golden.public_id, fresh.public_id]
    assert client.post(f"{page}/tiers/order", {"order": order}, **HX).status_code == 200
    assert names_in_order(tenant_a) == ["Rotten", "Golden", "Fresh"]


def test_step5_reordering_is_admin_only(login_client, make_staff, page, tenant_a, ladder):
    fresh, golden, rotten = ladder
    for role in NON_ADMINS:
        client = login_client(make_staff(role))
        html = client.get(page).content.decode()
        assert "draggable" not in html and "data-sortable" not in html and "Move up" not in html
        order = {"order": [rotten.public_id, golden.public_id, fresh.public_id]}
        assert client.post(f"{page}/tiers/order", order, **HX).status_code == 403
        assert client.post(f"{page}/tiers/{rotten.public_id}/move", {"direction": "up"}).status_code == 403
    assert names_in_order(tenant_a) == ["Fresh", "Golden", "Rotten"]


# --- Step 6: recalculate ----------------------------------------------------------------------------------


def test_step6_recalculate_asks_the_seeds_exact_question(login_client, alice, page):
    assert RECALC_CONFIRM == SEED_CONFIRM
    html = login_client(alice).get(page).content.decode()
    assert re.search(
        r'<button class="btn" type="button" data-open-dialog="recalc-confirm">Recalculate</button>', html
    )
    dialog = html[html.index('<dialog id="recalc-confirm"') : html.index("</dialog>")]
    assert f"<p>{SEED_CONFIRM}</p>" in dialog and f'action="{page}/recalculate"' in dialog


def test_step6_confirming_queues_the_job_that_assigns_tiers(
    login_client, alice, page, tenant_a, acme_customer, ladder, django_capture_on_commit_callbacks
):
    ReturnSettings.objects.update_or_create(tenant=tenant_a, defaults={"tiers_enabled": True})
    with django_capture_on_commit_callbacks(execute=True):
        response = login_client(alice).post(f"{page}/recalculate", **HX)
    assert response.status_code == 200 and 'id="recalc-progress"' in response.content.decode()
    run = TierRecalculation.objects.get(tenant=tenant_a)
    assert run.status == "queued"
    assert DBTaskResult.objects.filter(task_path__endswith="tier_recalculation_job").count() == 1
    recalculation_run(recalculation_id=run.pk)  # what the queued job runs
    # under $5,000 spent: the new-customer tier
    assert CustomerTier.objects.get(customer=acme_customer).tier.name == "Fresh"


# --- Step 7: edit or delete -------------------------------------------------------------------------------


def test_step7_clicking_a_row_opens_the_edit_modal(login_client, alice, page, ladder):
    client = login_client(alice)
    golden = ladder[1]
    html = client.get(page).content.decode()
    row = re.search(rf'<tr data-id="{golden.public_id}"[^>]*>', html).group(0)
    assert f'hx-get="{page}/tiers/{golden.public_id}/"' in row and 'hx-target="#tier-modal-slot"' in row
    modal = client.get(f"{page}/tiers/{golden.public_id}/", **HX).content.decode()
    assert "<dialog" in modal and 'value="Golden"' in modal and "Identity &amp; copy" in modal


def test_step7_bulk_select_and_delete(login_client, alice, page, tenant_a, ladder):
    client = login_client(alice)
    html = client.get(page).content.decode()
    assert html.count('type="checkbox" name="ids"') == 3
    assert re.search(rf'formaction="{page}/tiers/delete"[^>]*>Delete</button>', html)
    fresh, golden, rotten = ladder
    assert (
        client.post(f"{page}/tiers/delete", {"ids": [golden.public_id, rotten.public_id]}).status_code == 302
    )
    assert names_in_order(tenant_a) == ["Fresh"]


# --- Non-Admin roles: read-only table --------------------------------------------------------------------


@pytest.mark.parametrize("role", NON_ADMINS)
def test_non_admins_see_the_tier_table_read_only(login_client, make_staff, page, ladder, role):
    client = login_client(make_staff(role))
    html = client.get(page).content.decode()
    table = section(html, "return-tiers-title")
    assert all(name in table for name in ("Fresh", "Golden", "Rotten"))
    for control in (">Create</a>", ">Recalculate</button>", ">Delete</button>", 'name="ids"',
                    'name="tiers_enabled"', "recalc-confirm"):  # fmt: skip
        assert control not in html, control
    assert client.post(f"{page}/tiers/delete", {"ids": [ladder[0].public_id]}).status_code == 403
    assert client.post(f"{page}/recalculate").status_code == 403
    assert ReturnTier.objects.count() == 3 and not TierRecalculation.objects.exists()


def test_another_tenants_admin_gets_404(login_client, bob, page, ladder):
    client = login_client(bob)
    assert client.get(page).status_code == 404
    assert (
        client.post(page, {"tiers_enabled": "on", "return_window_days": "7", "reasons": "x"}).status_code
        == 404
    )
    assert client.post(f"{page}/recalculate").status_code == 404
    assert not TierRecalculation.objects.exists()


# --- The portal's "View return policy" --------------------------------------------------------------------


def test_view_return_policy_in_the_portal_opens_the_lead_returns_url(
    login_client, alice, buyer, page, tenant_a
):
    url = "https://help.acme.test/returns"
    login_client(alice).post(
        page,
        {"policy_url": url, "return_window_days": "7", "reasons": "Wrong number", "returns_enabled": "on"},
    )
    client = login_client(buyer)
    for portal_page in ("/app/returns/", "/app/returns/tiers/"):
        html = client.get(portal_page).content.decode()
        assert re.search(rf'<a [^>]*href="{re.escape(url)}"[^>]*>View return policy</a>', html), portal_page


def test_no_policy_url_no_link(login_client, buyer):
    assert "View return policy" not in login_client(buyer).get("/app/returns/").content.decode()
