"""Dashboard and portal pages for bids, leads and submissions: render, actions, htmx partials, roles,
tenant isolation (bob gets 404 on every tenant A page; a buyer never sees another customer's records)."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from juiced.leads.models import Bid, DistributionLog, Lead, LeadSettings, LeadStatusChange, Submission
from juiced.tenants.roles import StaffRole


@pytest.fixture
def market(
    tenant_a, acme_customer, make_category, make_lead_type, make_source, make_bid, make_customer, fund
):
    category = make_category(
        tenant_a,
        extra=[
            {"key": "age", "label": "Age", "field_type": "number"},
            {"key": "score", "label": "Internal score", "field_type": "number", "deliverable": False},
        ],
    )
    auto = make_lead_type(category, "Auto", minimum=1000, step=100)
    source, _secret = make_source(tenant_a, category=category)
    rival = make_customer("Rival Co")
    fund(acme_customer, 10_000)
    fund(rival, 10_000)
    mine = make_bid(acme_customer, auto, amount=2500)
    theirs = make_bid(rival, auto, amount=2000, scope="state", state="CA")
    common = {"tenant": tenant_a, "source": source, "category": category, "lead_type": auto}
    sold = Lead.objects.create(
        **common,
        status="assigned",
        customer=acme_customer,
        bid=mine,
        price=2100,
        bid_amount=2500,
        data={"first_name": "Ann", "last_name": "Lee", "age": 44, "score": 97, "zip": "90210"},
        zip_code="90210",
        state="CA",
        county="Los Angeles County",
        assigned_at=timezone.now(),
    )
    rivals_lead = Lead.objects.create(
        **common, status="assigned", customer=rival, price=2000, data={"first_name": "Rob"}
    )
    unsold = Lead.objects.create(**common, status="unassigned", data={"first_name": "Una"})
    test_lead = Lead.objects.create(**common, status="audit", is_test=True, data={"first_name": "Tess"})
    LeadStatusChange.objects.create(
        tenant=tenant_a, lead=sold, from_status="processing", to_status="assigned", reason="Won the auction"
    )
    DistributionLog.objects.create(
        tenant=tenant_a,
        lead=sold,
        outcome="assigned",
        events=[
            {"stage": "initiated", "at": "2026-01-01T00:00:00Z", "message": "Lead received"},
            {
                "stage": "auction",
                "at": "2026-01-01T00:00:00Z",
                "message": "2 candidates",
                "winner": mine.public_id,
                "price": 2100,
                "candidates": [
                    {
                        "bid": mine.public_id,
                        "customer": acme_customer.public_id,
                        "customer_name": "Acme Insurance",
                        "amount": 2500,
                        "competing": 2500,
                        "effective": "2500",
                        "outcome": "ranked",
                        "rank": 1,
                    },
                    {
                        "bid": theirs.public_id,
                        "customer": rival.public_id,
                        "customer_name": "Rival Co",
                        "amount": 2000,
                        "competing": 0,
                        "effective": "0",
                        "outcome": "excluded",
                        "reason": "capped",
                    },
                ],
            },
        ],
    )
    submission = Submission.objects.create(
        tenant=tenant_a,
        source=source,
        kind="post",
        outcome="rejected",
        reason="Missing email",
        errors={"email": ["The email field is required."]},
        payload={"zip": "90210"},
        http_status=422,
        latency_ms=3.2,
    )
    return {
        "auto": auto,
        "mine": mine,
        "theirs": theirs,
        "rival": rival,
        "sold": sold,
        "rivals_lead": rivals_lead,
        "unsold": unsold,
        "test_lead": test_lead,
        "submission": submission,
        "source": source,
    }


def tab(customer, rest=""):
    return f"/manage/acme-leads/customers/{customer.public_id}/{rest}"


def test_bids_tab_shows_statuses_and_positions(login_client, alice, acme_customer, market):
    response = login_client(alice).get(tab(acme_customer, "bids/"))
    assert response.status_code == 200
    body = response.content.decode()
    assert market["mine"].public_id in body and "Nationwide" in body and "$25.00" in body
    assert "Top" in body and "Active" in body and "Place a bid" in body


def test_staff_places_a_bid_from_the_form(login_client, alice, acme_customer, market):
    client = login_client(alice)
    data = {
        "lead_type": market["auto"].public_id,
        "scope": "county",
        "state": "CA",
        "county": "Orange County",
        "amount": "30",
        "daily_cap": "5",
    }
    response = client.post(tab(acme_customer, "bids/"), data)
    assert response.status_code == 302
    bid = Bid.objects.get(customer=acme_customer, scope="county")
    assert (bid.amount, bid.county, bid.daily_cap) == (3000, "Orange County", 5)
    response = client.post(
        tab(acme_customer, "bids/"), data | {"county": "Los Angeles County", "amount": "30.50"}
    )
    assert response.status_code == 422
    assert "Bids go up in steps of $1.00" in response.content.decode()


def test_htmx_pause_returns_the_row(login_client, alice, acme_customer, market):
    bid = market["mine"]
    response = login_client(alice).post(
        tab(acme_customer, f"bids/{bid.public_id}/pause/"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith("<tr") and "Paused" in body and "Resume" in body and "Out" in body
    assert Bid.objects.get(pk=bid.pk).is_paused


def test_bid_page_edits_and_shows_history(login_client, alice, acme_customer, market):
    client = login_client(alice)
    bid = market["mine"]
    response = client.post(tab(acme_customer, f"bids/{bid.public_id}/"), {"amount": "27"})
    assert response.status_code == 302
    page = client.get(tab(acme_customer, f"bids/{bid.public_id}/")).content.decode()
    assert "History" in page and "Updated" in page and "$25.00 → $27.00" in page


def test_county_options_and_lead_type_terms(login_client, alice, market):
    client = login_client(alice)
    options = client.get("/manage/acme-leads/bids/counties/?state=CA").content.decode()
    assert '<option value="Los Angeles County">' in options
    terms = client.get(
        f"/manage/acme-leads/bids/terms/?lead_type={market['auto'].public_id}"
    ).content.decode()
    assert "County: $10.00" in terms and "steps of $1.00" in terms


def test_sales_role_sees_bids_but_cannot_change_them(login_client, make_staff, acme_customer, market):
    sales = login_client(make_staff(StaffRole.SALES))
    page = sales.get(tab(acme_customer, "bids/"))
    assert page.status_code == 200 and "Place a bid" not in page.content.decode()
    assert sales.post(tab(acme_customer, f"bids/{market['mine'].public_id}/pause/")).status_code == 403
    assert not Bid.objects.get(pk=market["mine"].pk).is_paused


def test_leads_list_filters_and_hides_test_leads(login_client, alice, market):
    client = login_client(alice)
    body = client.get("/manage/acme-leads/leads/").content.decode()
    assert market["sold"].public_id in body and market["unsold"].public_id in body
    assert market["test_lead"].public_id not in body
    assert market["test_lead"].public_id in client.get("/manage/acme-leads/leads/?test=on").content.decode()
    body = client.get("/manage/acme-leads/leads/?status=unassigned", HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="leads"') and market["sold"].public_id not in body


def test_lead_page_shows_fields_history_flow_log_and_charge(login_client, alice, market):
    body = login_client(alice).get(f"/manage/acme-leads/leads/{market['sold'].public_id}/").content.decode()
    assert "Internal score" in body and "Internal" in body and "Deliverable" in body
    assert "Won the auction" in body and "Flow log" in body
    assert market["theirs"].public_id in body and "capped" in body and "Rival Co" in body
    assert "$21.00" in body and "Reprocess" not in body  # sold leads cannot be reprocessed


def test_reprocess_button_needs_the_permission_and_an_unsold_lead(login_client, alice, make_staff, market):
    url = f"/manage/acme-leads/leads/{market['unsold'].public_id}/"
    assert "Reprocess" in login_client(alice).get(url).content.decode()
    support = login_client(make_staff(StaffRole.CUSTOMER_SUPPORT))
    assert "Reprocess" not in support.get(url).content.decode()
    assert support.post(url + "reprocess/").status_code == 403


def test_submissions_list_and_detail(login_client, alice, market):
    client = login_client(alice)
    sub = market["submission"]
    assert sub.public_id in client.get("/manage/acme-leads/submissions/?outcome=rejected").content.decode()
    assert (
        sub.public_id not in client.get("/manage/acme-leads/submissions/?outcome=accepted").content.decode()
    )
    body = client.get(f"/manage/acme-leads/submissions/{sub.public_id}/").content.decode()
    assert "Missing email" in body and "The email field is required." in body and "90210" in body


def test_customer_leads_tab_filters_by_price(login_client, alice, acme_customer, market):
    client = login_client(alice)
    assert market["sold"].public_id in client.get(tab(acme_customer, "leads/")).content.decode()
    body = client.get(tab(acme_customer, "leads/?min_price=25")).content.decode()
    assert market["sold"].public_id not in body
    assert market["rivals_lead"].public_id not in client.get(tab(acme_customer, "leads/")).content.decode()


def test_bob_gets_404_on_every_tenant_a_page(login_client, bob, acme_customer, market):
    client = login_client(bob)
    bid = market["mine"].public_id
    for url in [
        tab(acme_customer, "bids/"),
        tab(acme_customer, f"bids/{bid}/"),
        tab(acme_customer, "leads/"),
        "/manage/acme-leads/leads/",
        f"/manage/acme-leads/leads/{market['sold'].public_id}/",
        "/manage/acme-leads/submissions/",
        f"/manage/acme-leads/submissions/{market['submission'].public_id}/",
        "/manage/acme-leads/bids/counties/?state=CA",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(tab(acme_customer, f"bids/{bid}/pause/")).status_code == 404
    assert client.post(f"/manage/acme-leads/leads/{market['unsold'].public_id}/reprocess/").status_code == 404
    # bob's own tenant does not reach tenant A's records through its slug either
    assert client.get(f"/manage/bolt-leads/leads/{market['sold'].public_id}/").status_code == 404
    assert client.get(f"/manage/bolt-leads/customers/{acme_customer.public_id}/bids/").status_code == 404


# --- portal ------------------------------------------------------------------------------------------


def test_buyer_sees_only_own_bids_and_places_one(login_client, buyer, market):
    client = login_client(buyer)
    body = client.get("/app/bids/").content.decode()
    assert market["mine"].public_id in body and market["theirs"].public_id not in body
    assert client.get(f"/app/bids/{market['theirs'].public_id}/").status_code == 404
    response = client.post(
        "/app/bids/", {"lead_type": market["auto"].public_id, "scope": "state", "state": "TX", "amount": "15"}
    )
    assert response.status_code == 302
    assert Bid.objects.filter(customer__public_id=market["mine"].customer.public_id, state="TX").exists()


def test_buyer_is_refused_while_bids_are_locked(login_client, buyer, tenant_a, market):
    LeadSettings.objects.update_or_create(tenant=tenant_a, defaults={"bid_lock": True})
    client = login_client(buyer)
    page = client.get("/app/bids/").content.decode()
    assert "Bids are locked by Acme Leads" in page and "Place a bid" not in page
    response = client.post(f"/app/bids/{market['mine'].public_id}/pause/", HTTP_HX_REQUEST="true")
    assert response.status_code == 409 and "Bids are locked" in response.content.decode()
    assert not Bid.objects.get(pk=market["mine"].pk).is_paused


def test_customer_user_cannot_manage_bids(login_client, acme_customer, market):
    from juiced.customers.models import CustomerMembership
    from juiced.tenants.models import User

    viewer = User.objects.create_user(email="viewer@acmeins.test", password="x" * 12)
    CustomerMembership.objects.create(customer=acme_customer, user=viewer, role="customer_user")
    client = login_client(viewer)
    assert client.get("/app/bids/").status_code == 200
    assert client.post(f"/app/bids/{market['mine'].public_id}/archive/").status_code == 403


def test_portal_leads_show_deliverable_fields_only_and_export_csv(login_client, buyer, market):
    client = login_client(buyer)
    body = client.get("/app/leads/").content.decode()
    assert "Ann" in body and "Rob" not in body and "Una" not in body and "$21.00" in body
    detail = client.get(f"/app/leads/{market['sold'].public_id}/").content.decode()
    assert "Age" in detail and "Internal score" not in detail and "<td>97</td>" not in detail
    assert client.get(f"/app/leads/{market['rivals_lead'].public_id}/").status_code == 404
    response = client.get("/app/leads.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["lead_id", "received", "lead_type", "status", "price"] and "score" not in rows[0]
    assert len(rows) == 2 and rows[1][0] == market["sold"].public_id and rows[1][4] == "21.00"


def test_preview_page_renders(login_client, buyer, market):
    client = login_client(buyer)
    response = client.get(
        f"/app/bids/preview/?lead_type={market['auto'].public_id}&scope=nationwide&amount=30"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "You would win" in body
