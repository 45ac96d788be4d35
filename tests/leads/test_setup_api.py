"""Lead setup over /api/manage/: every endpoint, its error shapes, roles and tenant isolation."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from juiced.core.models import AuditEntry
from juiced.leads.models import LeadCategory, LeadType, Source, SourceToken
from juiced.tenants.roles import StaffRole
from tests.api.conftest import assert_error, call


@pytest.fixture
def alice_api(api_client, alice, tenant_a):
    return api_client(alice, tenant_a)


@pytest.fixture
def bob_api(api_client, bob, tenant_b):
    return api_client(bob, tenant_b)


@pytest.fixture
def role_api(api_client, make_staff, tenant_a):
    return lambda role: api_client(make_staff(role), tenant_a)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json() if response.content else {}


@pytest.fixture
def market(alice_api):
    """Through the API: a category with `age`, two lead types, an internal source, a duplicate rule."""
    category = ok(call(alice_api, "post", "/lead-categories", {"name": "Auto insurance"}), 201)
    age = ok(
        call(
            alice_api,
            "post",
            f"/lead-categories/{category['id']}/fields",
            {"key": "age", "field_type": "number"},
        ),
        201,
    )
    seniors = ok(
        call(
            alice_api,
            "post",
            "/lead-types",
            {
                "category": category["id"],
                "name": "Seniors",
                "conditions": [[{"field": "age", "op": "gte", "value": 65}]],
            },
        ),
        201,
    )
    standard = ok(
        call(
            alice_api,
            "post",
            "/lead-types",
            {"category": category["id"], "name": "Standard", "is_fallback": True},
        ),
        201,
    )
    source = ok(
        call(alice_api, "post", "/sources", {"name": "Web form", "default_category": category["id"]}), 201
    )
    rule = ok(
        call(alice_api, "post", "/duplicate-rules", {"category": category["id"], "fields": ["email"]}), 201
    )
    return {
        "category": category,
        "age": age,
        "seniors": seniors,
        "standard": standard,
        "source": source,
        "rule": rule,
    }


# --- categories and fields ------------------------------------------------------------------------------


def test_category_crud(alice_api, market):
    category = market["category"]
    assert category["id"].startswith("cat_") and [f["key"] for f in category["fields"]][:2] == [
        "first_name",
        "last_name",
    ]
    assert ok(call(alice_api, "get", "/lead-categories"))["data"][0]["id"] == category["id"]
    path = f"/lead-categories/{category['id']}"
    assert ok(call(alice_api, "get", path))["fields"][-1]["key"] == "age"
    assert ok(call(alice_api, "patch", path, {"description": "Drivers"}))["description"] == "Drivers"
    assert ok(call(alice_api, "delete", path))["archived"] is True
    assert ok(call(alice_api, "get", "/lead-categories"))["data"] == []
    assert len(ok(call(alice_api, "get", "/lead-categories?archived=true"))["data"]) == 1
    assert ok(call(alice_api, "post", path + "/restore"))["archived"] is False


def test_category_errors(alice_api, market):
    assert_error(call(alice_api, "post", "/lead-categories", {}), 422, "invalid", "name")
    error = assert_error(
        call(alice_api, "post", "/lead-categories", {"name": "auto insurance"}), 422, "invalid", "name"
    )
    assert error["fields"]["name"] == ["A lead category named auto insurance already exists."]
    assert_error(
        call(alice_api, "post", "/lead-categories", {"name": "X", "colour": "red"}), 422, "invalid", "colour"
    )
    assert_error(call(alice_api, "get", "/lead-categories/cat_nope"), 404, "not_found")


def test_field_endpoints(alice_api, market):
    base = f"/lead-categories/{market['category']['id']}/fields"
    assert [f["key"] for f in ok(call(alice_api, "get", base))["data"]][-1] == "age"
    plan = ok(
        call(
            alice_api,
            "post",
            base,
            {"key": "plan", "field_type": "select", "options": ["Gold", "Silver"], "required_for_post": True},
        ),
        201,
    )
    assert plan["id"].startswith("fld_") and plan["options"] == ["Gold", "Silver"] and not plan["base"]
    one = f"{base}/{plan['id']}"
    assert ok(call(alice_api, "get", one))["key"] == "plan"
    assert (
        ok(call(alice_api, "patch", one, {"label": "Plan tier", "deliverable": False}))["deliverable"]
        is False
    )
    moved = ok(call(alice_api, "post", one + "/move", {"direction": "up"}))["data"]
    assert [f["key"] for f in moved][-2:] == ["plan", "age"]
    ok(call(alice_api, "delete", one), 204)
    assert_error(call(alice_api, "get", one), 404, "not_found")


def test_field_errors(alice_api, market):
    base = f"/lead-categories/{market['category']['id']}/fields"
    error = assert_error(
        call(alice_api, "post", base, {"key": "age", "field_type": "text"}), 422, "invalid", "key"
    )
    assert error["fields"]["key"] == ["This category already has a field age."]
    assert_error(
        call(alice_api, "post", base, {"key": "plan", "field_type": "select"}), 422, "invalid", "options"
    )
    assert_error(
        call(alice_api, "post", base, {"key": "x", "field_type": "text", "required_for_post": "yes"}),
        422,
        "invalid",
        "required_for_post",
    )
    fields = ok(call(alice_api, "get", base))["data"]
    zip_field = next(f for f in fields if f["key"] == "zip")
    assert_error(
        call(alice_api, "patch", f"{base}/{zip_field['id']}", {"required_for_ping": False}),
        422,
        "invalid",
        "required_for_ping",
    )
    assert_error(call(alice_api, "delete", f"{base}/{zip_field['id']}"), 409, "invalid_state")
    age = market["age"]
    error = assert_error(call(alice_api, "delete", f"{base}/{age['id']}"), 409, "invalid_state")
    assert "lead type Seniors" in error["message"]
    assert_error(
        call(alice_api, "post", f"{base}/{age['id']}/move", {"direction": "sideways"}),
        422,
        "invalid",
        "direction",
    )


# --- lead types -----------------------------------------------------------------------------------------


def test_lead_type_endpoints(alice_api, market):
    seniors, standard = market["seniors"], market["standard"]
    assert seniors["id"].startswith("ltype_") and seniors["conditions"][0][0]["op"] == "gte"
    assert [p["scope"] for p in seniors["pricing"]] == ["county", "state", "nationwide"]
    assert all(not p["enabled"] and p["currency"] == "usd" for p in seniors["pricing"])
    listed = ok(call(alice_api, "get", f"/lead-types?category={market['category']['id']}"))["data"]
    assert [t["name"] for t in listed] == ["Seniors", "Standard"]
    path = f"/lead-types/{seniors['id']}"
    assert ok(call(alice_api, "get", path))["name"] == "Seniors"
    renamed = ok(
        call(
            alice_api,
            "patch",
            path,
            {
                "name": "Senior drivers",
                "conditions": [[{"field": "state", "op": "in", "value": ["FL", "AZ"]}]],
            },
        )
    )
    assert renamed["name"] == "Senior drivers" and renamed["conditions"][0][0]["value"] == ["FL", "AZ"]
    moved = ok(call(alice_api, "post", f"/lead-types/{standard['id']}/move", {"direction": "up"}))
    listed = ok(call(alice_api, "get", "/lead-types"))["data"]
    assert [t["name"] for t in listed] == ["Standard", "Senior drivers"] and moved["id"] == standard["id"]
    assert ok(call(alice_api, "delete", path))["archived"] is True
    assert [t["name"] for t in ok(call(alice_api, "get", "/lead-types"))["data"]] == ["Standard"]
    assert ok(call(alice_api, "post", path + "/restore"))["archived"] is False


def test_lead_type_errors(alice_api, market):
    category = market["category"]["id"]
    assert_error(call(alice_api, "post", "/lead-types", {"name": "X"}), 422, "invalid", "category")
    assert_error(
        call(alice_api, "post", "/lead-types", {"name": "X", "category": "cat_nope"}),
        422,
        "invalid",
        "category",
    )
    error = assert_error(
        call(alice_api, "post", "/lead-types", {"category": category, "name": "Other", "is_fallback": True}),
        422,
        "invalid",
        "is_fallback",
    )
    assert error["fields"]["is_fallback"] == [
        "Standard is already the fallback of this category (one per category)."
    ]
    error = assert_error(
        call(
            alice_api,
            "post",
            "/lead-types",
            {
                "category": category,
                "name": "Bad",
                "conditions": [[{"field": "shoe", "op": "equals", "value": "x"}]],
            },
        ),
        422,
        "invalid",
        "conditions",
    )
    assert error["fields"]["conditions"] == ["Group 1, condition 1: choose a field of this category."]
    other = ok(call(alice_api, "post", "/lead-categories", {"name": "Solar"}), 201)
    assert_error(
        call(alice_api, "patch", f"/lead-types/{market['seniors']['id']}", {"category": other["id"]}),
        422,
        "invalid",
        "category",
    )
    assert not LeadType.objects.filter(name="Bad").exists()


def test_pricing_endpoints(alice_api, market):
    path = f"/lead-types/{market['standard']['id']}/pricing"
    assert len(ok(call(alice_api, "get", path))) == 3
    saved = ok(
        call(
            alice_api,
            "put",
            path,
            {
                "state": {"enabled": True, "minimum": 500, "maximum": 2500, "step": 250},
                "county": {"enabled": True, "fixed_price": True, "minimum": 1200},
            },
        )
    )
    by_scope = {row["scope"]: row for row in saved}
    assert by_scope["state"] == {
        "scope": "state",
        "enabled": True,
        "fixed_price": False,
        "minimum": 500,
        "maximum": 2500,
        "step": 250,
        "currency": "usd",
    }
    assert by_scope["county"]["maximum"] is None and by_scope["county"]["minimum"] == 1200
    error = assert_error(
        call(alice_api, "put", path, {"state": {"maximum": 2600}}), 422, "invalid", "state.maximum"
    )
    assert error["fields"]["state.maximum"] == [
        "The maximum must be the minimum plus whole steps: try 2500 or 2750 cents."
    ]
    assert_error(call(alice_api, "put", path, {"state": {"minimum": 5.5}}), 422, "invalid")
    assert_error(call(alice_api, "put", path, {"mars": {"enabled": True}}), 422, "invalid", "mars")
    assert ok(call(alice_api, "get", path))[1]["maximum"] == 2500


def test_match_endpoint(alice_api, market):
    path = f"/lead-categories/{market['category']['id']}/match"
    assert ok(call(alice_api, "post", path, {"values": {"age": "70"}}))["name"] == "Seniors"
    assert ok(call(alice_api, "post", path, {"values": {"age": "30"}}))["name"] == "Standard"
    call(alice_api, "delete", f"/lead-types/{market['standard']['id']}")
    assert ok(call(alice_api, "post", path, {"values": {"age": "30"}}))["uncategorized"] is True


# --- sources --------------------------------------------------------------------------------------------


def test_source_secret_is_shown_once_and_only_its_hash_is_stored(alice_api, market):
    created = market["source"]
    secret = created["api_secret"]
    assert created["id"].startswith("src_") and created["api_key"].startswith("key_") and secret
    stored = Source.objects.get(public_id=created["id"])
    assert stored.api_secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert ok(call(alice_api, "get", f"/sources/{created['id']}"))["api_secret"] is None
    assert all(s["api_secret"] is None for s in ok(call(alice_api, "get", "/sources"))["data"])
    rotated = ok(call(alice_api, "post", f"/sources/{created['id']}/rotate-secret"))
    assert rotated["api_secret"] and rotated["api_secret"] != secret
    stored.refresh_from_db()
    assert stored.api_secret_hash == hashlib.sha256(rotated["api_secret"].encode()).hexdigest()


def test_source_update_pause_and_delete(alice_api, market):
    path = f"/sources/{market['source']['id']}"
    updated = ok(
        call(
            alice_api, "patch", path, {"payout_percent": "55.5", "active": False, "rate_limit_per_minute": 60}
        )
    )
    assert (updated["payout_percent"], updated["active"], updated["rate_limit_per_minute"]) == (
        "55.50",
        False,
        60,
    )
    assert ok(call(alice_api, "patch", path, {"active": True}))["active"] is True
    assert ok(call(alice_api, "delete", path))["deleted"] is True
    assert ok(call(alice_api, "get", "/sources"))["data"] == []
    assert ok(call(alice_api, "get", "/sources?deleted=true"))["data"][0]["deleted"] is True
    assert_error(call(alice_api, "patch", path, {"name": "Back"}), 409, "invalid_state")


def test_source_errors(alice_api, market):
    category = market["category"]["id"]
    assert_error(call(alice_api, "post", "/sources", {"name": "S"}), 422, "invalid", "default_category")
    error = assert_error(
        call(alice_api, "post", "/sources", {"name": "S", "default_category": category, "test_mode": True}),
        422,
        "invalid",
        "test_mode",
    )
    assert error["fields"]["test_mode"] == ["Test mode is for vendor sources only."]
    assert_error(
        call(
            alice_api, "post", "/sources", {"name": "S", "default_category": category, "payout_percent": 120}
        ),
        422,
        "invalid",
        "payout_percent",
    )
    assert_error(
        call(alice_api, "post", "/sources", {"name": "S", "default_category": category, "kind": "friend"}),
        422,
        "invalid",
        "kind",
    )
    assert Source.objects.count() == 1


def test_token_endpoints_and_24_hour_rotation(alice_api, market):
    base = f"/sources/{market['source']['id']}/tokens"
    first = ok(call(alice_api, "post", base), 201)
    assert first["token"].startswith("jst_") and first["prefix"] == first["token"][:12] and first["live"]
    stored = SourceToken.objects.get(public_id=first["id"])
    assert stored.token_hash == hashlib.sha256(first["token"].encode()).hexdigest()
    assert all(t["token"] is None for t in ok(call(alice_api, "get", base))["data"])
    second = ok(call(alice_api, "post", base + "/rotate"), 201)
    assert second["token"] != first["token"]
    stored.refresh_from_db()
    assert abs(stored.expires_at - (timezone.now() + timedelta(hours=24))) < timedelta(minutes=1)
    listed = {t["id"]: t for t in ok(call(alice_api, "get", base))["data"]}
    assert listed[first["id"]]["live"] and listed[first["id"]]["expires"]
    revoked = ok(call(alice_api, "delete", f"{base}/{first['id']}"))
    assert revoked["live"] is False
    assert_error(call(alice_api, "delete", f"{base}/stok_nope"), 404, "not_found")


def test_source_pricing_endpoints(alice_api, market):
    source = market["source"]["id"]
    seniors, standard = market["seniors"]["id"], market["standard"]["id"]
    rows = ok(call(alice_api, "get", f"/sources/{source}/pricing"))["data"]
    assert {r["lead_type"]: r["price"] for r in rows} == {seniors: None, standard: None}
    saved = ok(
        call(alice_api, "put", f"/sources/{source}/pricing", {seniors: {"kind": "fixed", "price": 1500}})
    )
    assert {r["lead_type"]: (r["kind"], r["price"]) for r in saved["data"]}[seniors] == ("fixed", 1500)
    assert_error(
        call(alice_api, "put", f"/sources/{source}/pricing", {seniors: {"kind": "bonus", "price": 5}}),
        422,
        "invalid",
        f"{seniors}.kind",
    )
    other = ok(
        call(
            alice_api,
            "post",
            "/sources",
            {"name": "Vendor", "kind": "vendor", "default_category": market["category"]["id"]},
        ),
        201,
    )
    ok(
        call(
            alice_api,
            "put",
            f"/sources/{other['id']}/pricing",
            {seniors: {"price": 900}, standard: {"kind": "fallback", "price": 400}},
        )
    )
    copied = ok(call(alice_api, "post", f"/sources/{source}/pricing/copy", {"from_source": other["id"]}))[
        "data"
    ]
    assert {r["lead_type"]: r["price"] for r in copied} == {seniors: 1500, standard: 400}
    assert_error(
        call(alice_api, "post", f"/sources/{source}/pricing/copy", {"from_source": source}),
        422,
        "invalid",
        "from_source",
    )


# --- duplicate rules and settings -----------------------------------------------------------------------


def test_duplicate_rule_endpoints(alice_api, market):
    rule = market["rule"]
    assert rule["id"].startswith("dup_") and rule["fields"] == ["email"] and rule["lookback_days"] == 30
    assert (
        ok(call(alice_api, "get", f"/duplicate-rules?category={market['category']['id']}"))["data"][0]["id"]
        == rule["id"]
    )
    path = f"/duplicate-rules/{rule['id']}"
    assert ok(call(alice_api, "get", path))["id"] == rule["id"]
    updated = ok(
        call(
            alice_api,
            "patch",
            path,
            {
                "fields": ["email", "phone"],
                "lookback_days": 7,
                "active": False,
                "source": market["source"]["id"],
            },
        )
    )
    assert updated["fields"] == ["email", "phone"] and updated["source"] == market["source"]["id"]
    assert updated["active"] is False
    assert_error(call(alice_api, "patch", path, {"lookback_days": 4000}), 422, "invalid", "lookback_days")
    assert_error(
        call(
            alice_api, "post", "/duplicate-rules", {"category": market["category"]["id"], "fields": ["nope"]}
        ),
        422,
        "invalid",
        "fields",
    )
    ok(call(alice_api, "delete", path), 204)
    assert_error(call(alice_api, "get", path), 404, "not_found")


def test_lead_settings_endpoints(alice_api, tenant_a):
    got = ok(call(alice_api, "get", "/lead-settings"))
    assert got == {
        "object": "lead_settings",
        "ping_expiry_minutes": 5,
        "ping_max_offers": 5,
        "smart_pricing": False,
        "bid_lock": False,
        "bid_limits_enabled": True,
        "default_rate_limit_per_minute": 1200,
    }
    changed = ok(
        call(alice_api, "patch", "/lead-settings", {"ping_expiry_minutes": 15, "smart_pricing": True})
    )
    assert changed["ping_expiry_minutes"] == 15 and changed["smart_pricing"] is True
    assert_error(
        call(alice_api, "patch", "/lead-settings", {"ping_max_offers": 0}), 422, "invalid", "ping_max_offers"
    )
    assert_error(call(alice_api, "patch", "/lead-settings", {"bid_lock": "yes"}), 422, "invalid", "bid_lock")
    assert AuditEntry.objects.filter(tenant=tenant_a, action="lead_settings.updated").count() == 1


# --- roles and tenants ----------------------------------------------------------------------------------


def endpoints(market) -> list[tuple[str, str, dict | None]]:
    category, field = market["category"]["id"], market["age"]["id"]
    lead_type, source, rule = market["seniors"]["id"], market["source"]["id"], market["rule"]["id"]
    return [
        ("get", "/lead-categories", None),
        ("post", "/lead-categories", {"name": "New"}),
        ("get", f"/lead-categories/{category}", None),
        ("patch", f"/lead-categories/{category}", {"name": "Renamed"}),
        ("delete", f"/lead-categories/{category}", None),
        ("post", f"/lead-categories/{category}/restore", None),
        ("get", f"/lead-categories/{category}/fields", None),
        ("post", f"/lead-categories/{category}/fields", {"key": "roof", "field_type": "text"}),
        ("get", f"/lead-categories/{category}/fields/{field}", None),
        ("patch", f"/lead-categories/{category}/fields/{field}", {"label": "Years"}),
        ("post", f"/lead-categories/{category}/fields/{field}/move", {"direction": "up"}),
        ("delete", f"/lead-categories/{category}/fields/{field}", None),
        ("post", f"/lead-categories/{category}/match", {"values": {}}),
        ("get", "/lead-types", None),
        ("get", f"/lead-types/{lead_type}", None),
        ("patch", f"/lead-types/{lead_type}", {"name": "Renamed"}),
        ("delete", f"/lead-types/{lead_type}", None),
        ("post", f"/lead-types/{lead_type}/restore", None),
        ("post", f"/lead-types/{lead_type}/move", {"direction": "up"}),
        ("get", f"/lead-types/{lead_type}/pricing", None),
        ("put", f"/lead-types/{lead_type}/pricing", {"state": {"enabled": True}}),
        ("get", "/sources", None),
        ("get", f"/sources/{source}", None),
        ("patch", f"/sources/{source}", {"name": "Renamed"}),
        ("delete", f"/sources/{source}", None),
        ("post", f"/sources/{source}/rotate-secret", None),
        ("get", f"/sources/{source}/tokens", None),
        ("post", f"/sources/{source}/tokens", None),
        ("post", f"/sources/{source}/tokens/rotate", None),
        ("get", f"/sources/{source}/pricing", None),
        ("put", f"/sources/{source}/pricing", {}),
        ("post", f"/sources/{source}/pricing/copy", {"from_source": source}),
        ("get", "/duplicate-rules", None),
        ("get", f"/duplicate-rules/{rule}", None),
        ("patch", f"/duplicate-rules/{rule}", {"lookback_days": 9}),
        ("delete", f"/duplicate-rules/{rule}", None),
        ("get", "/lead-settings", None),
        ("patch", "/lead-settings", {"bid_lock": True}),
    ]


@pytest.mark.parametrize("role", [StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION])
def test_other_roles_get_403_everywhere(role_api, market, role):
    client = role_api(role)
    before = (AuditEntry.objects.count(), LeadCategory.objects.count(), Source.objects.count())
    for method, path, body in endpoints(market):
        assert_error(call(client, method, path, body), 403, "forbidden")
    assert (AuditEntry.objects.count(), LeadCategory.objects.count(), Source.objects.count()) == before


def test_another_tenants_ids_are_404(bob_api, market):
    before = (AuditEntry.objects.count(), LeadCategory.objects.count(), Source.objects.count())
    for method, path, body in endpoints(market):
        if path.rstrip("/").count("/") == 1 and method in ("get", "post") or path == "/lead-settings":
            continue  # bob's own collections and settings
        response = call(bob_api, method, path, body)
        assert response.status_code == 404, (method, path, response.content)
    assert (AuditEntry.objects.count(), LeadCategory.objects.count(), Source.objects.count()) == before
    assert ok(call(bob_api, "get", "/lead-categories"))["data"] == []
    assert ok(call(bob_api, "get", "/sources"))["data"] == []
    assert_error(
        call(bob_api, "post", "/lead-types", {"category": market["category"]["id"], "name": "Mine"}),
        422,
        "invalid",
        "category",
    )
    assert_error(
        call(bob_api, "post", "/sources", {"name": "Mine", "default_category": market["category"]["id"]}),
        422,
        "invalid",
        "default_category",
    )


def test_no_token_is_401(client):
    response = client.get("/api/manage/lead-categories")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
