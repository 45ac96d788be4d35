"""The customer page's Bids tab (create, pause/resume, edit, history) and Leads tab (filters by source, date
range and value, pages, and returns started and decided from the row), driven through the pages; another
tenant's staff get 404 and nothing changes."""

# The returns app's `sold_lead` factory is imported as a fixture; tests take it as an argument.
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from juiced.leads.models import Bid, BidChange, Lead, LeadStatus
from juiced.returns.models import ReturnRequest
from juiced.tenants.roles import StaffRole
from juiced.wallets.models import TransactionEvent
from tests.returns.conftest import sold_lead  # noqa: F401  (the returns factory, reused here)

WRONG_NUMBER = "Wrong or disconnected phone number"


def tab(customer, rest: str = "") -> str:
    return f"/manage/{customer.tenant.slug}/customers/{customer.public_id}/{rest}"


@pytest.fixture
def market(
    tenant_a, acme_customer, make_category, make_lead_type, make_source, make_bid, make_customer, fund
):
    category = make_category(tenant_a)
    auto = make_lead_type(category, "Auto", minimum=1000, step=100)
    web, _ = make_source(tenant_a, "Web form", category=category)
    partner, _ = make_source(tenant_a, "Partner feed", category=category)
    rival = make_customer("Rival Co")
    fund(acme_customer, 10_000)
    return {
        "category": category,
        "auto": auto,
        "web": web,
        "partner": partner,
        "rival": rival,
        "mine": make_bid(acme_customer, auto, amount=2500),
        "theirs": make_bid(rival, auto, amount=2000),
    }


def bid_state(bid: Bid) -> tuple:
    bid.refresh_from_db()
    return (
        bid.amount,
        bid.is_paused,
        bid.archived_at,
        bid.daily_cap,
        BidChange.objects.filter(bid=bid).count(),
    )


# --- Bids tab -------------------------------------------------------------------------------------------


def test_staff_creates_pauses_resumes_and_edits_a_bid_and_its_history_tells_each_step(
    login_client, alice, acme_customer, market
):
    client = login_client(alice)
    data = {"lead_type": market["auto"].public_id, "scope": "state", "state": "TX", "amount": "30"}
    assert client.post(tab(acme_customer, "bids/"), data).status_code == 302
    bid = Bid.objects.get(customer=acme_customer, scope="state")
    assert (bid.amount, bid.state) == (3000, "TX")

    paused = client.post(tab(acme_customer, f"bids/{bid.public_id}/pause/"), follow=True)
    assert "Bid paused." in paused.content.decode()
    assert Bid.objects.get(pk=bid.pk).is_paused
    row = re.search(rf'<tr id="bid-{bid.public_id}">(.*?)</tr>', paused.content.decode(), re.S).group(1)
    assert "Paused" in row and ">Resume</button>" in row

    resumed = client.post(tab(acme_customer, f"bids/{bid.public_id}/resume/"), follow=True)
    assert "Bid resumed." in resumed.content.decode()
    assert not Bid.objects.get(pk=bid.pk).is_paused

    assert client.post(tab(acme_customer, f"bids/{bid.public_id}/"), {"amount": "32"}).status_code == 302
    assert Bid.objects.get(pk=bid.pk).amount == 3200

    page = client.get(tab(acme_customer, f"bids/{bid.public_id}/"))
    history = [(c.action, c.actor_label) for c in page.context["history"]]
    assert history == [
        ("updated", "alice@acme.test"),
        ("resumed", "alice@acme.test"),
        ("paused", "alice@acme.test"),
        ("created", "alice@acme.test"),
    ]
    section = page.content.decode().split('id="history"')[1]
    assert "Updated" in section and "Resumed" in section and "Paused" in section and "Created" in section
    assert "$30.00 → $32.00" in section


