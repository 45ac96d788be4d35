"""Reversals: new rows with every amount negated, tokens void, arrears and wallet back, the customer told."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from juiced.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from juiced.core.tenancy import staff_access_for_tenant
from juiced.vending.arrears import debt_add, wallet_topup
from juiced.vending.ledger import vending_ledger_check
from juiced.vending.models import AccountEntry, AccountNote, ArrearsDebt, Sale, Token, VendingMessage
from juiced.vending.sales import quick_pay, sale_reverse


@pytest.fixture
def till(tenant_a, cashier):
    return staff_access_for_tenant(cashier, tenant_a)


@pytest.fixture
def boss(tenant_a, supervisor):
    return staff_access_for_tenant(supervisor, tenant_a)


def sums(account):
    return Sale.objects.filter(account=account).aggregate(
        amount=Sum("amount"), energy=Sum("energy_wh"), arrears=Sum("arrears_share"), tax=Sum("tax")
    )


def state(account):
    account.refresh_from_db()
    return (account.wallet_balance, account.arrears_balance, account.carry_mc)


def test_reversal_negates_the_sale_voids_its_tokens_and_restores_balances(tenant_a, make_account, till, boss):
    account = make_account(tenant_a)
    debt = debt_add(access=boss, account=account, amount=400, reason="Old bill", recovery_bp=2_000)
    wallet_topup(access=till, account=account, amount=5_000, payment_kind="cash")
    first, _ = quick_pay(access=till, account=account, amount=1_001, payment_kind="cash")
    before_sums, before_state = sums(account), state(account)
    sale, _ = quick_pay(access=till, account=account, amount=3_333, payment_kind="wallet")
    assert sale.arrears_share == 400 - 200

    reversal = sale_reverse(access=boss, sale=sale, reason="Wrong account")
    assert reversal.kind == "reversal" and reversal.reverses == sale
    for field in (
        "amount",
        "arrears_share",
        "fixed_charges",
        "tax",
        "energy_money",
        "energy_wh",
        "carry_in_mc",
    ):
        assert getattr(reversal, field) == -getattr(sale, field)
    assert set(Token.objects.filter(sale=sale).values_list("status", flat=True)) == {"void"}
    assert sums(account) == before_sums and state(account) == before_state
    debt.refresh_from_db()
    assert debt.balance == 200
    assert AccountNote.objects.get(account=account, action="sale_reverse").body == "Wrong account"
    assert VendingMessage.objects.filter(sale=reversal, kind="reversal").exists()
    assert vending_ledger_check(tenant_a) == []


def test_reversing_twice_is_refused(tenant_a, make_account, till, boss):
    sale, _ = quick_pay(access=till, account=make_account(tenant_a), amount=1_000, payment_kind="cash")
    sale_reverse(access=boss, sale=sale, reason="Duplicate")
    with pytest.raises(InvalidState):
        sale_reverse(access=boss, sale=sale, reason="Again")
    assert Sale.objects.filter(kind="reversal").count() == 1


def test_a_replayed_reversal_key_returns_the_first_reversal(tenant_a, make_account, till, boss):
    sale, _ = quick_pay(access=till, account=make_account(tenant_a), amount=1_000, payment_kind="cash")
    first = sale_reverse(access=boss, sale=sale, reason="Duplicate", idempotency_key="rev-1")
    assert sale_reverse(access=boss, sale=sale, reason="Duplicate", idempotency_key="rev-1").pk == first.pk


def test_reversal_needs_the_permission_a_reason_and_the_tenant(
    tenant_a, tenant_b, bob, make_account, till, boss
):
    sale, _ = quick_pay(access=till, account=make_account(tenant_a), amount=1_000, payment_kind="cash")
    with pytest.raises(PermissionDenied):
        sale_reverse(access=till, sale=sale, reason="mine")
    with pytest.raises(ValidationFailed) as exc:
        sale_reverse(access=boss, sale=sale, reason="  ")
    assert "reason" in exc.value.fields
    with pytest.raises(NotFound):
        sale_reverse(access=staff_access_for_tenant(bob, tenant_b), sale=sale, reason="x")
    assert Sale.objects.filter(kind="reversal").count() == 0


def test_reversing_an_older_sale_whose_carry_was_spent_writes_off_under_one_unit(
    tenant_a, make_account, till, boss
):
    account = make_account(tenant_a)  # flat 20 ¢/kWh: 100 Wh is worth 2 000 millicents
    older, _ = quick_pay(access=till, account=account, amount=1_001, payment_kind="cash")  # carries 1 000 mc
    quick_pay(access=till, account=account, amount=1_001, payment_kind="cash")  # spends it: carry 0
    reversal = sale_reverse(access=boss, sale=older, reason="Wrong meter")
    account.refresh_from_db()
    assert account.carry_mc == 0
    assert reversal.breakdown["carry_written_off_mc"] == 1_000 < 2_000
    assert vending_ledger_check(tenant_a) == []
    assert ArrearsDebt.objects.count() == 0


def test_entries_of_a_sale_and_its_reversal_name_who_did_them(tenant_a, make_account, till, boss, cashier):
    """The wallet and arrears entries written by a sale and by its reversal carry the person's name in the
    "By" column, not "System"."""
    account = make_account(tenant_a)
    debt_add(access=boss, account=account, amount=400, reason="Old bill", recovery_bp=2_000)
    wallet_topup(access=till, account=account, amount=5_000, payment_kind="cash")
    sale, _ = quick_pay(access=till, account=account, amount=1_000, payment_kind="wallet")
    reversal = sale_reverse(access=boss, sale=sale, reason="Wrong account")
    by_sale = set(AccountEntry.objects.filter(sale=sale).values_list("kind", "actor_label"))
    assert (
        by_sale
        == {
            ("arrears_recovered", sale.actor_label),
            ("wallet_sale", sale.actor_label),
        }
        and cashier.email in sale.actor_label
    )
    by_reversal = set(AccountEntry.objects.filter(sale=reversal).values_list("actor_label", flat=True))
    assert by_reversal == {reversal.actor_label} and "System" not in by_reversal
