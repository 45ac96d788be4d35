"""/api/manage/customers: the list with search, filters, sorting and pages; create, get, patch and actions."""

from __future__ import annotations

import pytest

from juiced.core.models import AuditEntry
from juiced.customers.models import Customer, CustomerMembership
from juiced.customers.services import customer_archive, customer_create, customer_pause
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole
from juiced.wallets.services import wallet_credit
from tests.api.conftest import assert_error, call, snapshot


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["data"]]


@pytest.fixture
def acme_book(tenant_a, alice):
    """Three more customers of tenant A: a funded one, a paused one and an archived one."""
    funded = customer_create(
        tenant=tenant_a, actor=alice, data={"name": "Zeta Roofing", "email": "z@zeta.test"}
    )
    wallet_credit(wallet=funded.wallet, amount=9000, description="Deposit", actor=alice)
    paused = customer_create(tenant=tenant_a, actor=alice, data={"name": "Mid Solar", "email": "m@mid.test"})
    customer_pause(customer=paused, actor=alice)
    archived = customer_create(
        tenant=tenant_a, actor=alice, data={"name": "Old Pools", "email": "o@old.test"}
    )
    customer_archive(customer=archived, actor=alice)
    return {"funded": funded.public_id, "paused": paused.public_id, "archived": archived.public_id}


def test_customer_object_has_statuses_wallet_and_public_ids_only(alice_api, acme_customer):
    response = call(alice_api, "get", f"/customers/{acme_customer.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == acme_customer.public_id and body["object"] == "customer"
    assert body["status"] == {
        "display": "Inactive",
        "operational": "Active",
        "funding": "Exhausted",
        "cap": "Unlimited",
        "budget": "Unlimited",
    }
    assert body["wallet"] == {"balance": 0, "held": 0, "available": 0, "currency": "usd"}
    assert body["archived"] is False
    assert body["created"] and body["updated"]
    assert str(acme_customer.pk) not in {str(v) for v in body.values()}


def test_list_excludes_archived_and_sorts_by_name_by_default(alice_api, acme_customer, acme_book):
    response = call(alice_api, "get", "/customers")
    assert ids(response) == [acme_customer.public_id, acme_book["paused"], acme_book["funded"]]
    body = response.json()
    assert (body["object"], body["page"], body["per_page"], body["total"], body["has_more"]) == (
        "list",
        1,
        25,
        3,
        False,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("archived=only", ["archived"]),
        ("archived=include&sort=-name", ["funded", "archived", "paused", "acme"]),
        ("operational=paused", ["paused"]),
        ("operational=archived", ["archived"]),
        ("operational=active", ["acme", "funded"]),
        ("funding=available", ["funded"]),
        ("funding=exhausted", ["acme", "paused"]),
        ("funding=limited", []),
        ("sort=-available", ["funded", "paused", "acme"]),  # ties: newest first
        ("sort=email", ["paused", "acme", "funded"]),
        ("search=ZETA", ["funded"]),
        ("search=acmeins", ["acme"]),
    ],
)
def test_list_filters_and_sorts(alice_api, acme_customer, acme_book, query, expected):
    names = {**acme_book, "acme": acme_customer.public_id}
    assert ids(call(alice_api, "get", f"/customers?{query}")) == [names[n] for n in expected]


def test_list_search_finds_a_linked_users_name_or_email(alice_api, acme_customer, acme_book, buyer):
    assert ids(call(alice_api, "get", "/customers?search=betty")) == [acme_customer.public_id]
    assert ids(call(alice_api, "get", "/customers?search=buyer@acmeins")) == [acme_customer.public_id]


def test_list_pages(alice_api, tenant_a, alice):
    for n in range(5):
        customer_create(tenant=tenant_a, actor=alice, data={"name": f"Buyer {n}", "email": f"b{n}@x.test"})
    first = call(alice_api, "get", "/customers?per_page=2").json()
    last = call(alice_api, "get", "/customers?per_page=2&page=3").json()
    beyond = call(alice_api, "get", "/customers?per_page=2&page=9").json()
    assert [c["name"] for c in first["data"]] == ["Buyer 0", "Buyer 1"] and first["has_more"] is True
    assert [c["name"] for c in last["data"]] == ["Buyer 4"] and last["has_more"] is False
    assert beyond["data"] == [] and beyond["total"] == 5 and beyond["has_more"] is False


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("sort=balance", "sort"),
        ("operational=sleeping", "operational"),
        ("funding=rich", "funding"),
        ("archived=maybe", "archived"),
    ],
)
def test_list_rejects_bad_parameters_with_422(alice_api, query, field):
    assert_error(call(alice_api, "get", f"/customers?{query}"), 422, "invalid", field)


def test_list_runs_a_bounded_number_of_queries(alice_api, tenant_a, alice, django_assert_max_num_queries):
    for n in range(30):
        data = {"name": f"Buyer {n:02}", "email": f"b{n}@x.test"}
        if n % 3 == 0:
            data["daily_cap"] = 5
            data["monthly_budget"] = 100_00
        customer = customer_create(tenant=tenant_a, actor=alice, data=data)
        user = User.objects.create_user(email=f"u{n}@x.test", password="x" * 12)
        CustomerMembership.objects.create(customer=customer, user=user, role=CustomerRole.CUSTOMER_USER)
    # token lookup, last-used stamp, count, page, the page's active bids (funding), one usage read for
    # the customers with limits
    with django_assert_max_num_queries(6):
        response = call(alice_api, "get", "/customers?per_page=100&search=buyer")
    assert response.json()["total"] == 30
    capped = [c for c in response.json()["data"] if c["daily_cap"] == 5]
    assert len(capped) == 10 and {c["status"]["cap"] for c in capped} == {"Available"}


