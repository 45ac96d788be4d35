"""Seed 001 (returns settings and the return-tier ladder), the sentences no other test proved precisely.
Each test names the sentence it proves; docs/seed-traceability.md points at it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from juiced.leads.auction import Candidate, Grid, decide
from juiced.notifications.services import template_save
from juiced.returns import tiers
from juiced.returns.icons import icon_svg
from juiced.returns.models import CustomerTier, TierRecalculation
from juiced.returns.recalc import recalculation_request, recalculation_run
from juiced.returns.services import return_approve, return_request
from juiced.returns.settings import return_settings_update
from tests.returns._recalc_support import ledger, seed_ladder, tier_notices, tiers_on

pytestmark = pytest.mark.django_db

REASON = "Invalid e-mail address"  # one of the tenant's default return reasons
ESTABLISHED = 1_000_000  # $10,000 charged: no longer a new customer


def recalculate(tenant) -> TierRecalculation:
    run = recalculation_request(tenant=tenant, actor=None, in_background=False)
    return recalculation_run(recalculation_id=run.pk)


def tier_name(customer) -> str | None:
    row = CustomerTier.objects.select_related("tier").filter(customer=customer).first()
    return row.tier.name if row and row.tier else None


def test_settings_link_to_the_returns_page_at_disputes(tenant_a, alice, login_client):
    client = login_client(alice)
    settings_page = client.get(f"/manage/{tenant_a.slug}/settings/").content.decode()
    assert f'href="/manage/{tenant_a.slug}/settings/"' in settings_page  # Settings in the sidebar
    assert f'<a href="/manage/{tenant_a.slug}/disputes"' in settings_page and ">Returns</a>" in settings_page
    returns_page = client.get(f"/manage/{tenant_a.slug}/disputes")
    assert returns_page.status_code == 200 and "Return Tiers" in returns_page.content.decode()


def test_with_tiers_off_a_return_still_credits_the_buyer(tenant_a, acme_customer, alice, sold_lead):
    tiers_on(tenant_a, enabled=False)
    seed_ladder(tenant_a)
    lead = sold_lead(acme_customer, 25_00)
    balance = acme_customer.wallet.balance
    request = return_request(
        tenant=tenant_a, lead_id=lead.public_id, reason=REASON, actor=alice, customer=acme_customer
    )
    approved = return_approve(tenant=tenant_a, request_id=request.public_id, actor=alice)
    acme_customer.wallet.refresh_from_db()
    assert approved.status == "approved" and acme_customer.wallet.balance == balance + 25_00
    recalculate(tenant_a)
    assert tier_name(acme_customer) is None


def test_enabling_tiers_assigns_nobody_until_a_recalculation(tenant_a, acme_customer, alice):
    ledger(acme_customer, charged=ESTABLISHED)
    return_settings_update(tenant=tenant_a, actor=alice, data={"tiers_enabled": True})
    assert tier_name(acme_customer) is None  # on, but no tier defined yet
    tiers.tier_create(
        tenant=tenant_a, actor=alice,
        data={"name": "Golden", "color": "#d4a017", "icon": "crown", "lower_bound": "0", "upper_bound": "5"},
    )  # fmt: skip
    assert not CustomerTier.objects.filter(tier__isnull=False).exists()  # a tier, still no recalculation
    recalculate(tenant_a)
    assert tier_name(acme_customer) == "Golden"


def test_editing_a_tier_moves_nobody_until_a_recalculation(tenant_a, acme_customer, alice):
    tiers_on(tenant_a)
    ladder = seed_ladder(tenant_a)
    ledger(acme_customer, charged=ESTABLISHED, returned=ESTABLISHED // 100)  # 1 %
    recalculate(tenant_a)
    assert tier_name(acme_customer) == "Golden"
    tiers.tier_update(tier=ladder["Golden"], actor=alice, data={"lower_bound": "2"})  # 1 % now in a gap
    assert tier_name(acme_customer) == "Golden"
    recalculate(tenant_a)
    assert tier_name(acme_customer) is None


def test_a_recalculation_reassigns_the_customers_of_a_deleted_tier(tenant_a, acme_customer, alice):
    tiers_on(tenant_a)
    ladder = seed_ladder(tenant_a)
    ledger(acme_customer, charged=ESTABLISHED, returned=ESTABLISHED // 100)  # 1 %
    recalculate(tenant_a)
    tiers.tiers_delete(tenant=tenant_a, actor=alice, public_ids=[ladder["Golden"].public_id])
    assert tier_name(acme_customer) is None  # orphaned, not re-bracketed
    tiers.tier_update(tier=ladder["Ripe"], actor=alice, data={"lower_bound": "0"})
    recalculate(tenant_a)
    assert tier_name(acme_customer) == "Ripe"


def test_a_hidden_return_tier_updated_template_sends_nothing_on_recalculation(tenant_a, acme_customer, alice):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    ledger(acme_customer, charged=ESTABLISHED)
    template_save(
        tenant=tenant_a, actor=alice, notification_type="return_tier_updated",
        data={"visible": False, "default_on": False},
    )  # fmt: skip
    recalculate(tenant_a)
    assert tier_name(acme_customer) == "Golden" and tier_notices() == []
    template_save(
        tenant=tenant_a, actor=alice, notification_type="return_tier_updated", data={"visible": True}
    )
    ledger(acme_customer, charged=0, returned=ESTABLISHED // 10)  # 10 %: Ripe
    recalculate(tenant_a)
    assert tier_name(acme_customer) == "Ripe" and tier_notices() == ["Acme Insurance"]


def test_the_portal_tier_list_shows_headline_and_brief_description(
    tenant_a, acme_customer, alice, buyer, login_client
):
    tiers_on(tenant_a)
    tiers.tier_create(
        tenant=tenant_a, actor=alice,
        data={
            "name": "Golden", "color": "#d4a017", "icon": "crown", "lower_bound": "0", "upper_bound": "5",
            "headline": "Top 10% — keep it up", "brief_description": "You return very few leads.",
        },
    )  # fmt: skip
    html = login_client(buyer).get("/app/returns/tiers/").content.decode()
    assert "Top 10% — keep it up" in html and "You return very few leads." in html


def test_the_badge_carries_the_tier_colour_and_icon(tenant_a, acme_customer, buyer, login_client):
    tiers_on(tenant_a)
    golden = seed_ladder(tenant_a)["Golden"]
    golden.color, golden.icon = "#d4a017", "crown"
    golden.save()
    ledger(acme_customer, charged=ESTABLISHED)
    recalculate(tenant_a)
    html = login_client(buyer).get("/app/").content.decode()
    badge = html[html.index('class="tier-badge"') :]
    badge = badge[: badge.index("</span></span>")]
    assert "--tier-color: #d4a017" in badge and str(icon_svg("crown")) in badge and "Golden" in badge


def test_a_twenty_percent_penalty_bids_100_as_80_and_pays_100_when_it_wins():
    grid = Grid(minimum=1000, step=100)
    penalised = Candidate(1, 1, 100_00, grid, 500_00, penalty_pct=Decimal(20))
    # Against $85 the penalised $100 bid (worth $80) loses…
    lost = decide([penalised, Candidate(2, 2, 85_00, grid, 500_00)])
    assert lost.winner.bid_id == 2
    ranked = {row.candidate.bid_id: row for row in lost.ranked}
    assert ranked[1].effective == Decimal("8000")
    # …against $75 it wins and pays its full $100.
    won = decide([penalised, Candidate(3, 3, 75_00, grid, 500_00)])
    assert (won.winner.bid_id, won.price) == (1, 100_00)


def test_the_customer_edit_form_turns_ignore_dispute_tiers_on(tenant_a, acme_customer, alice, login_client):
    client = login_client(alice)
    url = f"/manage/{tenant_a.slug}/customers/{acme_customer.public_id}/edit/"
    form = client.get(url)
    assert "ignore dispute tiers" in form.content.decode().lower()
    data = {
        key: value for key, value in form.context["form"].initial.items() if value not in (None, False, "")
    }
    data = {key: "on" if value is True else value for key, value in data.items()}
    response = client.post(url, {**data, "return_tiers_disabled": "on"})
    assert response.status_code == 302
    acme_customer.refresh_from_db()
    assert acme_customer.return_tiers_disabled and acme_customer.can_access_bidding
