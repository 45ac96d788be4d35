"""/api/manage/return-tiers and /api/manage/return-settings: every endpoint, the error shape, roles and
tenant isolation."""

from __future__ import annotations

import json

import pytest

from juiced.returns.models import ReturnTier

pytestmark = pytest.mark.django_db

BASE = "/api/manage/return-tiers"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def admin(api_client, alice, tenant_a):
    return api_client(alice, tenant_a)


LADDER = [
    {"name": "Fresh", "applies_to_new_customers": True, "color": "#22c55e", "icon": "leaf"},
    {
        "name": "Golden",
        "lower_bound": 0,
        "upper_bound": 5,
        "discount_enabled": True,
        "discount_percent": 5,
        "color": "#eab308",
        "icon": "crown",
    },
    {"name": "Ripe", "lower_bound": "5", "upper_bound": "15", "color": "#f59e0b", "icon": "sun"},
    {
        "name": "Overripe",
        "lower_bound": 15,
        "upper_bound": 25,
        "penalty_enabled": True,
        "penalty_percent": 15,
        "color": "#f97316",
        "icon": "alert",
    },
    {
        "name": "Rotten",
        "lower_bound": 25,
        "upper_bound": 100,
        "penalty_enabled": True,
        "penalty_matches_return_rate": True,
        "color": "#dc2626",
        "icon": "skull",
    },
]


def test_build_the_seed_ladder_list_get_patch_delete(admin):
    ids = []
    for body in LADDER:
        response = post(admin, BASE, body)
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    listed = admin.get(BASE).json()
    assert [t["name"] for t in listed["data"]] == ["Fresh", "Golden", "Ripe", "Overripe", "Rotten"]
    golden = admin.get(f"{BASE}/{ids[1]}").json()
    assert golden["lower_bound"] == 0 and golden["upper_bound"] == 5
    assert golden["discount_percent"] == 5 and golden["object"] == "return_tier"
    assert listed["data"][0]["lower_bound"] is None
    changed = patch(admin, f"{BASE}/{ids[2]}", {"headline": "Normal", "upper_bound": "14.50"}).json()
    assert changed["headline"] == "Normal" and changed["upper_bound"] == 14.5
    assert admin.delete(f"{BASE}/{ids[2]}").status_code == 204
    assert admin.get(f"{BASE}/{ids[2]}").status_code == 404


def test_validation_error_shape_is_field_level(admin):
    post(admin, BASE, LADDER[1])
    response = post(admin, BASE, {"name": "Bad", "lower_bound": 3, "upper_bound": 9, "color": "red"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "tiers overlap" in error["fields"]["lower_bound"][0].lower()
    assert "Golden" in error["fields"]["lower_bound"][0]
    assert error["fields"]["color"]
    response = post(admin, BASE, {"name": "X", "lower_bound": 50, "upper_bound": 60, "penalty_enabled": True})
    assert response.json()["error"]["fields"] == {
        "penalty_percent": ["Required when Add a penalty is on and Match return rate is off."]
    }
    assert post(admin, BASE, {"name": "Y", "nope": 1}).status_code == 422
    assert ReturnTier.objects.count() == 1


def test_order_reorder_and_bulk_delete(admin):
    ids = [post(admin, BASE, body).json()["id"] for body in LADDER[1:4]]
    response = post(admin, f"{BASE}/order", {"order": [ids[2], ids[0], ids[1]]})
    assert [t["name"] for t in response.json()["data"]] == ["Overripe", "Golden", "Ripe"]
    response = post(admin, f"{BASE}/reorder", {"order": [ids[0]]})
    assert [t["name"] for t in response.json()["data"]] == ["Golden", "Overripe", "Ripe"]
    response = post(admin, f"{BASE}/bulk-delete", {"ids": ids[:2]})
    assert response.json() == {"object": "deleted", "deleted": 2}
    assert [t["name"] for t in admin.get(BASE).json()["data"]] == ["Overripe"]


def test_settings_get_and_patch(admin):
    got = admin.get("/api/manage/return-settings").json()
    assert got["return_window_days"] == 7 and got["tiers_enabled"] is False and got["reasons"]
    body = {"tiers_enabled": True, "policy_url": "https://x.test/returns", "return_window_days": 14}
    changed = patch(admin, "/api/manage/return-settings", body).json()
    assert changed["tiers_enabled"] is True and changed["return_window_days"] == 14
    response = patch(admin, "/api/manage/return-settings", {"return_window_days": 0, "policy_url": "nope"})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"return_window_days", "policy_url"}


@pytest.mark.parametrize("role", ["customer_support", "sales"])
def test_non_admins_read_but_cannot_write(api_client, make_staff, tenant_a, admin, role):
    tier_id = post(admin, BASE, LADDER[1]).json()["id"]
    client = api_client(make_staff(role), tenant_a)
    assert client.get(BASE).status_code == 200
    assert client.get("/api/manage/return-settings").status_code == 200
    assert post(client, BASE, LADDER[2]).status_code == 403
    assert patch(client, f"{BASE}/{tier_id}", {"name": "Z"}).status_code == 403
    assert client.delete(f"{BASE}/{tier_id}").status_code == 403
    assert patch(client, "/api/manage/return-settings", {"tiers_enabled": True}).status_code == 403


def test_data_validation_gets_403(api_client, make_staff, tenant_a):
    client = api_client(make_staff("data_validation"), tenant_a)
    assert client.get(BASE).status_code == 403
    assert client.get("/api/manage/return-settings").status_code == 403


def test_tenant_isolation(admin, api_client, bob, tenant_b):
    tier_id = post(admin, BASE, LADDER[1]).json()["id"]
    other = api_client(bob, tenant_b)
    assert other.get(BASE).json()["data"] == []
    assert other.get(f"{BASE}/{tier_id}").status_code == 404
    assert patch(other, f"{BASE}/{tier_id}", {"name": "Mine"}).status_code == 404
    assert other.delete(f"{BASE}/{tier_id}").status_code == 404
    assert post(other, f"{BASE}/order", {"order": [tier_id]}).status_code == 404
    assert post(other, f"{BASE}/bulk-delete", {"ids": [tier_id]}).status_code == 404
    assert ReturnTier.objects.get(public_id=tier_id).name == "Golden"
