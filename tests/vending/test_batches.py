"""The cashier's batch: opened on demand, closed with totals by payment kind, immutable once closed."""

from __future__ import annotations

import pytest

from juiced.core.errors import InvalidState, NotFound, PermissionDenied
from juiced.core.tenancy import staff_access_for_tenant
from juiced.tenants.roles import StaffRole
from juiced.vending.arrears import debt_add, deposit_pay, instalment_pay, plan_create, wallet_topup
from juiced.vending.batches import batch_close, batch_open_for, vendor_for
from juiced.vending.ledger import vending_ledger_check
from juiced.vending.models import Batch
from juiced.vending.sales import quick_pay, sale_reverse


@pytest.fixture
def till(tenant_a, cashier):
    return staff_access_for_tenant(cashier, tenant_a)


@pytest.fixture
def boss(tenant_a, supervisor):
    return staff_access_for_tenant(supervisor, tenant_a)


def test_close_totals_the_takings_by_payment_kind(tenant_a, make_account, till, boss, make_vendor):
    import datetime

    account = make_account(tenant_a)
    quick_pay(access=till, account=account, amount=1_000, payment_kind="cash", tendered=2_000)
    quick_pay(access=till, account=account, amount=2_500, payment_kind="card", reference="slip 9")
    quick_pay(access=till, account=account, amount=700, payment_kind="mobile_money")
    wallet_topup(access=till, account=account, amount=3_000, payment_kind="cash")
    quick_pay(access=till, account=account, amount=1_200, payment_kind="wallet")
    deposit_pay(access=till, account=account, amount=500, payment_kind="cheque")
    debt = debt_add(access=boss, account=account, amount=800, reason="Fee")
    plan = plan_create(
        access=boss,
        debt=debt,
        instalments=2,
        interest_bp=0,
        frequency="weekly",
        start_date=datetime.date(2026, 1, 1),
    )
    instalment_pay(access=till, plan=plan, amount=400, payment_kind="cash")
    # a supervisor with a till reverses the card sale: the refund is booked to the supervisor's batch
    make_vendor(boss.user, tenant_a)
    card_sale = account.sales.get(payment_kind="card")
    sale_reverse(access=boss, sale=card_sale, reason="Card charged twice")

    batch = batch_open_for(vendor=vendor_for(access=till))
    closed = batch_close(access=till, batch=batch)
    assert closed.status == "closed" and closed.closed_by == till.user and closed.closed_at is not None
    assert closed.totals == {
        "card": 2_500,
        "cash": 4_400,
        "cheque": 500,
        "mobile_money": 700,
        "wallet": 1_200,
    }
    assert closed.sales_count == 4
    assert closed.total == 2_500 + 4_400 + 500 + 700  # the wallet is not money through the till
    supervisor_batch = batch_open_for(vendor=vendor_for(access=boss))
    assert batch_close(access=boss, batch=supervisor_batch).totals == {"card": -2_500}
    assert vending_ledger_check(tenant_a) == []


def test_a_closed_batch_is_immutable_and_the_next_sale_opens_a_new_one(tenant_a, make_account, till):
    account = make_account(tenant_a)
    first, _ = quick_pay(access=till, account=account, amount=1_000, payment_kind="cash")
    closed = batch_close(access=till, batch=first.batch)
    with pytest.raises(InvalidState):
        batch_close(access=till, batch=closed)
    second, _ = quick_pay(access=till, account=account, amount=1_000, payment_kind="cash")
    assert second.batch != first.batch and second.batch.number == 2
    closed.refresh_from_db()
    assert closed.totals == {"cash": 1_000} and closed.sales.count() == 1
    assert Batch.objects.filter(status="open").count() == 1


def test_a_sale_never_lands_in_a_closed_batch(tenant_a, make_account, till):
    from juiced.vending.batches import batch_guard_open

    account = make_account(tenant_a)
    sale, _ = quick_pay(access=till, account=account, amount=1_000, payment_kind="cash")
    batch_close(access=till, batch=sale.batch)
    sale.batch.refresh_from_db()
    with pytest.raises(InvalidState):
        batch_guard_open(sale.batch)


def test_only_supervisors_close_another_cashiers_batch(
    tenant_a, tenant_b, bob, make_account, make_staff, make_vendor, till, boss
):
    sale, _ = quick_pay(access=till, account=make_account(tenant_a), amount=1_000, payment_kind="cash")
    other_user = make_staff(StaffRole.CASHIER, email="other@acme.test")
    make_vendor(other_user, tenant_a)
    with pytest.raises(PermissionDenied):
        batch_close(access=staff_access_for_tenant(other_user, tenant_a), batch=sale.batch)
    with pytest.raises(NotFound):
        batch_close(access=staff_access_for_tenant(bob, tenant_b), batch=sale.batch)
    assert batch_close(access=boss, batch=sale.batch).closed_by == boss.user
