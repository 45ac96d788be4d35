"""The source API speaks Juiced: every request example of openapi.json replayed, the documented status
codes, bodies and error texts, Basic and Bearer auth, submissions for every authenticated call, test mode,
the rate limit and tenant isolation."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from juiced.leads import ingest
from juiced.leads.models import (
    DuplicateRule,
    Lead,
    LeadStatus,
    Ping,
    Source,
    SourcePricing,
    SourceToken,
    Submission,
)
from juiced.leads.source_auth import secret_digest
from tests.leads.conftest import basic_auth

pytestmark = pytest.mark.django_db

LEAD_STATUSES = {"pending", "assigned", "duplicate", "unassigned", "marketplace", "audit", "posted"}
PING_MESSAGES = {"Match found", "No match found", "Duplicate", "Rejected"}
PUBLIC_LEAD_ID = re.compile(r"^lead_[0-9a-z]{26}$")
PRICE_TEXT = re.compile(r'"price": -?\d+\.\d{2}[,}]')

# The request examples of Juiced's openapi.json, verbatim.
PING_EXAMPLES = {
    "minimal": {"zip": "90210"},
    "withState": {"zip": "90210", "state": "CA"},
    "detailed": {"zip": "33139", "state": "FL", "urgency": "high", "intent": "purchase"},
    "testPing": {"is_test": True, "zip": "00002"},
}
LEAD_EXAMPLES = {
    "basic": {
        "first_name": "Katy", "last_name": "Berry", "email": "katy.berry@thirstyleads.com",
        "phone": "555-123-4567", "address_1": "742 Orchard Lane", "city": "Paradise Bay", "state": "FL",
        "zip": "33139",
    },
    "withPingId": {
        "ping_id": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "bid_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "first_name": "Brad", "last_name": "Pit", "email": "brad.pit@juiceboxoffice.com",
        "phone": "555-987-6543", "address_1": "100 Citrus Grove Dr", "city": "Tropicana", "state": "CA",
        "zip": "90210",
    },
    "complete": {
        "first_name": "John", "last_name": "Lemon", "email": "john.lemon@zestforsuccess.com",
        "phone": "555-246-8135", "address_1": "55 Squeeze Street", "address_2": "Suite 12",
        "city": "Pulp City", "state": "FL", "zip": "33101", "county": "Miami-Dade",
    },
    "testLead": {
        "is_test": True, "first_name": "Test", "last_name": "User", "email": "test@example.com",
        "phone": "555-000-0000", "address_1": "123 Test Street", "city": "Test City", "state": "FL",
        "zip": "00002",
    },
}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_caches():
    from django.core.cache import cache

    ingest.caches_clear()
    cache.clear()
    yield
    ingest.caches_clear()


@pytest.fixture
def market(tenant_a, make_category, make_lead_type, make_source):
    """Tenant A: a category with one (fallback) lead type, an internal and a vendor source in test mode."""
    category = make_category(tenant_a)
    lead_type = make_lead_type(category, "Standard")
    internal, internal_secret = make_source(tenant_a, "Web form", category=category)
    vendor, vendor_secret = make_source(
        tenant_a, "Vendor", kind=Source.Kind.VENDOR, category=category, test_mode=True
    )

    class Market:
        pass

    m = Market()
    m.category, m.lead_type = category, lead_type
    m.internal = Client(HTTP_AUTHORIZATION=basic_auth(internal.api_key, internal_secret))
    m.vendor = Client(HTTP_AUTHORIZATION=basic_auth(vendor.api_key, vendor_secret))
    m.internal_source, m.vendor_source = internal, vendor
    return m


def send(client: Client, path: str, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", **headers)


def assert_lead_response(response, status: str | None = None) -> dict:
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"lead_uuid", "lead_public_id", "status", "price"}
    assert PUBLIC_LEAD_ID.match(body["lead_public_id"]) and len(body["lead_public_id"]) == 31
    assert body["status"] in LEAD_STATUSES
    assert PRICE_TEXT.search(response.content.decode()), response.content  # e.g. "price": 45.00
    if status is not None:
        assert body["status"] == status
    return body


# --- every openapi.json request example ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["minimal", "withState", "detailed"])
def test_ping_examples_answer_200_with_the_internal_shape(market, name):
    response = send(market.internal, "/api/ping", PING_EXAMPLES[name])
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"ping_id", "message", "bids"}
    assert body["message"] in PING_MESSAGES and isinstance(body["bids"], list)
    ping = Ping.objects.get(uuid=body["ping_id"])
    assert ping.source == market.internal_source and ping.zip_code == PING_EXAMPLES[name]["zip"]
    if name == "detailed":  # extra properties are kept with the ping
        assert ping.data["urgency"] == "high" and ping.state == "FL"


def test_test_ping_example_on_a_test_mode_vendor_source_is_a_duplicate(market):
    response = send(market.vendor, "/api/ping", PING_EXAMPLES["testPing"])
    assert response.status_code == 200
    assert response.json()["message"] == "Duplicate"
    assert set(response.json()) == {"ping_id", "message", "price"}
    assert '"price": 0.00' in response.content.decode()
    assert Ping.objects.get().is_test is True


def test_test_ping_example_on_an_internal_source_is_not_test_data(market):
    """Internal sources ignore is_test, so the reserved ZIP is just an invalid ZIP for them."""
    response = send(market.internal, "/api/ping", PING_EXAMPLES["testPing"])
    assert response.status_code == 422
    assert response.json() == {
        "message": "The given data was invalid.",
        "errors": {"zip": ["The postal code is not valid for this account's operating countries."]},
    }
    assert not Ping.objects.exists()


@pytest.mark.parametrize("name", ["basic", "complete"])
def test_lead_examples_answer_201(market, name):
    body = assert_lead_response(send(market.internal, "/api/leads", LEAD_EXAMPLES[name]))
    lead = Lead.objects.get(uuid=body["lead_uuid"])
    assert lead.public_id == body["lead_public_id"] and lead.source == market.internal_source
    assert lead.data["email"] == LEAD_EXAMPLES[name]["email"] and lead.data["phone"] == LEAD_EXAMPLES[name][
        "phone"
    ].replace("-", "")
    assert lead.state == "FL" and lead.lead_type == market.lead_type and lead.is_test is False
    if name == "complete":
        assert lead.county == "Miami-Dade County" and lead.zip_code == "33101"


def test_lead_example_with_an_unknown_ping_id_gets_ping_not_found(market):
    response = send(market.internal, "/api/leads", LEAD_EXAMPLES["withPingId"])
    assert response.status_code == 422
    assert response.json() == {"error": "Ping could not be found with the provided ping ID"}
    assert not Lead.objects.exists()
    submission = Submission.objects.get()
    assert submission.outcome == "rejected" and submission.reason == "Ping not found"


def test_test_lead_example_on_a_test_mode_vendor_source_is_a_duplicate(market):
    body = assert_lead_response(send(market.vendor, "/api/leads", LEAD_EXAMPLES["testLead"]), "duplicate")
    assert body["price"] == 0
    lead = Lead.objects.get()
    assert lead.is_test and lead.status == LeadStatus.DUPLICATE and lead.customer is None
    assert [c.to_status for c in lead.status_changes.all()] == ["processing", "duplicate"]


# --- errors, exactly as documented --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["", "Basic nonsense", "Basic " + "a2V5Ondyb25n", "Bearer not-a-token", "Token abc"],
)
def test_bad_credentials_get_401_unauthorized(market, header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    for path in ("/api/ping", "/api/leads"):
        response = send(client, path, LEAD_EXAMPLES["basic"])
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}
    assert not Submission.objects.exists() and not Lead.objects.exists()


def test_a_wrong_secret_is_refused(market):
    client = Client(HTTP_AUTHORIZATION=basic_auth(market.internal_source.api_key, "wrong"))
    assert send(client, "/api/leads", LEAD_EXAMPLES["basic"]).status_code == 401


def test_paused_and_deleted_sources_are_refused(market):
    Source.objects.filter(pk=market.internal_source.pk).update(is_active=False)
    assert send(market.internal, "/api/leads", LEAD_EXAMPLES["basic"]).json() == {"message": "Unauthorized"}
    Source.objects.filter(pk=market.internal_source.pk).update(is_active=True, deleted_at=timezone.now())
    assert send(market.internal, "/api/ping", PING_EXAMPLES["minimal"]).status_code == 401


def test_validation_error_names_each_field_and_creates_nothing(market):
    payload = {**LEAD_EXAMPLES["basic"], "email": "not-an-email", "zip": "99999"}
    response = send(market.internal, "/api/leads", payload)
    assert response.status_code == 422
    assert response.json() == {
        "message": "The given data was invalid.",
        "errors": {
            "email": ["The email field must be a valid email address."],
            "zip": ["The postal code is not valid for this account's operating countries."],
        },
    }
    assert not Lead.objects.exists() and not Ping.objects.exists()
    submission = Submission.objects.get()
    assert submission.outcome == "rejected" and submission.http_status == 422
    assert submission.errors["email"] == ["The email field must be a valid email address."]
    assert "email" in submission.reason and submission.payload["email"] == "not-an-email"


def test_required_fields_for_post_and_ping(market):
    response = send(market.internal, "/api/leads", {"zip": "33139"})
    errors = response.json()["errors"]
    assert set(errors) == {"first_name", "last_name", "email", "phone"}
    assert errors["email"] == ["The email field is required."]
    ping = send(market.internal, "/api/ping", {"state": "FL"})
    assert ping.status_code == 422 and ping.json()["errors"] == {"zip": ["The zip field is required."]}


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"text"', '{"zip": NaN}'])
def test_a_body_that_is_not_a_json_object_is_422(market, body):
    response = send(market.internal, "/api/leads", body)
    assert response.status_code == 422
    assert response.json()["message"] == "The given data was invalid."
    assert response.json()["errors"] == {"body": ["The request body must be a JSON object."]}
    assert Submission.objects.get().outcome == "rejected" and not Lead.objects.exists()


def test_a_source_without_a_category_is_told_so(market, tenant_a, make_source):
    source, secret = make_source(tenant_a, "Orphan")
    client = Client(HTTP_AUTHORIZATION=basic_auth(source.api_key, secret))
    response = send(client, "/api/leads", LEAD_EXAMPLES["basic"])
    assert response.status_code == 422 and "category" in response.json()["errors"]
    assert not Lead.objects.exists()


def test_other_methods_get_405(market):
    assert market.internal.get("/api/leads").status_code == 405


# --- auth: bearer tokens and rotation -----------------------------------------------------------------------


def test_bearer_token_works_and_a_rotated_token_is_valid_for_24_hours(market, tenant_a):
    source = market.internal_source
    SourceToken.objects.create(
        tenant=tenant_a, source=source, prefix="old", token_hash=secret_digest("old-token")
    )
    old = Client(HTTP_AUTHORIZATION="Bearer old-token")
    assert_lead_response(send(old, "/api/leads", LEAD_EXAMPLES["basic"]))

    # Rotation: a new token, and the old one kept for 24 hours.
    SourceToken.objects.filter(source=source).update(expires_at=timezone.now() + timedelta(hours=24))
    SourceToken.objects.create(
        tenant=tenant_a, source=source, prefix="new", token_hash=secret_digest("new-token")
    )
    new = Client(HTTP_AUTHORIZATION="Bearer new-token")
    assert send(old, "/api/ping", PING_EXAMPLES["minimal"]).status_code == 200
    assert send(new, "/api/ping", PING_EXAMPLES["minimal"]).status_code == 200

    SourceToken.objects.filter(prefix="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert send(old, "/api/ping", PING_EXAMPLES["minimal"]).json() == {"message": "Unauthorized"}
    assert send(new, "/api/ping", PING_EXAMPLES["minimal"]).status_code == 200


# --- submissions --------------------------------------------------------------------------------------------


def test_every_authenticated_call_leaves_a_submission(market):
    accepted = send(market.internal, "/api/leads", LEAD_EXAMPLES["basic"], HTTP_X_PARTNER_ID="partner_x")
    send(market.internal, "/api/leads", {**LEAD_EXAMPLES["basic"], "email": "bad"})
    send(market.internal, "/api/ping", PING_EXAMPLES["minimal"])
    rows = list(Submission.objects.order_by("created_at", "id"))
    assert [(s.kind, s.outcome, s.http_status) for s in rows] == [
        ("post", "accepted", 201),
        ("post", "rejected", 422),
        ("ping", "accepted", 200),
    ]
    first = rows[0]
    assert first.lead.uuid.hex == accepted.json()["lead_uuid"].replace("-", "")
    assert first.payload["_meta"] == {"partner_id": "partner_x"} and first.payload["first_name"] == "Katy"
    assert first.response["lead_public_id"] == accepted.json()["lead_public_id"]
    assert first.reason and all(s.latency_ms > 0 for s in rows)
    assert rows[2].ping is not None and rows[2].lead is None


# --- test mode ----------------------------------------------------------------------------------------------

TEST_ZIP_OUTCOMES = [
    ("00001", "Match found", "assigned", "10.00"),
    ("00002", "Duplicate", "duplicate", "0.00"),
    ("00003", "Rejected", "audit", "0.00"),
    ("00004", "No match found", "unassigned", "0.00"),
    ("00005", "Match found", "marketplace", "0.00"),
]


@pytest.mark.parametrize(("zip_code", "message", "status", "lead_price"), TEST_ZIP_OUTCOMES)
def test_test_zips_answer_deterministically(
    market, acme_customer, make_bid, fund, zip_code, message, status, lead_price
):
    make_bid(acme_customer, market.lead_type, amount=2500)
    fund(acme_customer, 100_000)
    ping = send(market.vendor, "/api/ping", {"zip": zip_code})
    assert ping.status_code == 200 and ping.json()["message"] == message
    lead = send(market.vendor, "/api/leads", {**LEAD_EXAMPLES["testLead"], "zip": zip_code, "is_test": False})
    body = assert_lead_response(lead, status)
    assert f'"price": {lead_price}' in lead.content.decode()
    saved = Lead.objects.get(uuid=body["lead_uuid"])
    assert saved.is_test and saved.customer is None and saved.price == 0 and saved.transaction is None
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 100_000 and acme_customer.wallet.held == 0
    assert Submission.objects.filter(is_test=True).count() == 2


def test_a_test_mode_source_with_a_real_zip_is_typed_but_forced_to_audit(
    market, acme_customer, make_bid, fund
):
    make_bid(acme_customer, market.lead_type, amount=2500)
    fund(acme_customer, 100_000)
    body = assert_lead_response(send(market.vendor, "/api/leads", LEAD_EXAMPLES["basic"]), "audit")
    lead = Lead.objects.get(uuid=body["lead_uuid"])
    assert lead.is_test and lead.lead_type == market.lead_type and lead.customer is None
    ping = send(market.vendor, "/api/ping", PING_EXAMPLES["minimal"])
    assert ping.json()["message"] == "No match found"
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.held == 0 and acme_customer.wallet.balance == 100_000


def test_a_test_mode_source_still_validates(market):
    response = send(market.vendor, "/api/leads", {**LEAD_EXAMPLES["testLead"], "email": "nope"})
    assert response.status_code == 422 and set(response.json()["errors"]) == {"email"}
    assert not Lead.objects.exists()


def test_test_zips_are_invalid_outside_test_mode(market):
    Source.objects.filter(pk=market.vendor_source.pk).update(test_mode=False)
    response = send(market.vendor, "/api/leads", LEAD_EXAMPLES["testLead"])
    assert response.status_code == 422 and set(response.json()["errors"]) == {"zip"}


# --- duplicates, lead types ---------------------------------------------------------------------------------


def test_a_repeated_email_within_the_window_is_a_duplicate(market, tenant_a):
    DuplicateRule.objects.create(
        tenant=tenant_a, category=market.category, fields=["email"], lookback_days=30
    )
    first = assert_lead_response(send(market.internal, "/api/leads", LEAD_EXAMPLES["basic"]))
    assert first["status"] != "duplicate"
    again = {**LEAD_EXAMPLES["basic"], "email": "KATY.BERRY@thirstyleads.com", "first_name": "K"}
    second = assert_lead_response(send(market.internal, "/api/leads", again), "duplicate")
    assert second["price"] == 0
    other = {**LEAD_EXAMPLES["basic"], "email": "someone.else@example.com"}
    assert assert_lead_response(send(market.internal, "/api/leads", other))["status"] != "duplicate"


def test_duplicate_rule_on_pings_answers_duplicate(market, tenant_a):
    DuplicateRule.objects.create(
        tenant=tenant_a, category=market.category, fields=["zip", "state"], apply_to_pings=True
    )
    send(market.internal, "/api/leads", LEAD_EXAMPLES["basic"])
    response = send(market.internal, "/api/ping", {"zip": "33139", "state": "fl"})
    assert response.json()["message"] == "Duplicate" and response.json()["bids"] == []


def test_no_lead_type_means_unassigned_and_uncategorized(market, tenant_a):
    market.lead_type.is_fallback = False
    market.lead_type.conditions = [[{"field": "state", "op": "equals", "value": "TX"}]]
    market.lead_type.save()
    body = assert_lead_response(send(market.internal, "/api/leads", LEAD_EXAMPLES["basic"]), "unassigned")
    assert Lead.objects.get(uuid=body["lead_uuid"]).status == LeadStatus.UNCATEGORIZED
    ping = send(market.internal, "/api/ping", PING_EXAMPLES["detailed"])
    assert ping.json() == {"ping_id": ping.json()["ping_id"], "message": "No match found", "bids": []}


def test_location_columns_come_from_the_zip(market):
    payload = {**LEAD_EXAMPLES["basic"], "state": "TX", "county": "Harris"}  # inconsistent with 33139
    body = assert_lead_response(send(market.internal, "/api/leads", payload))
    lead = Lead.objects.get(uuid=body["lead_uuid"])
    assert (lead.zip_code, lead.state, lead.county) == ("33139", "FL", "Miami-Dade County")
    assert lead.data["state"] == "TX"  # what the source sent stays in the data


# --- vendor pricing -----------------------------------------------------------------------------------------


def test_vendor_ping_without_bids_reports_the_fallback_price(market, tenant_a):
    Source.objects.filter(pk=market.vendor_source.pk).update(test_mode=False)
    SourcePricing.objects.create(
        tenant=tenant_a, source=market.vendor_source, lead_type=market.lead_type, kind="fallback", price=1250
    )
    response = send(market.vendor, "/api/ping", PING_EXAMPLES["minimal"])
    assert response.status_code == 200
    assert set(response.json()) == {"ping_id", "message", "price"}
    assert '"price": 12.50' in response.content.decode()


def test_payout_percent_and_fixed_price():
    source = Source(payout_percent=50)
    assert ingest.vendor_price(source=source, lead_type_id=None, top_price=4501) == 2250
    assert ingest.vendor_price(source=source, lead_type_id=None, top_price=None) == 0
    assert (
        ingest.render_json({"price": ingest.Price(4500), "x": [ingest.Price(5)]})
        == '{"price": 45.00, "x": [0.05]}'
    )


def test_customer_number_is_a_stable_31_bit_integer():
    number = ingest.public_customer_number("cus_01arz3ndektsv4rrffq69g5fav")
    assert number == ingest.public_customer_number("cus_01arz3ndektsv4rrffq69g5fav")
    assert 0 <= number < 2**31


# --- rate limit ---------------------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(market):
    Source.objects.filter(pk=market.internal_source.pk).update(rate_limit_per_minute=2)
    assert send(market.internal, "/api/ping", PING_EXAMPLES["minimal"]).status_code == 200
    assert send(market.internal, "/api/ping", PING_EXAMPLES["minimal"]).status_code == 200
    limited = send(market.internal, "/api/leads", LEAD_EXAMPLES["basic"])
    assert limited.status_code == 429
    assert limited.json() == {"message": "Too Many Attempts."}
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert not Lead.objects.exists()
    rejected = Submission.objects.get(outcome="rejected")
    assert rejected.http_status == 429 and "Rate limit" in rejected.reason
    # Another source has its own window.
    assert send(market.vendor, "/api/ping", {"zip": "00004"}).status_code == 200


# --- tenant isolation ---------------------------------------------------------------------------------------


def test_a_tenant_b_source_cannot_post_a_tenant_a_ping(
    market, tenant_b, make_category, make_lead_type, make_source
):
    ping_id = send(market.internal, "/api/ping", PING_EXAMPLES["withState"]).json()["ping_id"]
    category_b = make_category(tenant_b)
    make_lead_type(category_b)
    source_b, secret_b = make_source(tenant_b, "Bolt form", category=category_b)
    client_b = Client(HTTP_AUTHORIZATION=basic_auth(source_b.api_key, secret_b))
    response = send(client_b, "/api/leads", {**LEAD_EXAMPLES["withPingId"], "ping_id": ping_id, "bid_id": ""})
    assert response.status_code == 422
    assert response.json() == {"error": "Ping could not be found with the provided ping ID"}
    assert not Lead.objects.exists()
    assert Ping.objects.get().status == Ping.Status.OPEN
    # …and neither can another source of tenant A.
    response = send(market.vendor, "/api/leads", {**LEAD_EXAMPLES["withPingId"], "ping_id": ping_id})
    assert response.json() == {"error": "Ping could not be found with the provided ping ID"}
