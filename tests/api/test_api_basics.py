"""The API's shell: OpenAPI docs, the error shape, and how often a token's last use is written."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from juiced.api.errors import field_name, validation_fields
from juiced.tenants.models import ApiToken
from juiced.tenants.services import api_token_create
from tests.api.conftest import call


def test_openapi_schema_lists_every_manage_path():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/manage/customers",
        "/api/manage/customers/{customer_id}",
        "/api/manage/customers/{customer_id}/archive",
        "/api/manage/customers/{customer_id}/restore",
        "/api/manage/customers/{customer_id}/pause",
        "/api/manage/customers/{customer_id}/unpause",
        "/api/manage/customers/{customer_id}/wallet",
        "/api/manage/customers/{customer_id}/wallet/credits",
        "/api/manage/customers/{customer_id}/wallet/debits",
        "/api/manage/customers/{customer_id}/transactions",
    ):
        assert path in paths
    assert response.json()["components"]["securitySchemes"]["StaffToken"]["scheme"] == "bearer"


def test_docs_page_loads():
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_last_used_is_written_at_most_once_a_minute(db, tenant_a, alice):
    token, raw = api_token_create(tenant=tenant_a, user=alice, name="cli")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert token.last_used_at is None
    call(client, "get", "/customers")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    call(client, "get", "/customers")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    call(client, "get", "/customers")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_a_failed_authentication_records_no_use(db, tenant_a, alice):
    token, raw = api_token_create(tenant=tenant_a, user=alice, name="cli")
    call(Client(HTTP_AUTHORIZATION=f"Bearer {raw}-wrong"), "get", "/customers")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


def test_validation_locations_become_field_names():
    assert field_name(("body", "payload", "amount")) == "amount"
    assert field_name(("body", "payload")) == "body"
    assert field_name(("query", "event", 0)) == "event"
    assert field_name(("header", "Idempotency-Key")) == "Idempotency-Key"
    errors = [
        {"loc": ("body", "payload", "amount"), "type": "int_from_float", "msg": "…"},
        {"loc": ("body", "payload", "description"), "type": "missing", "msg": "Field required"},
    ]
    assert validation_fields(errors) == {
        "amount": ["Enter a whole number (money is in cents)."],
        "description": ["This field is required."],
    }
