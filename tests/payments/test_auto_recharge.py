"""Auto-recharge (SPEC §8): fires once per drop below the trigger, at once when enabled below it, re-arms
after funds are back; a declined card records the failure and sends Payment Failed."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import TestCase
from django_tasks_db.models import DBTaskResult

from juiced.core.errors import ValidationFailed
from juiced.notifications.models import Notification
from juiced.payments.models import BillingProfile, Payment
from juiced.payments.services import auto_recharge_update, card_add, card_delete
from juiced.payments.tasks import auto_recharge_charge
from juiced.wallets.models import Transaction, TransactionEvent
from juiced.wallets.services import wallet_credit, wallet_debit
from tests.payments.conftest import DECLINED_AT_CHARGE

TASK_PATH = "juiced.payments.tasks.auto_recharge_charge"


def queued_recharges() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith="auto_recharge_charge", status="READY"))


def committed():
    """Run on_commit callbacks (job enqueues, notifications) as a commit would, inside django_db tests."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def run_queued_recharges() -> list[str]:
    """Run each queued auto-recharge job's function with its stored arguments (what the worker would do)."""
    outcomes = []
    for job in queued_recharges():
        with committed():
            outcomes.append(auto_recharge_charge.call(**job.args_kwargs["kwargs"]))
        DBTaskResult.objects.filter(pk=job.pk).update(status="SUCCESSFUL")
    return outcomes


def recharges(customer) -> list[Transaction]:
    return list(Transaction.objects.filter(wallet=customer.wallet, event=TransactionEvent.AUTO_RECHARGE))


def debit(customer, amount: int) -> None:
    customer.wallet.refresh_from_db()
    with committed():
        wallet_debit(
            wallet=customer.wallet, amount=amount, event=TransactionEvent.LEAD_ASSIGNED, description="Lead"
        )


@pytest.fixture
def funded_with_card(visa, acme_customer, alice):
    wallet_credit(wallet=acme_customer.wallet, amount=200_00, description="Opening credit", actor=alice)
    return acme_customer


def enable(customer, actor, *, trigger=100_00, amount=500_00):
    with committed():
        return auto_recharge_update(
            customer=customer, actor=actor, enabled=True, trigger=trigger, amount=amount
        )


@pytest.mark.django_db
def test_enabling_needs_a_card_a_trigger_of_a_dollar_and_the_deposit_minimum(
    stripe_acme, acme_customer, buyer
):
    with pytest.raises(ValidationFailed) as refused:
        enable(acme_customer, buyer, trigger=99, amount=500)
    assert set(refused.value.fields) == {"enabled", "trigger", "amount"}
    assert "at least $1.00" in refused.value.fields["trigger"][0]
    assert "$10.00" in refused.value.fields["amount"][0]
    assert not BillingProfile.objects.filter(auto_recharge_enabled=True).exists()


@pytest.mark.django_db
def test_drop_below_trigger_fires_once_and_credits_auto_recharge_with_its_fee(funded_with_card, buyer):
    customer = funded_with_card
    enable(customer, buyer)
    assert queued_recharges() == []  # $200 available, trigger $100
    debit(customer, 150_00)  # $50 left: below
    debit(customer, 10_00)  # still below: the same drop
    assert len(queued_recharges()) == 1
    assert run_queued_recharges() == ["succeeded"]
    [txn] = recharges(customer)
    assert txn.amount == 500_00
    assert "fee $25.00 (5.00%)" in txn.description
    payment = Payment.objects.get(kind=Payment.Kind.AUTO_RECHARGE)
    assert (payment.status, payment.total) == ("succeeded", 525_00)
    customer.wallet.refresh_from_db()
    assert customer.wallet.available == 540_00
    assert BillingProfile.objects.get(customer=customer).auto_recharge_armed is True  # back above: re-armed
    assert Notification.objects.filter(customer=customer, type="payment_successful").exists()
    # A new drop after re-arming fires again.
    debit(customer, 450_00)
    assert len(queued_recharges()) == 1


@pytest.mark.django_db
def test_enabling_while_already_below_fires_at_once(visa, acme_customer, buyer):
    enable(acme_customer, buyer, trigger=50_00, amount=20_00)
    assert run_queued_recharges() == ["succeeded"]
    assert [t.amount for t in recharges(acme_customer)] == [20_00]
    # $20 is still below the $50 trigger: the latch stays off until funds are back above it.
    debit(acme_customer, 5_00)
    assert queued_recharges() == []


@pytest.mark.django_db
def test_a_declined_card_records_the_failure_and_sends_payment_failed(stripe_acme, acme_customer, buyer):
    bad = card_add(customer=acme_customer, actor=buyer, card=DECLINED_AT_CHARGE)
    assert bad.is_default
    enable(acme_customer, buyer, trigger=10_00, amount=20_00)
    assert run_queued_recharges() == ["declined"]
    payment = Payment.objects.get()
    assert (payment.kind, payment.status) == ("auto_recharge", "failed")
    assert "declined" in payment.failure_message
    assert recharges(acme_customer) == []
    failed = Notification.objects.filter(customer=acme_customer, type="payment_failed")
    assert failed.exists()
    assert "declined" in failed.first().body


@pytest.mark.django_db
def test_the_job_does_nothing_when_funds_came_back_before_it_ran(funded_with_card, alice, buyer):
    customer = funded_with_card
    enable(customer, buyer)
    debit(customer, 150_00)
    with committed():
        wallet_credit(wallet=customer.wallet, amount=100_00, description="Wire received", actor=alice)
    assert run_queued_recharges() == ["not needed"]
    assert recharges(customer) == []
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_without_a_card_the_drop_is_recorded_as_a_failed_payment(visa, acme_customer, buyer):
    enable(acme_customer, buyer, trigger=10_00, amount=20_00)
    card_delete(customer=acme_customer, actor=buyer, card_public_id=visa.public_id)
    assert run_queued_recharges() == ["no card"]
    assert Payment.objects.get().status == "failed"


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_runs_the_recharge(visa, acme_customer, buyer, run_tasks):
    enable(acme_customer, buyer, trigger=10_00, amount=20_00)
    run_tasks()
    assert [t.amount for t in recharges(acme_customer)] == [20_00]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fires_once_under_twenty_concurrent_debits(funded_with_card, buyer):
    customer = funded_with_card  # $200 available
    enable(customer, buyer, trigger=150_00, amount=100_00)
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def spend():
        try:
            barrier.wait()
            debit(customer, 5_00)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    customer.wallet.refresh_from_db()
    assert customer.wallet.available == 100_00  # 20 × $5 spent
    assert len(queued_recharges()) == 1
    assert run_queued_recharges() == ["succeeded"]
    assert [t.amount for t in recharges(customer)] == [100_00]
