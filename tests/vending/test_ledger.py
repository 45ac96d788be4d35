"""`juiced ledger check` covers vending: cached balances, debts, carry and closed batches vs their rows."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from juiced.config.cli import main
from juiced.core.tenancy import staff_access_for_tenant
from juiced.vending.arrears import debt_add, wallet_topup
from juiced.vending.ledger import vending_ledger_check
from juiced.vending.models import Account, ArrearsDebt
from juiced.vending.sales import quick_pay


def test_the_check_finds_a_cached_balance_that_disagrees(tenant_a, make_account, cashier, supervisor):
    account = make_account(tenant_a)
    till = staff_access_for_tenant(cashier, tenant_a)
    debt = debt_add(
        access=staff_access_for_tenant(supervisor, tenant_a),
        account=account,
        amount=900,
        reason="Fee",
        recovery_bp=1_000,
    )
    wallet_topup(access=till, account=account, amount=2_000, payment_kind="cash")
    quick_pay(access=till, account=account, amount=1_001, payment_kind="wallet")
    assert vending_ledger_check() == []
    Account.objects.filter(pk=account.pk).update(wallet_balance=5, carry_mc=1)
    ArrearsDebt.objects.filter(pk=debt.pk).update(balance=1)
    problems = vending_ledger_check(tenant_a)
    assert len(problems) == 3
    assert problems[0] == f"Account {account.number}: wallet_balance is 5 but its entries sum to 999."
    assert "carry_mc is 1" in problems[1] and f"Debt {debt.public_id}" in problems[2]


def test_the_cli_ledger_check_reports_vending_mismatches(tenant_a, make_account):
    account = make_account(tenant_a)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["ledger", "check"]) == 0
    Account.objects.filter(pk=account.pk).update(deposit_balance=7)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["ledger", "check"]) != 0
    assert f"Account {account.number}: deposit_balance is 7" in out.getvalue()
