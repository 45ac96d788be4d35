# ruff: noqa: F811  (the `market` fixture is imported from test_pages_bids)
"""Bids, leads and submissions API: each endpoint, its errors, roles and tenant isolation."""

from __future__ import annotations

import pytest

from juiced.leads.models import Bid, BidChange
from juiced.tenants.roles import StaffRole
from tests.api.conftest import assert_error, call
from tests.leads.test_pages_bids import market  # noqa: F401  (the shared marketplace fixture)


@pytest.fixture
def alice_api(api_client, alice, tenant_a):
    return api_client(alice, tenant_a)


@pytest.fixture
def bob_api(api_client, bob, tenant_b):
    return api_client(bob, tenant_b)


def test_list_and_create_customer_bids(alice_api, acme_customer, market):
    path = f"/customers/{acme_customer.public_id}/bids"
    listed = call(alice_api, "get", path).json()
    assert [b["id"] for b in listed["data"]] == [market["mine"].public_id]
    first = listed["data"][0]
    assert (
        first["status"]["display"] == "Active" and first["position"] == "Top" and first["currency"] == "usd"
    )
    body = {
        "lead_type": market["auto"].public_id,
        "scope": "county",
        "state": "CA",
        "county": "Orange",
        "amount": 1500,
    }
    response = call(alice_api, "post", path, body)
    assert response.status_code == 201, response.content
    assert response.json()["county"] == "Orange County" and response.json()["amount"] == 1500
    error = assert_error(call(alice_api, "post", path, body), 409, "conflict", "lead_type")
    assert "already has a live bid" in error["message"]
    assert_error(
        call(alice_api, "post", path, body | {"state": "TX", "county": "Cook", "amount": 1550}),
        422,
        "invalid",
        "amount",
        "county",
    )
    assert_error(call(alice_api, "post", path, body | {"amount": 15.5}), 422, "invalid", "amount")


def test_get_patch_pause_resume_archive_and_history(alice_api, market):
    path = f"/bids/{market['mine'].public_id}"
    assert call(alice_api, "get", path).json()["amount"] == 2500
    assert call(alice_api, "patch", path, {"amount": 2600, "daily_cap": 3}).json()["daily_cap"] == 3
    assert call(alice_api, "post", path + "/pause").json()["status"]["display"] == "Paused"
    assert call(alice_api, "post", path + "/resume").json()["paused"] is False
    archived = call(alice_api, "delete", path).json()
    assert (
        archived["archived"] and archived["status"]["display"] == "Archived" and archived["position"] == "Out"
    )
    assert_error(call(alice_api, "post", path + "/pause"), 409, "invalid_state")
    history = call(alice_api, "get", path + "/history").json()["data"]
    assert [h["action"] for h in history] == ["archived", "resumed", "paused", "updated"]
    assert_error(call(alice_api, "patch", path, {"amount": 2600, "colour": "red"}), 422, "invalid", "colour")


def test_leads_list_detail_and_filters(alice_api, market):
    listed = call(alice_api, "get", "/leads").json()
    ids = {lead["id"] for lead in listed["data"]}
    assert market["sold"].public_id in ids and market["test_lead"].public_id not in ids
    assert market["test_lead"].public_id in {
        x["id"] for x in call(alice_api, "get", "/leads?test=true").json()["data"]
    }
    only = call(alice_api, "get", "/leads?status=unassigned").json()
    assert [x["id"] for x in only["data"]] == [market["unsold"].public_id] and only["total"] == 1
    assert_error(call(alice_api, "get", "/leads?status=bogus"), 422, "invalid", "status")
    detail = call(alice_api, "get", f"/leads/{market['sold'].public_id}").json()
    assert detail["price"] == 2100 and detail["currency"] == "usd"
    assert detail["flow_log"][0]["events"][1]["candidates"][1]["reason"] == "capped"
    assert {f["key"]: f["deliverable"] for f in detail["fields"]}["score"] is False


def test_reprocess_refuses_a_sold_lead(alice_api, market):
    assert_error(
        call(alice_api, "post", f"/leads/{market['sold'].public_id}/reprocess"), 409, "invalid_state"
    )


def test_submissions_list_and_detail(alice_api, market):
    sub = market["submission"]
    listed = call(alice_api, "get", "/submissions?outcome=rejected&kind=post").json()
    assert [s["id"] for s in listed["data"]] == [sub.public_id]
    assert_error(call(alice_api, "get", "/submissions?kind=fax"), 422, "invalid", "kind")
    detail = call(alice_api, "get", f"/submissions/{sub.public_id}").json()
    assert detail["payload"] == {"zip": "90210"} and detail["errors"]["email"]


def test_roles(api_client, make_staff, tenant_a, acme_customer, market):
    sales = api_client(make_staff(StaffRole.SALES), tenant_a)
    assert call(sales, "get", f"/customers/{acme_customer.public_id}/bids").status_code == 200
    assert_error(call(sales, "post", f"/bids/{market['mine'].public_id}/pause"), 403, "forbidden")
    validator = api_client(make_staff(StaffRole.DATA_VALIDATION), tenant_a)
    assert_error(call(validator, "get", f"/bids/{market['mine'].public_id}"), 403, "forbidden")
    assert call(validator, "get", "/leads").status_code == 200
    support = api_client(make_staff(StaffRole.CUSTOMER_SUPPORT), tenant_a)
    assert_error(call(support, "post", f"/leads/{market['unsold'].public_id}/reprocess"), 403, "forbidden")
    assert not Bid.objects.get(pk=market["mine"].pk).is_paused


def test_bob_gets_404_for_every_tenant_a_id(bob_api, acme_customer, market):
    bid = market["mine"].public_id
    for method, path, body in [
        ("get", f"/customers/{acme_customer.public_id}/bids", None),
        (
            "post",
            f"/customers/{acme_customer.public_id}/bids",
            {"lead_type": market["auto"].public_id, "scope": "nationwide", "amount": 2000},
        ),
        ("get", f"/bids/{bid}", None),
        ("patch", f"/bids/{bid}", {"amount": 3000}),
        ("delete", f"/bids/{bid}", None),
        ("post", f"/bids/{bid}/pause", None),
        ("post", f"/bids/{bid}/resume", None),
        ("get", f"/bids/{bid}/history", None),
        ("get", f"/leads/{market['sold'].public_id}", None),
        ("post", f"/leads/{market['unsold'].public_id}/reprocess", None),
        ("get", f"/submissions/{market['submission'].public_id}", None),
    ]:
        assert_error(call(bob_api, method, path, body), 404, "not_found")
    assert call(bob_api, "get", "/leads").json()["total"] == 0
    assert call(bob_api, "get", "/submissions").json()["total"] == 0
    assert Bid.objects.get(pk=market["mine"].pk).amount == 2500 and not BidChange.objects.exists()
