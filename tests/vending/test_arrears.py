"""Debts, repayment plans with interest, instalments at the counter, wallet and deposit pockets."""

from __future__ import annotations

import datetime

import pytest

from juiced.core.errors import Conflict, IdempotencyKeyReused, NotFound, PermissionDenied, ValidationFailed
from juiced.core.tenancy import staff_access_for_tenant
from juiced.vending.arrears import (
    debt_add,
    deposit_pay,
    deposit_refund,
    instalment_pay,
    plan_create,
    plan_schedule,
    wallet_topup,
)
from juiced.vending.ledger import vending_ledger_check
from juiced.vending.models import AccountEntry, AccountEvent, AccountNote, PlanInstalment

START = datetime.date(2026, 1, 31)


@pytest.fixture
def till(tenant_a, cashier):
    return staff_access_for_tenant(cashier, tenant_a)


@pytest.fixture
def boss(tenant_a, supervisor):
    return staff_access_for_tenant(supervisor, tenant_a)


def test_a_debt_adds_arrears_with_a_reason_and_sets_the_recovery_share(tenant_a, make_account, boss, till):
    account = make_account(tenant_a)
    with pytest.raises(PermissionDenied):
        debt_add(access=till, account=account, amount=500, reason="x")
    with pytest.raises(ValidationFailed) as exc:
        debt_add(access=boss, account=account, amount=500, reason="", recovery_bp=20_000)
    assert set(exc.value.fields) == {"reason", "recovery_bp"}
    debt = debt_add(
        access=boss, account=account, amount=500, reason="Unpaid connection fee", recovery_bp=1_500
    )
    account.refresh_from_db()
    assert (debt.balance, account.arrears_balance, account.arrears_recovery_bp) == (500, 500, 1_500)
    entry = AccountEntry.objects.get(account=account)
    assert (entry.kind, entry.amount, entry.debt, entry.balance_after) == ("arrears_added", 500, debt, 500)
    assert AccountEvent.objects.get(account=account, action="arrears_added").changes[
        "arrears_recovery_bp"
    ] == [0, 1_500]


def test_the_schedule_sums_exactly_to_the_total_and_the_last_instalment_absorbs_rounding():
    rows = plan_schedule(total=10_000, instalments=3, frequency="monthly", start_date=START)
    assert [amount for _n, _d, amount in rows] == [3_333, 3_333, 3_334]
    assert [due for _n, due, _a in rows] == [START, datetime.date(2026, 2, 28), datetime.date(2026, 3, 31)]
    weekly = plan_schedule(total=7, instalments=72, frequency="weekly", start_date=START)
    assert sum(a for *_x, a in weekly) == 7 and weekly[-1][1] == START + datetime.timedelta(weeks=71)


def test_a_plan_posts_interest_and_instalments_pay_the_oldest_first(tenant_a, make_account, boss, till):
    account = make_account(tenant_a)
    debt = debt_add(access=boss, account=account, amount=10_000, reason="Back-billing")
    with pytest.raises(ValidationFailed) as exc:
        plan_create(
            access=boss, debt=debt, instalments=73, interest_bp=-1, frequency="daily", start_date=START
        )
    assert set(exc.value.fields) == {"instalments", "interest_bp", "frequency"}
    plan = plan_create(
        access=boss, debt=debt, instalments=4, interest_bp=1_000, frequency="monthly", start_date=START
    )
    assert plan.total == 11_000
    account.refresh_from_db()
    debt.refresh_from_db()
    assert account.arrears_balance == 11_000 and debt.balance == 11_000
    assert AccountEntry.objects.get(kind="arrears_interest").amount == 1_000
    with pytest.raises(Conflict):
        plan_create(
            access=boss, debt=debt, instalments=2, interest_bp=0, frequency="weekly", start_date=START
        )

    entry = instalment_pay(
        access=till, plan=plan, amount=4_000, payment_kind="cash", idempotency_key="inst-1"
    )
    assert entry.batch is not None and entry.amount == -4_000 and entry.kind == "arrears_instalment"
    assert (
        instalment_pay(access=till, plan=plan, amount=4_000, payment_kind="cash", idempotency_key="inst-1")
        == entry
    )
    with pytest.raises(IdempotencyKeyReused):
        instalment_pay(access=till, plan=plan, amount=3_000, payment_kind="cash", idempotency_key="inst-1")
    paid = list(PlanInstalment.objects.filter(plan=plan).order_by("number").values_list("paid", flat=True))
    assert paid == [2_750, 1_250, 0, 0]
    with pytest.raises(ValidationFailed) as exc:
        instalment_pay(access=till, plan=plan, amount=7_001, payment_kind="cash")
    assert "70.00" in exc.value.fields["amount"][0]
    instalment_pay(access=till, plan=plan, amount=7_000, payment_kind="card")
    plan.refresh_from_db()
    account.refresh_from_db()
    assert plan.status == "completed" and account.arrears_balance == 0
    assert vending_ledger_check(tenant_a) == []


def test_wallet_and_deposit_never_go_below_zero(tenant_a, make_account, boss, till):
    account = make_account(tenant_a)
    with pytest.raises(ValidationFailed) as exc:
        wallet_topup(access=till, account=account, amount=100, payment_kind="wallet")
    assert "payment_kind" in exc.value.fields
    wallet_topup(access=till, account=account, amount=2_500, payment_kind="mobile_money")
    deposit_pay(access=till, account=account, amount=5_000, payment_kind="cash", note="Meter deposit")
    with pytest.raises(PermissionDenied):
        deposit_refund(access=till, account=account, amount=100, payment_kind="cash", note="x")
    with pytest.raises(ValidationFailed) as exc:
        deposit_refund(access=boss, account=account, amount=5_001, payment_kind="cash", note="Closing")
    assert exc.value.fields["amount"] == ["The deposit holds only $50.00."]
    with pytest.raises(ValidationFailed) as exc:
        deposit_refund(access=boss, account=account, amount=5_000, payment_kind="cash", note="")
    assert "note" in exc.value.fields
    deposit_refund(access=boss, account=account, amount=5_000, payment_kind="cash", note="Account closed")
    account.refresh_from_db()
    assert (account.wallet_balance, account.deposit_balance) == (2_500, 0)
    assert AccountNote.objects.filter(account=account, action="deposit_refund").count() == 1
    assert vending_ledger_check(tenant_a) == []


def test_another_tenants_staff_get_not_found(tenant_a, tenant_b, bob, make_account, boss):
    account = make_account(tenant_a)
    debt = debt_add(access=boss, account=account, amount=500, reason="Fee")
    plan = plan_create(
        access=boss, debt=debt, instalments=2, interest_bp=0, frequency="weekly", start_date=START
    )
    other = staff_access_for_tenant(bob, tenant_b)
    with pytest.raises(NotFound):
        debt_add(access=other, account=account, amount=1, reason="x")
    with pytest.raises(NotFound):
        plan_create(
            access=other, debt=debt, instalments=1, interest_bp=0, frequency="weekly", start_date=START
        )
    with pytest.raises(NotFound):
        instalment_pay(access=other, plan=plan, amount=100, payment_kind="cash")
    with pytest.raises(NotFound):
        wallet_topup(access=other, account=account, amount=100, payment_kind="cash")