def test_each_bid_row_links_to_its_edit_form_and_history(login_client, alice, acme_customer, market):
    html = login_client(alice).get(tab(acme_customer, "bids/")).content.decode()
    bid_url = tab(acme_customer, f"bids/{market['mine'].public_id}/")
    assert f'href="{bid_url}#history">History</a>' in html
    assert f'href="{bid_url}">Edit</a>' in html
    assert market["theirs"].public_id not in html


def test_a_bid_form_error_shows_next_to_the_field_and_creates_nothing(
    login_client, alice, acme_customer, market
):
    data = {"lead_type": market["auto"].public_id, "scope": "nationwide", "amount": "5"}
    response = login_client(alice).post(tab(acme_customer, "bids/"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["amount"]
    assert 'class="field-error"' in response.content.decode()
    assert Bid.objects.filter(customer=acme_customer).count() == 1


def test_an_edit_error_shows_next_to_the_field_and_changes_nothing(
    login_client, alice, acme_customer, market
):
    bid = market["mine"]
    before = bid_state(bid)
    response = login_client(alice).post(tab(acme_customer, f"bids/{bid.public_id}/"), {"amount": "lots"})
    assert response.status_code == 422
    assert response.context["form"].errors["amount"]
    assert bid_state(bid) == before


def test_another_tenants_staff_get_404_on_every_bid_page_and_action(login_client, bob, acme_customer, market):
    client = login_client(bob)
    bid = market["mine"]
    before = bid_state(bid), Bid.objects.count()
    assert client.get(tab(acme_customer, "bids/")).status_code == 404
    assert client.get(tab(acme_customer, f"bids/{bid.public_id}/")).status_code == 404
    create = {"lead_type": market["auto"].public_id, "scope": "nationwide", "amount": "40"}
    assert client.post(tab(acme_customer, "bids/"), create).status_code == 404
    assert client.post(tab(acme_customer, f"bids/{bid.public_id}/"), {"amount": "40"}).status_code == 404
    for action in ("pause", "resume", "archive"):
        assert client.post(tab(acme_customer, f"bids/{bid.public_id}/{action}/")).status_code == 404
    assert (bid_state(bid), Bid.objects.count()) == before


def test_another_customers_bid_is_404_under_this_customers_tab(login_client, alice, acme_customer, market):
    theirs = market["theirs"]
    before = bid_state(theirs)
    client = login_client(alice)
    assert client.get(tab(acme_customer, f"bids/{theirs.public_id}/")).status_code == 404
    assert client.post(tab(acme_customer, f"bids/{theirs.public_id}/pause/")).status_code == 404
    assert client.post(tab(acme_customer, f"bids/{theirs.public_id}/"), {"amount": "99"}).status_code == 404
    assert bid_state(theirs) == before


def test_sales_sees_bids_but_its_create_is_refused(login_client, make_staff, acme_customer, market):
    sales = login_client(make_staff(StaffRole.SALES))
    create = {"lead_type": market["auto"].public_id, "scope": "nationwide", "amount": "40"}
    response = sales.post(tab(acme_customer, "bids/"), create, follow=True)
    assert "Your role does not allow changing bids." in response.content.decode()
    assert Bid.objects.filter(customer=acme_customer).count() == 1


# --- Leads tab: filters and pages -------------------------------------------------------------------------


def _lead(market, customer, *, source, price, days_ago=0, status=LeadStatus.ASSIGNED):
    lead = Lead.objects.create(
        tenant=customer.tenant, source=source, category=market["category"], lead_type=market["auto"],
        status=status, customer=customer, price=price, bid_amount=price, data={"first_name": "Ann"},
        assigned_at=timezone.now() - timedelta(days=days_ago),
    )  # fmt: skip
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return lead


def shown(client, customer, query: str = "") -> list[str]:
    response = client.get(tab(customer, "leads/" + query))
    assert response.status_code == 200
    return [lead.public_id for lead in response.context["page"].object_list]


def test_leads_tab_filters_by_source_date_range_and_value(login_client, alice, acme_customer, market):
    web_cheap = _lead(market, acme_customer, source=market["web"], price=1500, days_ago=1)
    web_dear = _lead(market, acme_customer, source=market["web"], price=4500, days_ago=10)
    partner = _lead(market, acme_customer, source=market["partner"], price=3000, days_ago=20)
    rivals = _lead(market, market["rival"], source=market["web"], price=3000)
    client = login_client(alice)
    assert shown(client, acme_customer) == [web_cheap.public_id, web_dear.public_id, partner.public_id]
    assert rivals.public_id not in shown(client, acme_customer)
    assert shown(client, acme_customer, f"?source={market['partner'].public_id}") == [partner.public_id]
    today = timezone.localdate()
    since, until = (today - timedelta(days=15)).isoformat(), (today - timedelta(days=5)).isoformat()
    assert shown(client, acme_customer, f"?since={since}&until={until}") == [web_dear.public_id]
    assert shown(client, acme_customer, "?min_price=20&max_price=40") == [partner.public_id]
    assert shown(client, acme_customer, "?max_price=15") == [web_cheap.public_id]


def test_leads_tab_filter_errors_show_next_to_the_field(login_client, alice, acme_customer, market):
    response = login_client(alice).get(tab(acme_customer, "leads/?min_price=lots"))
    assert response.status_code == 200
    assert response.context["filter_form"].errors["min_price"]
    assert 'class="field-error"' in response.content.decode()


def test_leads_tab_pages_keep_the_filters(login_client, alice, acme_customer, market):
    for _ in range(51):
        _lead(market, acme_customer, source=market["web"], price=2000)
    _lead(market, acme_customer, source=market["partner"], price=2000)
    client = login_client(alice)
    query = f"?source={market['web'].public_id}"
    first = client.get(tab(acme_customer, "leads/" + query))
    assert len(first.context["page"].object_list) == 50
    html = first.content.decode()
    assert "Page 1 of 2 · 51 total" in html
    assert f"source={market['web'].public_id}&amp;page=2" in html
    assert len(shown(client, acme_customer, query + "&page=2")) == 1


def test_leads_tab_htmx_filter_returns_only_the_table(login_client, alice, acme_customer, market):
    lead = _lead(market, acme_customer, source=market["web"], price=1500)
    response = login_client(alice).get(tab(acme_customer, "leads/?max_price=20"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="leads"') and lead.public_id in html and "<nav" not in html


def test_another_tenants_staff_get_404_on_the_leads_tab(login_client, bob, acme_customer, market):
    assert login_client(bob).get(tab(acme_customer, "leads/")).status_code == 404


# --- Leads tab: returns -------------------------------------------------------------------------------------


def lead_row(html: str, lead: Lead) -> str:
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return next(row for row in rows if lead.public_id in row)


def test_staff_starts_a_return_from_the_leads_row(login_client, alice, acme_customer, market, sold_lead):
    lead = sold_lead(acme_customer, price=2500)
    client = login_client(alice)
    row = lead_row(client.get(tab(acme_customer, "leads/")).content.decode(), lead)
    form_url = tab(acme_customer, f"leads/{lead.public_id}/return/")
    assert f'href="{form_url}"' in row and "Start a return" in row

    form = client.get(form_url)
    assert form.status_code == 200 and lead.public_id in form.content.decode()
    response = client.post(form_url, {"reason": WRONG_NUMBER, "comment": "Disconnected"})
    assert response.status_code == 302 and response["Location"] == tab(acme_customer, "leads/")
    request = ReturnRequest.objects.get(lead=lead)
    assert (request.status, request.customer, request.reason, request.requested_by) == (
        "pending", acme_customer, WRONG_NUMBER, alice,
    )  # fmt: skip

    row = lead_row(client.get(tab(acme_customer, "leads/")).content.decode(), lead)
    assert "Return pending" in row and WRONG_NUMBER in row
    assert f"returns/{request.public_id}/approve/" in row and f"returns/{request.public_id}/reject/" in row
    assert "Start a return" not in row


def test_a_return_without_a_reason_is_refused_next_to_the_field(
    login_client, alice, acme_customer, market, sold_lead
):
    lead = sold_lead(acme_customer)
    response = login_client(alice).post(tab(acme_customer, f"leads/{lead.public_id}/return/"), {"reason": ""})
    assert response.status_code == 422
    assert response.context["form"].errors["reason"]
    assert 'class="field-error"' in response.content.decode()
    assert not ReturnRequest.objects.exists()


def test_a_second_return_of_the_same_lead_is_refused_with_the_reason_shown(
    login_client, alice, acme_customer, market, sold_lead
):
    lead = sold_lead(acme_customer)
    client = login_client(alice)
    url = tab(acme_customer, f"leads/{lead.public_id}/return/")
    client.post(url, {"reason": WRONG_NUMBER})
    again = client.post(url, {"reason": "Other"})
    assert again.status_code == 422
    assert "A return request for this lead is already open." in again.content.decode()
    assert ReturnRequest.objects.filter(lead=lead).count() == 1


def test_staff_approves_a_pending_return_from_the_leads_tab(
    login_client, alice, acme_customer, market, sold_lead
):
    lead = sold_lead(acme_customer, price=2500)
    client = login_client(alice)
    client.post(tab(acme_customer, f"leads/{lead.public_id}/return/"), {"reason": WRONG_NUMBER})
    request = ReturnRequest.objects.get(lead=lead)
    before = acme_customer.wallet.balance
    response = client.post(tab(acme_customer, f"returns/{request.public_id}/approve/"), {"note": "Verified"})
    assert response.status_code == 302 and response["Location"] == tab(acme_customer, "leads/")
    request.refresh_from_db()
    lead.refresh_from_db()
    acme_customer.wallet.refresh_from_db()
    assert (request.status, request.amount, request.decision_note) == ("approved", 2500, "Verified")
    assert lead.status == LeadStatus.RETURNED
    assert acme_customer.wallet.balance == before + 2500
    assert acme_customer.wallet.transactions.filter(event=TransactionEvent.LEAD_RETURNED).count() == 1
    row = lead_row(client.get(tab(acme_customer, "leads/")).content.decode(), lead)
    assert "Returned" in row and "Return pending" not in row and "Start a return" not in row


def test_staff_rejects_a_pending_return_from_the_leads_tab(
    login_client, alice, acme_customer, market, sold_lead
):
    lead = sold_lead(acme_customer, price=2500)
    client = login_client(alice)
    client.post(tab(acme_customer, f"leads/{lead.public_id}/return/"), {"reason": WRONG_NUMBER})
    request = ReturnRequest.objects.get(lead=lead)
    balance = acme_customer.wallet.balance
    response = client.post(
        tab(acme_customer, f"returns/{request.public_id}/reject/"), {"note": "Valid lead"}, follow=True
    )
    assert f"Return {request.public_id} rejected." in response.content.decode()
    request.refresh_from_db()
    lead.refresh_from_db()
    acme_customer.wallet.refresh_from_db()
    assert (request.status, request.decision_note, lead.status) == ("rejected", "Valid lead", "assigned")
    assert acme_customer.wallet.balance == balance


def test_deciding_twice_is_refused_with_a_message_and_changes_nothing(
    login_client, alice, acme_customer, market, sold_lead
):
    lead = sold_lead(acme_customer, price=2500)
    client = login_client(alice)
    client.post(tab(acme_customer, f"leads/{lead.public_id}/return/"), {"reason": WRONG_NUMBER})
    request = ReturnRequest.objects.get(lead=lead)
    client.post(tab(acme_customer, f"returns/{request.public_id}/approve/"))
    acme_customer.wallet.refresh_from_db()
    balance = acme_customer.wallet.balance
    again = client.post(tab(acme_customer, f"returns/{request.public_id}/approve/"), follow=True)
    assert "This return was already approved." in again.content.decode()
    request.refresh_from_db()
    acme_customer.wallet.refresh_from_db()
    assert request.status == "approved" and acme_customer.wallet.balance == balance


def test_rejecting_without_a_note_shows_the_error_next_to_the_rows_note(
    login_client, alice, acme_customer, market, sold_lead
):
    lead = sold_lead(acme_customer, price=2500)
    client = login_client(alice)
    client.post(tab(acme_customer, f"leads/{lead.public_id}/return/"), {"reason": WRONG_NUMBER})
    request = ReturnRequest.objects.get(lead=lead)
    response = client.post(tab(acme_customer, f"returns/{request.public_id}/reject/"), {"note": "  "})
    assert response.status_code == 422
    row = lead_row(response.content.decode(), lead)
    assert f'id="note-{request.public_id}-error"' in row
    assert "Tell the buyer why the return is rejected." in row
    request.refresh_from_db()
    assert request.status == "pending"


def test_another_customers_lead_or_return_is_404_under_this_customer(
    login_client, alice, acme_customer, market, sold_lead
):
    rivals_lead = sold_lead(market["rival"], price=2000)
    client = login_client(alice)
    url = tab(acme_customer, f"leads/{rivals_lead.public_id}/return/")
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": WRONG_NUMBER}).status_code == 404
    assert not ReturnRequest.objects.exists()
    rivals_return = ReturnRequest.objects.create(
        tenant=rivals_lead.tenant, customer=market["rival"], lead=rivals_lead, reason="Other"
    )
    for action in ("approve", "reject"):
        assert (
            client.post(tab(acme_customer, f"returns/{rivals_return.public_id}/{action}/")).status_code == 404
        )
    rivals_return.refresh_from_db()
    assert rivals_return.status == "pending"


def test_another_tenants_staff_get_404_on_every_return_page_and_action(
    login_client, bob, alice, acme_customer, market, sold_lead
):
    lead = sold_lead(acme_customer, price=2500)
    login_client(alice).post(tab(acme_customer, f"leads/{lead.public_id}/return/"), {"reason": WRONG_NUMBER})
    request = ReturnRequest.objects.get(lead=lead)
    client = login_client(bob)
    url = tab(acme_customer, f"leads/{lead.public_id}/return/")
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Other"}).status_code == 404
    for action in ("approve", "reject"):
        assert client.post(tab(acme_customer, f"returns/{request.public_id}/{action}/")).status_code == 404
    request.refresh_from_db()
    assert request.status == "pending" and ReturnRequest.objects.count() == 1
    # bob's own tenant slug does not reach tenant A's customer either
    foreign = f"/manage/bolt-leads/customers/{acme_customer.public_id}/returns/{request.public_id}/approve/"
    assert client.post(foreign).status_code == 404


def test_sales_sees_leads_without_return_buttons_and_cannot_start_or_decide(
    login_client, make_staff, alice, acme_customer, market, sold_lead
):
    lead = sold_lead(acme_customer, price=2500)
    other = sold_lead(acme_customer, price=2500, first_name="Otto")
    login_client(alice).post(tab(acme_customer, f"leads/{other.public_id}/return/"), {"reason": "Other"})
    request = ReturnRequest.objects.get(lead=other)
    sales = login_client(make_staff(StaffRole.SALES))
    html = sales.get(tab(acme_customer, "leads/")).content.decode()
    assert "Start a return" not in lead_row(html, lead) and "Return pending" in lead_row(html, other)
    assert "/approve/" not in lead_row(html, other) and "/return/" not in html
    assert (
        sales.post(tab(acme_customer, f"leads/{lead.public_id}/return/"), {"reason": "Other"}).status_code
        == 403
    )
    assert sales.post(tab(acme_customer, f"returns/{request.public_id}/approve/")).status_code == 403
    request.refresh_from_db()
    assert request.status == "pending" and ReturnRequest.objects.count() == 1
