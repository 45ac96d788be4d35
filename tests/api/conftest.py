"""API test helpers: JSON calls with a bearer token; a snapshot proving a refusal changed nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from juiced.core.models import AuditEntry
from juiced.customers.models import Customer
from juiced.tenants.roles import StaffRole
from juiced.wallets.models import IdempotencyRecord, Transaction, Wallet
from juiced.wallets.services import wallet_credit

BASE = "/api/manage"


def call(client: Client, method: str, path: str, body: Any = None, **headers: str):
    """Send `body` as JSON (a str is sent as-is) to /api/manage<path>."""
    kwargs: dict[str, Any] = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(BASE + path, **kwargs)


def snapshot() -> dict[str, Any]:
    """Everything a refused request must leave untouched."""
    return {
        "customers": sorted(
            Customer.objects.values_list(
                "public_id", "name", "email", "is_paused", "archived_at", "updated_at", "daily_budget"
            )
        ),
        "wallets": sorted(Wallet.objects.values_list("pk", "balance", "held")),
        "transactions": Transaction.objects.count(),
        "idempotency_records": IdempotencyRecord.objects.count(),
        "audit_entries": AuditEntry.objects.count(),
    }


def assert_error(response, status: int, code: str, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    for field in fields:
        assert error["fields"].get(field), error
    return error


@pytest.fixture
def alice_api(api_client, alice, tenant_a) -> Client:
    return api_client(alice, tenant_a)


@pytest.fixture
def bob_api(api_client, bob, tenant_b) -> Client:
    return api_client(bob, tenant_b)


@pytest.fixture
def role_api(api_client, make_staff, tenant_a, alice):
    """role_api(role) → a client with the token of tenant A's staff member in that role (Admin: alice)."""

    def make(role: str) -> Client:
        user = alice if role == StaffRole.ADMIN else make_staff(role)
        return api_client(user, tenant_a)

    return make


@pytest.fixture
def funded_acme(acme_customer, alice):
    """acme_customer with $50.00 in its wallet."""
    wallet_credit(wallet=acme_customer.wallet, amount=5000, description="Opening balance", actor=alice)
    acme_customer.wallet.refresh_from_db()
    return acme_customer
