"""Payments services against localstripe: settings, cards, the fee rule, deposits credited once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from juiced.core.crypto import decrypt_secret
from juiced.core.errors import IdempotencyKeyReused, ValidationFailed
from juiced.payments.fees import fee_for
from juiced.payments.models import BillingProfile, Payment, PaymentMethod, PaymentSettings
from juiced.payments.services import (
    CardInput,
    PaymentDeclined,
    card_add,
    card_delete,
    card_set_default,
    deposit_create,
    deposit_quote,
    payment_settings_update,
    payment_succeed,
    validate_card,
)
from juiced.payments.stripe_client import PaymentsNotConfigured, stripe_client
from juiced.wallets.models import Transaction, TransactionEvent
from tests.payments.conftest import DECLINED_AT_ATTACH, DECLINED_AT_CHARGE, VISA

pytestmark = pytest.mark.django_db


def credits(customer) -> list[Transaction]:
    return list(Transaction.objects.filter(wallet=customer.wallet, amount__gt=0))


# --- the fee rule (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "percent", "fee"),
    [(10000, "3.00", 300), (1000, "2.90", 29), (1050, "2.50", 26), (999, "0.05", 0), (10000, "0", 0)],
)
def test_fee_is_a_percentage_rounded_half_up_to_the_cent(amount, percent, fee):
    assert fee_for(amount=amount, percent=Decimal(percent)) == fee


def test_a_waived_fee_is_zero():
    assert fee_for(amount=10000, percent=Decimal("3.00"), waived=True) == 0


# --- settings -----------------------------------------------------------------------------------------


def test_secrets_are_stored_encrypted_and_kept_when_not_sent(tenant_a, alice):
    payment_settings_update(
        tenant=tenant_a, actor=alice, data={"secret_key": "sk_test_secret123", "webhook_secret": "whsec_abc"}
    )
    stored = PaymentSettings.objects.get(tenant=tenant_a)
    assert "sk_test_secret123" not in stored.secret_key_encrypted
    assert decrypt_secret(stored.secret_key_encrypted) == "sk_test_secret123"
    payment_settings_update(tenant=tenant_a, actor=alice, data={"manual_fee_percent": "1.5"})
    stored.refresh_from_db()
    assert decrypt_secret(stored.secret_key_encrypted) == "sk_test_secret123"
    assert stored.manual_fee_percent == Decimal("1.50")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("manual_fee_percent", "101"),
        ("manual_fee_percent", "-1"),
        ("auto_recharge_fee_percent", "2.555"),
        ("auto_recharge_fee_percent", 2.5),
        ("deposit_minimum", 99),
        ("deposit_minimum", "ten"),
        ("secret_key", "pk_test_wrong"),
        ("publishable_key", "sk_test_wrong"),
        ("webhook_secret", "secret"),
        ("api_base", "not a url"),
    ],
)
def test_invalid_settings_are_refused_per_field_and_nothing_changes(tenant_a, alice, field, value):
    with pytest.raises(ValidationFailed) as refused:
        payment_settings_update(tenant=tenant_a, actor=alice, data={field: value})
    assert field in refused.value.fields
    assert not PaymentSettings.objects.filter(tenant=tenant_a).exists()


def test_without_a_secret_key_payments_are_not_configured(tenant_a):
    with pytest.raises(PaymentsNotConfigured):
        stripe_client(tenant_a)


def test_environment_secret_and_address_win(tenant_a, monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_from_env")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")
    client = stripe_client(tenant_a)
    assert client is not None


# --- cards --------------------------------------------------------------------------------------------


def test_first_card_creates_the_stripe_customer_and_becomes_default(visa, acme_customer):
    profile = BillingProfile.objects.get(customer=acme_customer)
    assert profile.stripe_customer_id.startswith("cus_")
    assert (visa.brand, visa.last4, visa.exp_month, visa.exp_year, visa.is_default) == (
        "visa",
        "4242",
        12,
        2034,
        True,
    )
    second = card_add(customer=acme_customer, actor=None, card=VISA)
    assert second.is_default is False
    assert BillingProfile.objects.get(customer=acme_customer).stripe_customer_id == profile.stripe_customer_id


def test_a_card_declined_at_attach_is_a_field_error_and_nothing_is_saved(stripe_acme, acme_customer, buyer):
    with pytest.raises(ValidationFailed) as refused:
        card_add(customer=acme_customer, actor=buyer, card=DECLINED_AT_ATTACH)
    assert "declined" in refused.value.fields["number"][0]
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize(
    ("card", "field"),
    [
        (CardInput(number="4242424242424241", exp_month=12, exp_year=34, cvc="123"), "number"),
        (CardInput(number="4242424242424242", exp_month=13, exp_year=34, cvc="123"), "expiry"),
        (CardInput(number="4242424242424242", exp_month=1, exp_year=20, cvc="123"), "expiry"),
        (CardInput(number="4242424242424242", exp_month=1, exp_year=34, cvc="12"), "cvc"),
    ],
)
def test_card_details_are_checked_before_stripe(card, field):
    with pytest.raises(ValidationFailed) as refused:
        validate_card(card, today=date(2026, 11, 23))
    assert list(refused.value.fields) == [field]


def test_raw_card_numbers_are_refused_with_real_stripe(tenant_a, alice, acme_customer):
    payment_settings_update(tenant=tenant_a, actor=alice, data={"secret_key": "sk_test_x", "api_base": ""})
    with pytest.raises(ValidationFailed) as refused:
        card_add(customer=acme_customer, actor=alice, card=VISA)
    assert "Stripe" in refused.value.fields["number"][0]


def test_set_default_and_delete_move_the_default(visa, acme_customer, buyer):
    second = card_add(customer=acme_customer, actor=buyer, card=VISA)
    card_set_default(customer=acme_customer, actor=buyer, card_public_id=second.public_id)
    assert list(PaymentMethod.objects.filter(is_default=True)) == [second]
    card_delete(customer=acme_customer, actor=buyer, card_public_id=second.public_id)
    visa.refresh_from_db()
    assert visa.is_default is True
    assert PaymentMethod.objects.count() == 1


def test_another_customers_card_is_not_found(visa, bolt_customer):
    with pytest.raises(ValidationFailed):
        card_delete(customer=bolt_customer, actor=None, card_public_id=visa.public_id)
    assert PaymentMethod.objects.filter(pk=visa.pk).exists()


# --- deposits -----------------------------------------------------------------------------------------


def test_deposit_charges_amount_plus_fee_and_credits_the_amount_once(visa, acme_customer, buyer):
    payment, replayed = deposit_create(customer=acme_customer, amount=100_00, actor=buyer)
    assert not replayed
    assert (payment.status, payment.amount, payment.fee, payment.total) == ("succeeded", 10000, 300, 10300)
    assert payment.stripe_payment_intent_id.startswith("pi_")
    intent = stripe_client(acme_customer.tenant).v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent.amount == 10300
    [txn] = credits(acme_customer)
    assert (txn.event, txn.amount, txn.related_type, txn.related_id) == (
        TransactionEvent.FUNDS_ADDED,
        10000,
        "payment",
        payment.public_id,
    )
    assert "fee $3.00 (3.00%)" in txn.description and "$103.00 charged" in txn.description
    # The confirmation arriving again (the webhook after the API response) credits nothing more.
    payment_succeed(payment_id=payment.pk, intent_id=payment.stripe_payment_intent_id)
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 10000
    assert len(credits(acme_customer)) == 1


def test_deposit_below_the_minimum_is_refused_on_amount(visa, acme_customer, buyer):
    with pytest.raises(ValidationFailed) as refused:
        deposit_create(customer=acme_customer, amount=999, actor=buyer)
    assert "minimum deposit is $10.00" in refused.value.fields["amount"][0]
    assert not Payment.objects.exists()


def test_deposit_without_a_card_is_refused_on_payment_method(stripe_acme, acme_customer, buyer):
    with pytest.raises(ValidationFailed) as refused:
        deposit_create(customer=acme_customer, amount=2000, actor=buyer)
    assert "payment_method" in refused.value.fields


def test_declined_charge_records_the_failure_and_credits_nothing(stripe_acme, acme_customer, buyer):
    bad = card_add(customer=acme_customer, actor=buyer, card=DECLINED_AT_CHARGE)
    with pytest.raises(PaymentDeclined) as declined:
        deposit_create(customer=acme_customer, amount=2000, actor=buyer, card_public_id=bad.public_id)
    assert "declined" in declined.value.fields["payment_method"][0]
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.FAILED
    assert "declined" in payment.failure_message
    assert credits(acme_customer) == []


def test_idempotency_key_replays_the_first_payment_and_refuses_other_parameters(visa, acme_customer, buyer):
    first, _ = deposit_create(customer=acme_customer, amount=2000, actor=buyer, idempotency_key="dep-1")
    again, replayed = deposit_create(
        customer=acme_customer, amount=2000, actor=buyer, idempotency_key="dep-1"
    )
    assert replayed and again.pk == first.pk
    with pytest.raises(IdempotencyKeyReused):
        deposit_create(customer=acme_customer, amount=3000, actor=buyer, idempotency_key="dep-1")
    assert Payment.objects.count() == 1
    assert len(credits(acme_customer)) == 1


def test_first_payment_fee_waiver(stripe_acme, tenant_a, alice, visa, acme_customer, buyer):
    payment_settings_update(tenant=tenant_a, actor=alice, data={"waive_first_deposit_fee": True})
    quote = deposit_quote(customer=acme_customer, amount=10000)
    assert (quote.fee, quote.waived) == (0, True)
    first, _ = deposit_create(customer=acme_customer, amount=10000, actor=buyer)
    assert first.fee == 0
    second, _ = deposit_create(customer=acme_customer, amount=10000, actor=buyer)
    assert second.fee == 300
