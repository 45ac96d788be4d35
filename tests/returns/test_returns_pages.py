"""Return pages: the staff queue (filters, htmx row decisions, bulk, request for a buyer; roles) and the
portal (list with rate, the request form); tenant and customer isolation."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from juiced.customers.models import CustomerMembership
from juiced.leads.models import LeadStatus
from juiced.returns import services
from juiced.returns.models import ReturnRequest
from juiced.tenants.roles import CustomerRole, StaffRole

QUEUE = "/manage/acme-leads/returns/"
REASON = "Other"


@pytest.fixture
def pending(tenant_a, acme_customer, sold_lead):
    lead = sold_lead(acme_customer, 2500)
    return services.return_request(
        tenant=tenant_a, lead_id=lead.public_id, reason=REASON, comment="no answer"
    )


def test_queue_lists_pending_and_filters(login_client, alice, pending, tenant_a, acme_customer, sold_lead):
    client = login_client(alice)
    page = client.get(QUEUE)
    assert page.status_code == 200
    assert pending.public_id in page.content.decode() and "Approve selected" in page.content.decode()
    table = client.get(QUEUE + "?status=approved", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="returns-table")
    assert table.status_code == 200 and "<html" not in table.content.decode()
    assert pending.public_id not in table.content.decode()
    by_reason = client.get(QUEUE + "?status=pending&reason=Other").content.decode()
    assert pending.public_id in by_reason
    other_reason = client.get(QUEUE + "?reason=Invalid+e-mail+address").content.decode()
    assert pending.public_id not in other_reason


def test_htmx_approve_swaps_the_row(login_client, alice, pending, acme_customer):
    client = login_client(alice)
    before = acme_customer.wallet.balance
    response = client.post(QUEUE + f"{pending.public_id}/approve/", {"note": "ok"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.strip().startswith("<tr") and "Approved" in body and "$25.00 credited" in body
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == before + 2500
    again = client.post(QUEUE + f"{pending.public_id}/approve/", {}, HTTP_HX_REQUEST="true")
    assert again.status_code == 422 and "already approved" in again.content.decode()


def test_reject_needs_a_note_and_shows_on_portal(login_client, alice, buyer, pending):
    client = login_client(alice)
    response = client.post(QUEUE + f"{pending.public_id}/reject/", {"note": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Tell the buyer why" in response.content.decode()
    response = client.post(QUEUE + f"{pending.public_id}/reject/", {"note": "The lead answered"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "rejected"
    portal = login_client(buyer).get("/app/returns/").content.decode()
    assert "Rejected" in portal and "The lead answered" in portal


def test_bulk_from_the_queue(login_client, alice, tenant_a, acme_customer, sold_lead):
    ids = [
        services.return_request(
            tenant=tenant_a, lead_id=sold_lead(acme_customer, 900).public_id, reason=REASON
        ).public_id
        for _ in range(2)
    ]
    response = login_client(alice).post(QUEUE + "bulk/", {"action": "approve", "ids": ids, "note": ""})
    assert response.status_code == 302
    assert set(ReturnRequest.objects.values_list("status", flat=True)) == {"approved"}


def test_staff_request_for_a_buyer(login_client, alice, acme_customer, sold_lead):
    lead = sold_lead(acme_customer, 1200, days_ago=9)
    client = login_client(alice)
    refused = client.post(QUEUE + "new/", {"lead": lead.public_id, "reason": REASON})
    assert refused.status_code == 422
    assert "The return window for this lead closed on" in refused.content.decode()
    fresh = sold_lead(acme_customer, 1200)
    assert client.post(QUEUE + "new/", {"lead": fresh.public_id, "reason": REASON}).status_code == 302
    assert ReturnRequest.objects.get().requested_by == alice


def test_roles(login_client, make_staff, pending):
    sales = login_client(make_staff(StaffRole.SALES))
    page = sales.get(QUEUE)
    assert page.status_code == 200 and "Approve selected" not in page.content.decode()
    assert sales.post(QUEUE + f"{pending.public_id}/approve/", {}).status_code == 403
    support = login_client(make_staff(StaffRole.CUSTOMER_SUPPORT))
    assert support.post(QUEUE + f"{pending.public_id}/approve/", {}).status_code == 302
    validation = login_client(make_staff(StaffRole.DATA_VALIDATION))
    assert validation.get(QUEUE).status_code == 403


def test_other_tenant_is_404(login_client, bob, pending):
    client = login_client(bob)
    assert client.get(QUEUE).status_code == 404
    assert client.post(f"/manage/bolt-leads/returns/{pending.public_id}/approve/", {}).status_code == 404
    assert ReturnRequest.objects.get().status == "pending"


def test_portal_request_flow(login_client, buyer, tenant_a, acme_customer, sold_lead):
    settings = services.settings_for(tenant_a)
    settings.policy_url = "https://acme.test/returns-policy"
    settings.save()
    lead = sold_lead(acme_customer, 3000)
    client = login_client(buyer)
    form = client.get(f"/app/returns/new/?lead={lead.public_id}")
    assert form.status_code == 200
    body = form.content.decode()
    assert "View return policy" in body and "https://acme.test/returns-policy" in body and REASON in body
    bad = client.post(f"/app/returns/new/?lead={lead.public_id}", {"reason": ""})
    assert bad.status_code == 422
    ok = client.post(
        f"/app/returns/new/?lead={lead.public_id}", {"reason": REASON, "comment": "wrong number"}
    )
    assert ok.status_code == 302
    again = client.post(f"/app/returns/new/?lead={lead.public_id}", {"reason": REASON})
    assert again.status_code == 422 and "already open" in again.content.decode()
    services.return_approve(tenant=tenant_a, request_id=ReturnRequest.objects.get().public_id)
    listing = client.get("/app/returns/").content.decode()
    assert "Approved" in listing and "$30.00" in listing and "100.00%" in listing
    lead.refresh_from_db()
    assert lead.status == LeadStatus.RETURNED


def test_portal_isolation(
    login_client, buyer, tenant_a, acme_customer, bolt_customer, sold_lead, make_customer
):
    other = make_customer("Other Buyer")
    other_lead = sold_lead(other, 1000)
    bolt_lead = sold_lead(bolt_customer, 1000)
    client = login_client(buyer)
    assert client.get(f"/app/returns/new/?lead={other_lead.public_id}").status_code == 404
    assert client.post(f"/app/returns/new/?lead={bolt_lead.public_id}", {"reason": REASON}).status_code == 404
    services.return_request(tenant=tenant_a, lead_id=other_lead.public_id, reason=REASON)
    assert other_lead.public_id not in client.get("/app/returns/").content.decode()
    user = get_user_model().objects.create_user(email="viewer@acmeins.test", password="x" * 12, name="V")
    CustomerMembership.objects.create(customer=acme_customer, user=user, role=CustomerRole.CUSTOMER_USER)
    viewer = login_client(user)
    assert viewer.get("/app/returns/").status_code == 200
