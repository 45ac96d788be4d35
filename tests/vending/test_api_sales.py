"""/api/manage/vending Quick Pay, sales and reversals, management tokens and decode, vendors and batches."""

from __future__ import annotations

import pytest

from juiced.tenants.roles import StaffRole
from juiced.vending.models import Account, Batch, Sale, Token, Vendor
from tests.api.conftest import assert_error
from tests.vending.test_api import vend


@pytest.fixture
def alice_api(api_client, alice, tenant_a):
    return api_client(alice, tenant_a)


@pytest.fixture
def cashier_api(api_client, cashier, tenant_a):
    return api_client(cashier, tenant_a)


@pytest.fixture
def support_api(api_client, make_staff, tenant_a):
    return api_client(make_staff(StaffRole.CUSTOMER_SUPPORT), tenant_a)


@pytest.fixture
def supervisor_api(api_client, supervisor, tenant_a):
    return api_client(supervisor, tenant_a)


@pytest.fixture
def account(tenant_a, make_account, make_tariff):
    return make_account(tenant_a, tariff=make_tariff(tenant_a, flat_rate=20_000))


def pay(client, account, body, key: str | None = "key-1"):
    headers = {"Idempotency-Key": key} if key else {}
    return vend(client, "post", f"/accounts/{account.public_id}/quick-pay", body, **headers)


CASH = {"amount": 2_000, "payment_kind": "cash", "tendered": 5_000}


# --- Quick Pay ----------------------------------------------------------------------------------------------


def test_cashier_quick_pay_cash_returns_the_sale_with_change_tokens_and_breakdown(
    cashier_api, account, cashier
):
    response = pay(cashier_api, account, CASH)
    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response.headers
    sale = response.json()
    assert sale["id"].startswith("sal_") and sale["object"] == "sale" and sale["kind"] == "sale"
    assert (sale["amount"], sale["tendered"], sale["change_due"], sale["currency"]) == (
        2_000,
        5_000,
        3_000,
        "usd",
    )
    assert (
        sale["amount"] == sale["arrears_share"] + sale["fixed_charges"] + sale["tax"] + sale["energy_money"]
    )
    assert sale["energy_wh"] == 100_000 and sale["energy_kwh"] == "100"  # 20.00 at 0.20/kWh
    assert sale["account"] == {"id": account.public_id, "number": account.number}
    assert sale["tokens"] and all(t["token"].isdigit() for t in sale["tokens"])
    assert sale["breakdown"] and sale["vendor"] == Vendor.objects.get(user=cashier).public_id
    assert Token.objects.filter(sale__public_id=sale["id"]).count() == len(sale["tokens"])
    assert vend(cashier_api, "get", f"/sales/{sale['id']}").json() == sale


def test_quick_pay_replay_returns_the_same_body_and_a_new_body_is_a_conflict(cashier_api, account):
    first = pay(cashier_api, account, CASH)
    again = pay(cashier_api, account, CASH)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    different = pay(cashier_api, account, {**CASH, "amount": 3_000})
    assert_error(different, 409, "idempotency_key_reused")
    assert Sale.objects.count() == 1 and Token.objects.count() == len(first.json()["tokens"])


def test_quick_pay_errors_are_field_level_and_sell_nothing(cashier_api, account, tenant_a, make_account):
    assert_error(pay(cashier_api, account, {**CASH, "tendered": 1_000}), 422, "invalid", "tendered")
    assert_error(
        pay(cashier_api, account, {"amount": "20.00", "payment_kind": "cash"}), 422, "invalid", "amount"
    )
    assert_error(
        pay(cashier_api, account, {"amount": 2_000, "payment_kind": "gold"}), 422, "invalid", "payment_kind"
    )
    assert_error(pay(cashier_api, account, {**CASH, "tip": 1}), 422, "invalid", "tip")
    free = {"amount": 2_000, "payment_kind": "free_issue", "note": "goodwill"}
    assert_error(pay(cashier_api, account, free, key="k2"), 403, "forbidden")
    Account.objects.filter(pk=account.pk).update(status="inactive")
    assert_error(pay(cashier_api, account, CASH, key="k3"), 422, "invalid", "account")
    disabled = make_account(tenant_a)
    disabled.meter.vending_enabled = False
    disabled.meter.save()
    assert_error(pay(cashier_api, disabled, CASH, key="k4"), 422, "invalid", "meter")
    assert Sale.objects.count() == 0 and Token.objects.count() == 0


def test_customer_support_cannot_sell(support_api, account):
    assert_error(pay(support_api, account, CASH), 403, "forbidden")
    assert Sale.objects.count() == 0


# --- reversals ----------------------------------------------------------------------------------------------


def test_cashier_cannot_reverse_but_a_supervisor_can(cashier_api, supervisor_api, account):
    sale = pay(cashier_api, account, CASH).json()
    assert_error(
        vend(cashier_api, "post", f"/sales/{sale['id']}/reverse", {"reason": "Wrong meter"}), 403, "forbidden"
    )
    assert_error(
        vend(supervisor_api, "post", f"/sales/{sale['id']}/reverse", {"reason": " "}),
        422,
        "invalid",
        "reason",
    )
    response = vend(supervisor_api, "post", f"/sales/{sale['id']}/reverse", {"reason": "Wrong meter"})
    assert response.status_code == 201, response.content
    reversal = response.json()
    assert (reversal["kind"], reversal["amount"], reversal["reverses"]) == ("reversal", -2_000, sale["id"])
    assert reversal["energy_wh"] == -sale["energy_wh"]
    assert {t["status"] for t in vend(supervisor_api, "get", f"/sales/{sale['id']}").json()["tokens"]} == {
        "void"
    }
    again = vend(supervisor_api, "post", f"/sales/{sale['id']}/reverse", {"reason": "Again"})
    assert_error(again, 409, "invalid_state")


