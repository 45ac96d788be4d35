"""Payments staff API: settings, cards, deposits with Idempotency-Key, auto-recharge; isolation and roles."""

from __future__ import annotations

import pytest

from juiced.payments.models import Payment, PaymentMethod
from juiced.payments.services import card_add
from juiced.tenants.roles import StaffRole
from juiced.wallets.models import Transaction
from tests.api.conftest import alice_api, assert_error, bob_api, call, role_api  # noqa: F401 (fixtures)
from tests.payments.conftest import DECLINED_AT_CHARGE, VISA

pytestmark = pytest.mark.django_db


def test_settings_get_and_patch_mask_secrets(alice_api, localstripe_url):  # noqa: F811
    response = call(
        alice_api,
        "patch",
        "/payment-settings",
        {"secret_key": "sk_test_abcdefgh12345678", "api_base": localstripe_url, "manual_fee_percent": "2.50"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["secret_key"].endswith("5678") and "abcdefgh1234" not in body["secret_key"]
    assert body["manual_fee_percent"] == "2.50" and body["deposit_minimum"] == 1000
    assert call(alice_api, "get", "/payment-settings").json()["api_base"] == localstripe_url


def test_settings_errors_name_the_field(alice_api):  # noqa: F811
    assert_error(
        call(alice_api, "patch", "/payment-settings", {"manual_fee_percent": "abc", "deposit_minimum": 50}),
        422,
        "invalid",
        "manual_fee_percent",
        "deposit_minimum",
    )
    assert_error(
        call(alice_api, "patch", "/payment-settings", {"auto_recharge_fee_percent": 2.5}), 422, "invalid"
    )


@pytest.mark.parametrize("role", [StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES])
def test_only_admins_read_or_change_settings(role, role_api):  # noqa: F811
    client = role_api(role)
    assert_error(call(client, "get", "/payment-settings"), 403, "forbidden")
    assert_error(call(client, "patch", "/payment-settings", {"manual_fee_percent": "1"}), 403, "forbidden")


def test_deposit_with_idempotency_key(alice_api, visa, acme_customer):  # noqa: F811
    path = f"/customers/{acme_customer.public_id}/deposits"
    first = call(alice_api, "post", path, {"amount": 2500}, **{"Idempotency-Key": "dep-a"})
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["status"], body["amount"], body["fee"], body["amount_charged"]) == (
        "succeeded",
        2500,
        75,
        2575,
    )
    assert body["transaction"].startswith("txn_") and body["payment_method"] == visa.public_id
    again = call(alice_api, "post", path, {"amount": 2500}, **{"Idempotency-Key": "dep-a"})
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"]
    assert_error(
        call(alice_api, "post", path, {"amount": 9999}, **{"Idempotency-Key": "dep-a"}),
        409,
        "idempotency_key_reused",
    )
    assert Transaction.objects.filter(amount__gt=0).count() == 1
    listed = call(alice_api, "get", path).json()
    assert [p["id"] for p in listed] == [body["id"]]


def test_deposit_errors(alice_api, stripe_acme, acme_customer, buyer):  # noqa: F811
    path = f"/customers/{acme_customer.public_id}/deposits"
    assert_error(call(alice_api, "post", path, {"amount": 2500}), 422, "invalid", "payment_method")
    card = card_add(customer=acme_customer, actor=buyer, card=DECLINED_AT_CHARGE)
    assert_error(call(alice_api, "post", path, {"amount": 999}), 422, "invalid", "amount")
    error = assert_error(
        call(alice_api, "post", path, {"amount": 2500, "payment_method": card.public_id}),
        402,
        "card_declined",
    )
    assert "declined" in error["fields"]["payment_method"][0]
    assert Payment.objects.get().status == "failed"
    assert not Transaction.objects.filter(amount__gt=0).exists()


def test_cards_and_auto_recharge(alice_api, visa, acme_customer, buyer):  # noqa: F811
    base = f"/customers/{acme_customer.public_id}"
    cards = call(alice_api, "get", base + "/payment-methods").json()
    assert cards["stripe_customer_id"].startswith("cus_")
    assert cards["stripe_dashboard_url"].startswith("https://dashboard.stripe.com/test/customers/cus_")
    assert [(c["last4"], c["is_default"]) for c in cards["data"]] == [("4242", True)]
    refused = call(alice_api, "put", base + "/auto-recharge", {"enabled": True, "trigger": 50, "amount": 500})
    assert_error(refused, 422, "invalid", "trigger", "amount")
    saved = call(alice_api, "put", base + "/auto-recharge", {"enabled": True, "trigger": 500, "amount": 2000})
    assert saved.status_code == 200 and saved.json()["enabled"] is True
    second = card_add(customer=acme_customer, actor=buyer, card=VISA)
    made = call(alice_api, "post", base + f"/payment-methods/{second.public_id}/default")
    assert made.status_code == 200 and made.json()["is_default"] is True
    assert call(alice_api, "delete", base + f"/payment-methods/{visa.public_id}").status_code == 204
    assert list(PaymentMethod.objects.values_list("public_id", flat=True)) == [second.public_id]


def test_another_tenant_gets_404_everywhere(bob_api, visa, acme_customer):  # noqa: F811
    base = f"/customers/{acme_customer.public_id}"
    for method, path, body in [
        ("get", "/payment-methods", None),
        ("post", f"/payment-methods/{visa.public_id}/default", None),
        ("delete", f"/payment-methods/{visa.public_id}", None),
        ("post", "/deposits", {"amount": 2500}),
        ("get", "/deposits", None),
        ("get", "/auto-recharge", None),
        ("put", "/auto-recharge", {"enabled": True, "trigger": 500, "amount": 2000}),
    ]:
        assert_error(call(bob_api, method, base + path, body), 404, "not_found")
    assert PaymentMethod.objects.count() == 1 and Payment.objects.count() == 0


def test_sales_cannot_deposit_or_manage_cards(role_api, visa, acme_customer):  # noqa: F811
    client = role_api(StaffRole.SALES)
    base = f"/customers/{acme_customer.public_id}"
    assert_error(call(client, "post", base + "/deposits", {"amount": 2500}), 403, "forbidden")
    assert_error(call(client, "get", base + "/payment-methods"), 403, "forbidden")
    assert Payment.objects.count() == 0
