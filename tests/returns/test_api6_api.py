"""Issue 6's API gaps: tier percentages as JSON numbers, the return settings' fields, the recalculation
endpoint and its job, and the customer resource's return rate and tier (with tenant isolation)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from juiced.returns.models import TierRecalculation

from ._recalc_support import ledger, make_tier, tiers_on

pytestmark = pytest.mark.django_db

TIERS = "/api/manage/return-tiers"
SETTINGS = "/api/manage/return-settings"


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def admin(api_client, alice, tenant_a):
    return api_client(alice, tenant_a)


@pytest.fixture
def other(api_client, bob, tenant_b):
    return api_client(bob, tenant_b)


# --- percentages as numbers ------------------------------------------------------------------------------


def test_percentages_are_json_numbers_in_and_out(admin):
    body = {"name": "Golden", "lower_bound": 0, "upper_bound": 4.99, "discount_enabled": True,
            "discount_percent": 7.5}  # fmt: skip
    response = post(admin, TIERS, body)
    assert response.status_code == 201
    assert '"upper_bound": 4.99' in response.content.decode()
    tier = response.json()
    assert tier["lower_bound"] == 0 and tier["upper_bound"] == 4.99 and tier["discount_percent"] == 7.5
    assert tier["penalty_percent"] is None
    assert isinstance(tier["upper_bound"], float)
    listed = admin.get(TIERS).json()["data"][0]
    assert listed["discount_percent"] == 7.5
    changed = patch(admin, f"{TIERS}/{tier['id']}", {"upper_bound": 5}).json()
    assert changed["upper_bound"] == 5


@pytest.mark.parametrize("field", ["lower_bound", "upper_bound", "discount_percent", "penalty_percent"])
def test_more_than_two_decimals_is_a_field_error(admin, field):
    body = {"name": "Ripe", "lower_bound": 5, "upper_bound": 15, "discount_enabled": True,
            "discount_percent": 1, "penalty_enabled": True, "penalty_percent": 2, field: 5.125}  # fmt: skip
    response = post(admin, TIERS, body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert "two decimals" in error["fields"][field][0]


# --- settings ---------------------------------------------------------------------------------------------


def test_settings_round_trip_every_issue_field(admin):
    got = admin.get(SETTINGS).json()
    for key in ("returns_enabled", "tiers_enabled", "policy_url", "return_window_days", "rate_window_days"):
        assert key in got
    body = {"returns_enabled": False, "tiers_enabled": True, "policy_url": "https://acme.test/returns",
            "return_window_days": 30, "rate_window_days": 90}  # fmt: skip
    changed = patch(admin, SETTINGS, body).json()
    assert {key: changed[key] for key in body} == body
    assert {key: admin.get(SETTINGS).json()[key] for key in body} == body


def test_reorder_alias(admin):
    first = post(admin, TIERS, {"name": "A", "lower_bound": 0, "upper_bound": 5}).json()["id"]
    second = post(admin, TIERS, {"name": "B", "lower_bound": 5, "upper_bound": 10}).json()["id"]
    response = post(admin, f"{TIERS}/reorder", {"order": [second, first]})
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["data"]] == [second, first]


# --- recalculate and the job ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_recalculate_returns_a_job_that_reports_progress(admin, acme_customer, run_tasks, tenant_a):
    tiers_on(tenant_a)
    make_tier(tenant_a, "Fresh", new=True)
    response = post(admin, f"{TIERS}/recalculate")  # the job is queued on commit (autocommit here)
    assert response.status_code == 202
    started = response.json()
    assert started["status"] == "queued" and started["id"].startswith("recalc_")
    run = TierRecalculation.objects.get(public_id=started["id"])
    assert run.tenant_id == tenant_a.pk

    again = post(admin, f"{TIERS}/recalculate")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict" and again.json()["error"]["message"]

    job = admin.get(f"/api/manage/jobs/{started['id']}").json()
    assert set(job) >= {"id", "status", "total", "processed", "changed", "error", "created", "started",
                        "finished"}  # fmt: skip
    assert job["status"] == "queued" and job["started"] is None and job["error"] is None

    run_tasks()
    job = admin.get(f"/api/manage/jobs/{started['id']}").json()
    assert job["status"] == "finished" and job["processed"] == job["total"] == 1
    assert job["changed"] == 1 and job["started"] and job["finished"]
    assert post(admin, f"{TIERS}/recalculate").status_code == 202  # the previous run is over


def test_a_failed_job_shows_its_error(admin, tenant_a):
    run = TierRecalculation.objects.create(tenant=tenant_a, status="failed", error="ValueError: boom")
    assert admin.get(f"/api/manage/jobs/{run.public_id}").json()["error"] == "ValueError: boom"


def test_recalculate_and_jobs_permissions_and_isolation(admin, other, api_client, make_staff, tenant_a):
    job_id = post(admin, f"{TIERS}/recalculate").json()["id"]
    support = api_client(make_staff("customer_support"), tenant_a)
    assert support.get(f"/api/manage/jobs/{job_id}").status_code == 200
    refused = post(support, f"{TIERS}/recalculate")
    assert refused.status_code == 403 and refused.json()["error"]["code"]
    blocked = api_client(make_staff("data_validation"), tenant_a)
    assert blocked.get(f"/api/manage/jobs/{job_id}").status_code == 403

    missing = other.get(f"/api/manage/jobs/{job_id}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert admin.get("/api/manage/jobs/recalc_nope").status_code == 404
    assert post(other, f"{TIERS}/recalculate").status_code == 202  # tenant B's own run is independent
    assert TierRecalculation.objects.filter(tenant=tenant_a).count() == 1
    assert post(admin, f"{TIERS}/recalculate").status_code == 409


def test_recalculate_needs_a_token(client):
    assert client.post(f"{TIERS}/recalculate").status_code == 401
    assert client.get("/api/manage/jobs/recalc_x").status_code == 401


# --- the customer resource --------------------------------------------------------------------------------


def _recalculate(tenant):
    from juiced.returns.recalc import recalculation_request, recalculation_run

    run = recalculation_request(tenant=tenant, actor=None, in_background=False)
    recalculation_run(recalculation_id=run.pk)


def test_customer_resource_has_return_rate_and_tier(admin, acme_customer, tenant_a):
    url = f"/api/manage/customers/{acme_customer.public_id}"
    got = admin.get(url).json()
    assert got["return_rate"] == 0 and got["return_tier"] is None

    tiers_on(tenant_a)
    ripe = make_tier(tenant_a, "Ripe", 5, 15)
    ledger(acme_customer, charged=1_000_000, returned=123_400)
    _recalculate(tenant_a)
    got = admin.get(url).json()
    assert got["return_rate"] == 12.34
    assert got["return_tier"] == {"id": ripe.public_id, "name": "Ripe"}

    listed = admin.get("/api/manage/customers").json()["data"]
    assert listed[0]["return_tier"] == {"id": ripe.public_id, "name": "Ripe"}
    assert listed[0]["return_rate"] == 12.34

    ripe.delete()  # the customer keeps its rate but has no tier until the next recalculation
    got = admin.get(url).json()
    assert got["return_rate"] == 12.34 and got["return_tier"] is None


def test_customer_list_adds_no_query_per_customer(admin, tenant_a, make_customer):
    tiers_on(tenant_a)
    make_tier(tenant_a, "Fresh", new=True)
    make_customer("One")
    make_customer("Two")
    _recalculate(tenant_a)
    admin.get("/api/manage/customers")  # warm up (the token's first use is recorded once)
    with CaptureQueriesContext(connection) as few:
        assert len(admin.get("/api/manage/customers").json()["data"]) == 2
    for name in ("Three", "Four", "Five"):
        make_customer(name)
    _recalculate(tenant_a)
    with CaptureQueriesContext(connection) as more:
        data = admin.get("/api/manage/customers").json()["data"]
    assert len(data) == 5 and all(row["return_tier"]["name"] == "Fresh" for row in data)
    assert len(more) == len(few)


def test_customer_of_another_tenant_is_404(other, acme_customer):
    response = other.get(f"/api/manage/customers/{acme_customer.public_id}")
    assert response.status_code == 404