# --- tokens -------------------------------------------------------------------------------------------------


def test_management_token_then_decode_shows_what_it_carried(supervisor_api, support_api, account):
    meter = account.meter
    response = vend(
        supervisor_api,
        "post",
        f"/meters/{meter.public_id}/tokens",
        {"token_type": "ADD_TIME", "value": 50, "reason": "Meter replaced"},
    )
    assert response.status_code == 201, response.content
    token = response.json()
    assert token["count"] > 1 and token["token"].isdigit() and token["energy_wh"] == 5_000
    decoded = vend(
        support_api, "post", f"/meters/{meter.serial_number}/decode", {"token": token["token"]}
    ).json()
    assert (
        decoded["token_type"] == "ADD_TIME" and decoded["value"] == 50 and decoded["count"] == token["count"]
    )
    assert decoded["matches"] == token["id"] and decoded["energy_kwh"] == "5"


def test_management_token_validation_and_permissions(cashier_api, support_api, account):
    meter = account.meter
    path = f"/meters/{meter.public_id}/tokens"
    assert_error(
        vend(cashier_api, "post", path, {"token_type": "DISABLE_PAYG", "reason": "x"}), 403, "forbidden"
    )
    assert_error(
        vend(support_api, "post", path, {"token_type": "ADD_TIME", "reason": "x"}), 422, "invalid", "value"
    )
    assert_error(
        vend(support_api, "post", path, {"token_type": "ADD_TIME", "value": 5}), 422, "invalid", "reason"
    )
    assert_error(
        vend(support_api, "post", path, {"token_type": "UNLOCK", "reason": "x"}), 422, "invalid", "token_type"
    )
    response = vend(support_api, "post", path, {"token_type": "COUNTER_SYNC", "reason": "Resync"})
    assert response.status_code == 201 and response.json()["value"] is None
    bad = vend(support_api, "post", f"/meters/{meter.public_id}/decode", {"token": "12ab"})
    assert_error(bad, 422, "invalid", "token")


# --- vendors and batches ------------------------------------------------------------------------------------


def test_vendor_create_list_and_patch_limits(alice_api, make_staff, cashier_api):
    user = make_staff(StaffRole.CASHIER, email="till2@acme.test")
    response = vend(
        alice_api, "post", "/vendors", {"user": user.public_id, "name": "Till 2", "limit_per_sale": 50_000}
    )
    assert response.status_code == 201, response.content
    vendor = response.json()
    assert vendor["user"]["email"] == "till2@acme.test" and vendor["limit_per_sale"] == 50_000
    patched = vend(
        alice_api, "patch", f"/vendors/{vendor['id']}", {"limit_per_day": 200_000, "limit_per_sale": None}
    )
    assert (patched.json()["limit_per_sale"], patched.json()["limit_per_day"]) == (None, 200_000)
    assert vend(alice_api, "get", "/vendors").json()["total"] == 2
    again = vend(alice_api, "post", "/vendors", {"user": user.public_id, "name": "Again"})
    assert_error(again, 422, "invalid", "user")
    assert_error(vend(cashier_api, "get", "/vendors"), 403, "forbidden")
    assert_error(
        vend(cashier_api, "patch", f"/vendors/{vendor['id']}", {"limit_per_sale": 1}), 403, "forbidden"
    )


def test_vendor_limit_per_sale_refuses_a_larger_sale(alice_api, cashier_api, cashier, account):
    vendor = Vendor.objects.get(user=cashier)
    vend(alice_api, "patch", f"/vendors/{vendor.public_id}", {"limit_per_sale": 1_000})
    assert_error(pay(cashier_api, account, CASH), 422, "invalid", "amount")


def test_cashier_lists_and_closes_their_own_batch(
    cashier_api, supervisor_api, account, cashier, make_staff, make_vendor, tenant_a, api_client
):
    pay(cashier_api, account, CASH)
    pay(cashier_api, account, {"amount": 1_000, "payment_kind": "card", "reference": "slip 9"}, key="key-2")
    vendor = Vendor.objects.get(user=cashier)
    batches = vend(cashier_api, "get", f"/vendors/{vendor.public_id}/batches").json()
    assert batches["total"] == 1 and batches["data"][0]["status"] == "open"
    # The open batch shows its takings so far (stored totals are only written when it closes).
    open_batch = batches["data"][0]
    assert open_batch["totals"] == {"cash": 2_000, "card": 1_000}
    assert (open_batch["sales_count"], open_batch["total"]) == (2, 3_000)
    batch_id = open_batch["id"]
    other = api_client(
        make_vendor(make_staff(StaffRole.CASHIER, email="c2@acme.test"), tenant_a).user, tenant_a
    )
    assert_error(vend(other, "get", f"/vendors/{vendor.public_id}/batches"), 403, "forbidden")
    assert_error(
        vend(other, "post", f"/vendors/{vendor.public_id}/batches/{batch_id}/close"), 403, "forbidden"
    )
    response = vend(cashier_api, "post", f"/vendors/{vendor.public_id}/batches/{batch_id}/close")
    assert response.status_code == 200, response.content
    closed = response.json()
    assert closed["status"] == "closed" and closed["totals"] == {"cash": 2_000, "card": 1_000}
    assert (closed["sales_count"], closed["total"]) == (2, 3_000)
    again = vend(supervisor_api, "post", f"/vendors/{vendor.public_id}/batches/{batch_id}/close")
    assert_error(again, 409, "invalid_state")
    assert Batch.objects.get(public_id=batch_id).total == 3_000