def test_create_customer_returns_201_and_audits_it(alice_api, alice):
    body = {
        "name": "Nova Insurance",
        "email": "Ops@Nova.test",
        "phone": "+1 555 0100",
        "daily_budget": 250_00,
        "weekly_cap": 40,
        "is_onboarded": True,
    }
    response = call(alice_api, "post", "/customers", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["id"].startswith("cus_") and created["email"] == "ops@nova.test"
    assert (created["daily_budget"], created["weekly_cap"], created["is_onboarded"]) == (25000, 40, True)
    assert created["status"]["budget"] == "Available" and created["status"]["cap"] == "Available"
    customer = Customer.objects.get(public_id=created["id"])
    assert customer.daily_budget == 25000
    assert AuditEntry.objects.filter(customer=customer, action="customer.created", actor=alice).exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["name", "email"]),
        ({"name": "", "email": "a@b.test"}, ["name"]),
        ({"name": "X", "email": "not-an-email"}, ["email"]),
        ({"name": "X", "email": "a@b.test", "daily_budget": 12.5}, ["daily_budget"]),
        ({"name": "X", "email": "a@b.test", "daily_budget": "250.00"}, ["daily_budget"]),
        ({"name": "X", "email": "a@b.test", "daily_budget": 0}, ["daily_budget"]),
        ({"name": "X", "email": "a@b.test", "weekly_cap": -3}, ["weekly_cap"]),
        ({"name": "X", "email": "a@b.test", "is_onboarded": "yes"}, ["is_onboarded"]),
        ({"name": "X", "email": "a@b.test", "balance": 100}, ["balance"]),
        ({"name": "X" * 201, "email": "a@b.test"}, ["name"]),
    ],
)
def test_create_customer_rejects_invalid_fields_with_422_and_creates_nothing(
    alice_api, tenant_a, body, fields
):
    before = snapshot()
    assert_error(call(alice_api, "post", "/customers", body), 422, "invalid", *fields)
    assert snapshot() == before


def test_create_customer_rejects_a_body_that_is_not_json(alice_api, tenant_a):
    before = snapshot()
    assert_error(call(alice_api, "post", "/customers", "{name: nope"), 422, "invalid_json")
    assert snapshot() == before


def test_patch_changes_only_the_fields_sent(alice_api, acme_customer, alice):
    path = f"/customers/{acme_customer.public_id}"
    response = call(alice_api, "patch", path, {"city": "Austin", "monthly_budget": 1_000_00})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["city"], body["monthly_budget"], body["name"]) == ("Austin", 100000, "Acme Insurance")
    entry = AuditEntry.objects.filter(customer=acme_customer, action="customer.updated").get()
    assert entry.changes == {"city": ["", "Austin"], "monthly_budget": [None, 100000]}


def test_patch_with_null_clears_a_limit(alice_api, tenant_a, alice):
    customer = customer_create(
        tenant=tenant_a, actor=alice, data={"name": "C", "email": "c@c.test", "daily_cap": 3}
    )
    body = call(alice_api, "patch", f"/customers/{customer.public_id}", {"daily_cap": None}).json()
    assert body["daily_cap"] is None and body["status"]["cap"] == "Unlimited"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"email": "nope"}, "email"), ({"name": None}, "name"), ({"daily_budget": 9.99}, "daily_budget")],
)
def test_patch_rejects_invalid_fields_and_changes_nothing(alice_api, acme_customer, body, field):
    before = snapshot()
    assert_error(
        call(alice_api, "patch", f"/customers/{acme_customer.public_id}", body), 422, "invalid", field
    )
    assert snapshot() == before


def test_archive_restore_pause_unpause_move_the_operational_status(alice_api, acme_customer):
    path = f"/customers/{acme_customer.public_id}"
    assert call(alice_api, "post", f"{path}/pause").json()["status"]["operational"] == "Paused"
    archived = call(alice_api, "post", f"{path}/archive").json()
    assert archived["archived"] is True and archived["status"]["display"] == "Archived"
    restored = call(alice_api, "post", f"{path}/restore").json()
    assert restored["archived"] is False and restored["status"]["operational"] == "Paused"
    assert call(alice_api, "post", f"{path}/unpause").json()["status"]["operational"] == "Active"


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("", "restore"),
        ("", "unpause"),
        ("pause", "pause"),
        ("archive", "archive"),
        ("archive", "pause"),
        ("archive", "unpause"),
    ],
)
def test_an_action_in_the_wrong_state_is_409_and_changes_nothing(
    alice_api, acme_customer, alice, setup, action
):
    if setup == "pause":
        customer_pause(customer=acme_customer, actor=alice)
    elif setup == "archive":
        customer_archive(customer=acme_customer, actor=alice)
    before = snapshot()
    response = call(alice_api, "post", f"/customers/{acme_customer.public_id}/{action}")
    assert_error(response, 409, "invalid_state")
    assert snapshot() == before
