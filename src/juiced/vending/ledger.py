"""`juiced ledger check` for vending: every cached balance against the sum of the rows it caches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import F, Sum

from juiced.vending.batches import batch_totals
from juiced.vending.models import Account, AccountEntry, ArrearsDebt, Batch, Pocket, Sale

_FIELDS = {
    Pocket.WALLET: "wallet_balance",
    Pocket.DEPOSIT: "deposit_balance",
    Pocket.ARREARS: "arrears_balance",
}


def vending_ledger_check(tenant: Any = None) -> list[str]:
    """Mismatches (empty when all agree): account pockets, carry, debt balances and closed batch totals."""
    scope = {"tenant": tenant} if tenant is not None else {}
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for row in (
        AccountEntry.objects.filter(**scope).values("account_id", "pocket").annotate(total=Sum("amount"))
    ):
        sums[(row["account_id"], row["pocket"])] = row["total"] or 0
    carries = {
        row["account_id"]: row["total"] or 0
        for row in Sale.objects.filter(**scope)
        .values("account_id")
        .annotate(total=Sum(F("carry_out_mc") - F("carry_in_mc")))
    }
    problems: list[str] = []
    accounts = Account.objects.filter(**scope).order_by("pk")
    for account in accounts.only("pk", "number", *_FIELDS.values(), "carry_mc", "tenant_id"):
        for pocket, field in _FIELDS.items():
            cached, summed = getattr(account, field), sums[(account.pk, pocket)]
            if cached != summed:
                problems.append(
                    f"Account {account.number}: {field} is {cached} but its entries sum to {summed}."
                )
        if account.carry_mc != carries.get(account.pk, 0):
            problems.append(
                f"Account {account.number}: carry_mc is {account.carry_mc} but its sales carry "
                f"{carries.get(account.pk, 0)}."
            )
    debt_sums = {
        row["debt_id"]: row["total"] or 0
        for row in AccountEntry.objects.filter(debt__isnull=False, **scope)
        .values("debt_id")
        .annotate(total=Sum("amount"))
    }
    for debt in ArrearsDebt.objects.filter(**scope).order_by("pk"):
        summed = debt_sums.get(debt.pk, 0)
        if debt.balance != summed:
            problems.append(
                f"Debt {debt.public_id}: balance is {debt.balance} but its entries sum to {summed}."
            )
    for batch in Batch.objects.filter(status=Batch.Status.CLOSED, **scope).order_by("pk"):
        totals, count, total = batch_totals(batch)
        if (totals, count, total) != (batch.totals, batch.sales_count, batch.total):
            problems.append(
                f"Batch {batch.public_id}: its frozen totals no longer match its sales and payments."
            )
    return problems
