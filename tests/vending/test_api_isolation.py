"""Tenant isolation: bob (Admin at tenant B) gets 404 for every tenant A vending object on every endpoint."""

from __future__ import annotations

import pytest

from juiced.core.tenancy import StaffAccess
from juiced.tenants.roles import StaffRole
from juiced.vending.batches import batch_open_for
from juiced.vending.masters import master_create
from juiced.vending.models import Account, AccountEvent, Batch, Sale, Token
from juiced.vending.sales import quick_pay
from tests.api.conftest import assert_error
from tests.vending.test_api import vend

CASH = {"amount": 1_000, "payment_kind": "cash", "tendered": 1_000}

# (method, path, body): the {placeholders} name tenant A's objects.
ENDPOINTS = [
    ("get", "/accounts/{account}", None),
    ("get", "/accounts/{account_number}", None),
    ("patch", "/accounts/{account}", {"arrears_recovery_bp": 100}),
    ("post", "/accounts/{account}/activate", {}),
    ("post", "/accounts/{account}/deactivate", {"note": "Not yours"}),
    ("post", "/accounts/{account}/quick-pay", CASH),
    ("get", "/sales/{sale}", None),
    ("post", "/sales/{sale}/reverse", {"reason": "Not yours"}),
    ("get", "/customers/{customer}", None),
    ("patch", "/customers/{customer}", {"name": "Mine now"}),
    ("get", "/locations/{location}", None),
    ("get", "/locations/{loc_id}", None),
    ("patch", "/locations/{location}", {"city": "Elsewhere"}),
    ("get", "/meters/{meter}", None),
    ("get", "/meters/{serial}", None),
    ("patch", "/meters/{meter}", {"vending_enabled": False}),
    ("post", "/meters/{meter}/tokens", {"token_type": "DISABLE_PAYG", "reason": "Not yours"}),
    ("post", "/meters/{meter}/decode", {"token": "123456789"}),
    ("get", "/tariffs/{tariff}", None),
    ("patch", "/tariffs/{tariff}", {"flat_rate": 1}),
    ("post", "/tariffs/{tariff}/quote", {"amount": 1_000}),
    ("get", "/master-accounts/{master}", None),
    ("patch", "/master-accounts/{master}", {"name": "Mine"}),
    ("post", "/master-accounts/{master}/synchronize", {"fields": ["arrears_recovery_bp"]}),
    ("patch", "/vendors/{vendor}", {"limit_per_sale": 1}),
    ("get", "/vendors/{vendor}/batches", None),
    ("post", "/vendors/{vendor}/batches/{batch}/close", None),
]


@pytest.fixture
def acme(tenant_a, alice, cashier, make_account):
    """Tenant A's objects: an account with a sale, its parts, a master, the cashier's vendor and batch."""
    account = make_account(tenant_a)
    cashier_access = StaffAccess(user=cashier, tenant=tenant_a, role=StaffRole.CASHIER)
    sale, _ = quick_pay(
        access=cashier_access, account=account, amount=1_000, payment_kind="cash", tendered=1_000
    )
    admin = StaffAccess(user=alice, tenant=tenant_a, role=StaffRole.ADMIN)
    master = master_create(access=admin, data={"name": "Estate", "accounts": [account.public_id]})
    vendor = cashier.vendors.get()
    return {
        "account": account.public_id,
        "account_number": account.number,
        "sale": sale.public_id,
        "customer": account.customer.public_id,
        "location": account.location.public_id,
        "loc_id": account.location.loc_id,
        "meter": account.meter.public_id,
        "serial": account.meter.serial_number,
        "tariff": account.tariff.public_id,
        "master": master.public_id,
        "vendor": vendor.public_id,
        "batch": batch_open_for(vendor=vendor).public_id,
    }


def state() -> tuple:
    return (
        list(
            Account.objects.order_by("pk").values_list(
                "status", "arrears_recovery_bp", "tariff", "updated_at"
            )
        ),
        Sale.objects.count(),
        Token.objects.count(),
        AccountEvent.objects.count(),
        list(Batch.objects.values_list("status", "total")),
    )


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_another_tenants_admin_gets_404_for_every_endpoint(
    api_client, bob, tenant_b, acme, method, path, body
):
    bob_api = api_client(bob, tenant_b)
    before = state()
    response = vend(bob_api, method, path.format(**acme), body, **{"Idempotency-Key": "bob-1"})
    assert_error(response, 404, "not_found")
    assert state() == before


def test_tenant_a_itself_reaches_every_get_endpoint(api_client, alice, tenant_a, acme):
    alice_api = api_client(alice, tenant_a)
    for method, path, _body in ENDPOINTS:
        if method == "get":
            assert vend(alice_api, method, path.format(**acme)).status_code == 200, path


def test_lists_and_search_show_only_the_callers_tenant(api_client, bob, tenant_b, acme):
    bob_api = api_client(bob, tenant_b)
    for path in (
        "/accounts",
        "/customers",
        "/locations",
        "/meters",
        "/tariffs",
        "/master-accounts",
        "/vendors",
    ):
        assert vend(bob_api, "get", path).json()["total"] == 0, path
    assert vend(bob_api, "get", f"/accounts?q={acme['account_number']}").json()["total"] == 0


def test_another_tenants_ids_in_a_body_are_not_found(api_client, bob, tenant_b, acme, make_tariff):
    bob_api = api_client(bob, tenant_b)
    body = {k: acme[k] for k in ("customer", "location", "meter", "tariff")}
    error = assert_error(vend(bob_api, "post", "/accounts", body), 422, "invalid", *body)
    assert error["fields"]["customer"] == ["No such customer."]
    own = make_tariff(tenant_b)
    response = vend(
        bob_api, "post", f"/tariffs/{own.public_id}/quote", {"amount": 1_000, "account": acme["account"]}
    )
    assert_error(response, 404, "not_found")
    response = vend(bob_api, "post", "/master-accounts", {"name": "M", "accounts": [acme["account"]]})
    assert_error(response, 422, "invalid", "accounts")
