"""Seed 000, payment methods and auto-recharge: the sentences no other test proved precisely. Cards go
through the real `stripe` library to localstripe (tests/payments/conftest.py)."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django_tasks_db.models import DBTaskResult

from juiced.payments.models import BillingProfile, Payment
from juiced.payments.services import CardInput, auto_recharge_update, card_add, card_set_default
from juiced.payments.tasks import auto_recharge_charge
from juiced.wallets.models import TransactionEvent
from juiced.wallets.services import wallet_credit, wallet_debit

pytestmark = pytest.mark.django_db

MASTERCARD = CardInput(number="5555555555554444", exp_month=11, exp_year=2033, cvc="123")


def tab(customer, suffix: str = "") -> str:
    return f"/manage/{customer.tenant.slug}/customers/{customer.public_id}/payment-methods/{suffix}"


def run_queued_recharges() -> list[str]:
    """Run each queued auto-recharge job as the worker would (after commit)."""
    outcomes = []
    for job in DBTaskResult.objects.filter(task_path__endswith="auto_recharge_charge", status="READY"):
        with TestCase.captureOnCommitCallbacks(execute=True):
            outcomes.append(auto_recharge_charge.call(**job.args_kwargs["kwargs"]))
        DBTaskResult.objects.filter(pk=job.pk).update(status="SUCCESSFUL")
    return outcomes


def test_staff_set_up_auto_recharge_on_the_customers_page(visa, acme_customer, alice, login_client):
    client = login_client(alice)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            tab(acme_customer, "auto-recharge/"), {"enabled": "on", "trigger": "25", "amount": "50"}
        )
    assert response.status_code == 302
    profile = BillingProfile.objects.get(customer=acme_customer)
    assert (profile.auto_recharge_enabled, profile.auto_recharge_trigger, profile.auto_recharge_amount) == (
        True, 25_00, 50_00,
    )  # fmt: skip
    # The wallet ($0) was already below the trigger: the recharge runs at once.
    assert run_queued_recharges() == ["succeeded"]
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.available == 50_00


def test_auto_recharge_charges_the_default_card(visa, acme_customer, alice, buyer):
    second = card_add(customer=acme_customer, actor=buyer, card=MASTERCARD)
    card_set_default(customer=acme_customer, actor=alice, card_public_id=second.public_id)
    wallet_credit(wallet=acme_customer.wallet, amount=100_00, description="Opening credit", actor=alice)
    with TestCase.captureOnCommitCallbacks(execute=True):
        auto_recharge_update(customer=acme_customer, actor=alice, enabled=True, trigger=50_00, amount=30_00)
    assert run_queued_recharges() == []  # $100 is above the $50 trigger
    acme_customer.wallet.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        wallet_debit(
            wallet=acme_customer.wallet,
            amount=60_00,
            event=TransactionEvent.LEAD_ASSIGNED,
            description="Lead",
        )
    assert run_queued_recharges() == ["succeeded"]
    payment = Payment.objects.get(kind=Payment.Kind.AUTO_RECHARGE)
    assert payment.payment_method_id == second.pk and payment.payment_method_id != visa.pk
    assert "4444" in payment.card_label
