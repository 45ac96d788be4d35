"""/api/manage/returns: list with filters, create on a buyer's behalf, get, approve, reject, bulk; roles and
tenant isolation."""

from __future__ import annotations

import json

import pytest

from juiced.returns import services
from juiced.tenants.roles import StaffRole
from juiced.wallets.models import Transaction, TransactionEvent

BASE = "/api/manage/returns"
REASON = "Other"


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def alice_api(api_client, alice, tenant_a):
    return api_client(alice, tenant_a)


def test_create_get_approve(alice_api, acme_customer, sold_lead):
    lead = sold_lead(acme_customer, 1999)
    response = post(alice_api, BASE, {"lead": lead.public_id, "reason": REASON, "comment": "asked by phone"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["lead"] == lead.public_id
    assert body["customer"] == acme_customer.public_id
    ret = body["id"]
    assert alice_api.get(f"{BASE}/{ret}").json()["id"] == ret
    assert [r["id"] for r in alice_api.get(BASE).json()["data"]] == [ret]
    approved = post(alice_api, f"{BASE}/{ret}/approve", {"note": "fine"})
    assert approved.status_code == 200
    assert approved.json()["amount"] == 1999 and approved.json()["transaction"]
    again = post(alice_api, f"{BASE}/{ret}/approve", {})
    assert again.status_code == 409
    assert Transaction.objects.filter(event=TransactionEvent.LEAD_RETURNED).count() == 1
    assert alice_api.get(BASE).json()["data"] == []
    assert len(alice_api.get(BASE + "?status=approved").json()["data"]) == 1


def test_refusal_is_field_level(alice_api, acme_customer, sold_lead):
    lead = sold_lead(acme_customer, 1000, days_ago=30)
    response = post(alice_api, BASE, {"lead": lead.public_id, "reason": "Nope"})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "reason" in fields
    response = post(alice_api, BASE, {"lead": lead.public_id, "reason": REASON})
    assert response.json()["error"]["fields"]["lead"][0].startswith(
        "The return window for this lead closed on"
    )


def test_reject_and_bulk(alice_api, tenant_a, acme_customer, sold_lead):
    ids = [
        services.return_request(
            tenant=tenant_a, lead_id=sold_lead(acme_customer, 500).public_id, reason=REASON
        ).public_id
        for _ in range(3)
    ]
    assert post(alice_api, f"{BASE}/{ids[0]}/reject", {}).status_code == 422
    rejected = post(alice_api, f"{BASE}/{ids[0]}/reject", {"note": "Lead is valid"})
    assert rejected.json()["status"] == "rejected" and rejected.json()["note"] == "Lead is valid"
    bulk = post(alice_api, f"{BASE}/bulk", {"action": "approve", "ids": ids})
    assert bulk.status_code == 200
    assert sorted(r["id"] for r in bulk.json()["data"]) == sorted(ids[1:])
    assert list(bulk.json()["failed"]) == [ids[0]]
    assert post(alice_api, f"{BASE}/bulk", {"action": "delete", "ids": ids}).status_code == 422


def test_roles_and_tenants(api_client, make_staff, bob, tenant_a, tenant_b, acme_customer, sold_lead):
    ret = services.return_request(
        tenant=tenant_a, lead_id=sold_lead(acme_customer, 700).public_id, reason=REASON
    ).public_id
    sales = api_client(make_staff(StaffRole.SALES), tenant_a)
    assert sales.get(f"{BASE}/{ret}").status_code == 200
    assert post(sales, f"{BASE}/{ret}/approve", {}).status_code == 403
    validation = api_client(make_staff(StaffRole.DATA_VALIDATION), tenant_a)
    assert validation.get(BASE).status_code == 403
    bob_api = api_client(bob, tenant_b)
    assert bob_api.get(f"{BASE}/{ret}").status_code == 404
    assert post(bob_api, f"{BASE}/{ret}/approve", {}).status_code == 404
    assert bob_api.get(BASE + "?status=all").json()["data"] == []
