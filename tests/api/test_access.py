"""Every staff API endpoint checks the token, the tenant and the role in one place.

Another tenant's token gets 404 for an object (its existence is not revealed) and only its own rows in a
list; no, bad or revoked tokens get 401; a role without the permission gets 403. None of them change data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from juiced.customers.services import customer_archive, customer_pause
from juiced.tenants.models import Membership
from juiced.tenants.roles import StaffRole, role_can
from juiced.tenants.services import api_token_create, api_token_revoke
from tests.api.conftest import assert_error, call, snapshot


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {id} is the customer's public id
    permission: str
    body: Any = None
    success: int = 200
    setup: str = ""  # "archive" or "pause": the state the action needs

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


OBJECT_ENDPOINTS = [
    Endpoint("get", "/customers/{id}", "customers.view"),
    Endpoint("patch", "/customers/{id}", "customers.edit", {"name": "Renamed Insurance"}),
    Endpoint("post", "/customers/{id}/archive", "customers.edit"),
    Endpoint("post", "/customers/{id}/restore", "customers.edit", setup="archive"),
    Endpoint("post", "/customers/{id}/pause", "customers.edit"),
    Endpoint("post", "/customers/{id}/unpause", "customers.edit", setup="pause"),
    Endpoint("get", "/customers/{id}/wallet", "customers.view"),
    Endpoint(
        "post",
        "/customers/{id}/wallet/credits",
        "funds.manage",
        {"amount": 2500, "description": "Goodwill credit"},
        201,
    ),
    Endpoint(
        "post", "/customers/{id}/wallet/debits", "funds.manage", {"amount": 100, "description": "Fee"}, 201
    ),
    Endpoint("get", "/customers/{id}/transactions", "transactions.view"),
]
LIST_ENDPOINTS = [
    Endpoint("get", "/customers", "customers.view"),
    Endpoint("post", "/customers", "customers.edit", {"name": "New Buyer", "email": "new@buyer.test"}, 201),
]
ALL_ENDPOINTS = OBJECT_ENDPOINTS + LIST_ENDPOINTS


def prepare(endpoint: Endpoint, customer, actor) -> str:
    if endpoint.setup == "archive":
        customer_archive(customer=customer, actor=actor)
    elif endpoint.setup == "pause":
        customer_pause(customer=customer, actor=actor)
    return endpoint.path.replace("{id}", customer.public_id)


def send(client: Client, endpoint: Endpoint, path: str, **headers: str):
    return call(client, endpoint.method, path, endpoint.body, **headers)


@pytest.mark.parametrize("endpoint", OBJECT_ENDPOINTS, ids=str)
def test_another_tenants_token_gets_404_for_every_object_endpoint(endpoint, funded_acme, alice, bob_api):
    path = prepare(endpoint, funded_acme, alice)
    before = snapshot()
    response = send(bob_api, endpoint, path, **{"Idempotency-Key": "bob-1"})
    assert_error(response, 404, "not_found")
    assert snapshot() == before


def test_another_tenants_list_shows_only_its_own_customers(acme_customer, bolt_customer, bob_api):
    response = call(bob_api, "get", "/customers?archived=include")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["data"]] == [bolt_customer.public_id]
    assert response.json()["total"] == 1


def test_a_customer_created_by_another_tenant_lands_in_its_own_tenant(acme_customer, bob_api, alice_api):
    response = call(bob_api, "post", "/customers", {"name": "Bolt Solar", "email": "ops@boltsolar.test"})
    assert response.status_code == 201
    new_id = response.json()["id"]
    assert_error(call(alice_api, "get", f"/customers/{new_id}"), 404, "not_found")
    assert new_id not in [c["id"] for c in call(alice_api, "get", "/customers").json()["data"]]


def test_unknown_customer_id_is_404(alice_api):
    assert_error(call(alice_api, "get", "/customers/cus_00000000000000000000000000"), 404, "not_found")
    assert_error(call(alice_api, "get", "/customers/42/wallet"), 404, "not_found")


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS, ids=str)
@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer jcd_not-a-real-token", "Basic YWxpY2U6cGFzcw==", "Token {raw}", "Bearer {raw}x"],
    ids=["none", "empty-bearer", "unknown-token", "basic", "wrong-scheme", "altered-token"],
)
def test_missing_or_bad_token_gets_401(endpoint, authorization, funded_acme, alice, tenant_a):
    _token, raw = api_token_create(tenant=tenant_a, user=alice, name="real")
    path = prepare(endpoint, funded_acme, alice)
    before = snapshot()
    headers = {"Authorization": authorization.format(raw=raw)} if authorization else {}
    response = send(Client(), endpoint, path, **headers)
    assert_error(response, 401, "unauthorized")
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS, ids=str)
def test_revoked_token_gets_401(endpoint, funded_acme, alice, tenant_a):
    token, raw = api_token_create(tenant=tenant_a, user=alice, name="soon revoked")
    api_token_revoke(token=token, actor=alice)
    path = prepare(endpoint, funded_acme, alice)
    before = snapshot()
    response = send(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), endpoint, path)
    assert_error(response, 401, "unauthorized")
    assert snapshot() == before


def test_token_of_someone_removed_from_the_team_gets_401(funded_acme, make_staff, tenant_a):
    sam = make_staff(StaffRole.CUSTOMER_SUPPORT)
    _token, raw = api_token_create(tenant=tenant_a, user=sam, name="sam")
    Membership.objects.filter(user=sam).delete()
    response = call(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), "get", f"/customers/{funded_acme.public_id}")
    assert_error(response, 401, "unauthorized")


def test_token_of_a_deactivated_user_gets_401(funded_acme, make_staff, tenant_a):
    sam = make_staff(StaffRole.CUSTOMER_SUPPORT)
    _token, raw = api_token_create(tenant=tenant_a, user=sam, name="sam")
    sam.is_active = False
    sam.save()
    response = call(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), "get", "/customers")
    assert_error(response, 401, "unauthorized")


ROLE_CASES = [(endpoint, role) for endpoint in ALL_ENDPOINTS for role in StaffRole.values]


@pytest.mark.parametrize(("endpoint", "role"), ROLE_CASES, ids=lambda v: str(v))
def test_each_role_is_allowed_or_refused_per_the_permission_table(
    endpoint, role, funded_acme, alice, role_api
):
    client = role_api(role)
    path = prepare(endpoint, funded_acme, alice)
    before = snapshot()
    response = send(client, endpoint, path)
    if role_can(role, endpoint.permission):
        assert response.status_code == endpoint.success, response.content
    else:
        assert_error(response, 403, "forbidden")
        assert snapshot() == before


def test_data_validation_role_cannot_read_customers_or_money(funded_acme, role_api):
    client = role_api(StaffRole.DATA_VALIDATION)
    for path in ("/customers", f"/customers/{funded_acme.public_id}/wallet"):
        assert_error(call(client, "get", path), 403, "forbidden")


def test_sales_may_read_but_not_move_money(funded_acme, role_api):
    client = role_api(StaffRole.SALES)
    assert call(client, "get", f"/customers/{funded_acme.public_id}/wallet").json()["balance"] == 5000
    before = snapshot()
    response = call(
        client,
        "post",
        f"/customers/{funded_acme.public_id}/wallet/debits",
        {"amount": 100, "description": "x"},
    )
    assert_error(response, 403, "forbidden")
    assert snapshot() == before
