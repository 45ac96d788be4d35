"""The tenant's currency is a payment setting that can change only before any money has moved."""

from __future__ import annotations

import pytest

from juiced.payments.services import payment_settings_update
from juiced.tenants.models import Tenant
from juiced.wallets.models import TransactionEvent, Wallet
from juiced.wallets.services import wallet_credit
from tests.api.conftest import alice_api, assert_error, call  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

SETTINGS = "/manage/acme-leads/settings/payments/"


def test_currency_changes_tenant_and_every_wallet_before_any_money_moved(tenant_a, alice, acme_customer):
    payment_settings_update(tenant=tenant_a, actor=alice, data={"currency": "eur"})
    assert Tenant.objects.get(pk=tenant_a.pk).currency == "EUR"
    assert Wallet.objects.get(customer=acme_customer).currency == "EUR"


def test_currency_change_refused_once_a_wallet_holds_transactions(alice_api, tenant_a, alice, acme_customer):  # noqa: F811
    wallet_credit(
        wallet=acme_customer.wallet,
        amount=500,
        event=TransactionEvent.FUNDS_ADDED_BY_TENANT,
        description="first money",
        actor=alice,
    )
    error = assert_error(
        call(alice_api, "patch", "/payment-settings", {"currency": "GBP"}), 422, "invalid", "currency"
    )
    assert "before any money has moved" in error["fields"]["currency"][0]
    assert Tenant.objects.get(pk=tenant_a.pk).currency == "USD"
    assert Wallet.objects.get(customer=acme_customer).currency == "USD"


def test_unsupported_currency_is_a_field_error(alice_api):  # noqa: F811
    error = assert_error(
        call(alice_api, "patch", "/payment-settings", {"currency": "JPY"}), 422, "invalid", "currency"
    )
    assert "USD" in error["fields"]["currency"][0]


def test_api_reports_the_new_currency(alice_api):  # noqa: F811
    response = call(alice_api, "patch", "/payment-settings", {"currency": "cad"})
    assert response.status_code == 200, response.content
    assert response.json()["currency"] == "cad"


def test_settings_page_shows_the_currency_error_next_to_the_field(
    tenant_a, alice, acme_customer, login_client
):
    wallet_credit(
        wallet=acme_customer.wallet,
        amount=500,
        event=TransactionEvent.FUNDS_ADDED_BY_TENANT,
        description="first money",
        actor=alice,
    )
    client = login_client(alice)
    response = client.post(SETTINGS, {"currency": "EUR", "deposit_minimum": "10.00"})
    assert response.status_code == 422
    assert "before any money has moved" in response.content.decode()
    assert Tenant.objects.get(pk=tenant_a.pk).currency == "USD"
