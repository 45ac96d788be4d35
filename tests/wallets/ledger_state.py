"""What a wallet test compares before and after a refused operation: nothing may have changed."""

from __future__ import annotations

from django.db.models import Sum

from juiced.core.models import AuditEntry
from juiced.wallets.models import Hold, IdempotencyRecord, Transaction, Wallet


def wallet_state(wallet: Wallet) -> dict:
    fresh = Wallet.objects.get(pk=wallet.pk)
    return {
        "balance": fresh.balance,
        "held": fresh.held,
        "transactions": Transaction.objects.filter(wallet=wallet).count(),
        "holds": list(Hold.objects.filter(wallet=wallet).order_by("pk").values_list("status", flat=True)),
        "idempotency_records": IdempotencyRecord.objects.count(),
        "audit_entries": AuditEntry.objects.count(),
    }


def ledger_sums(wallet: Wallet) -> tuple[int, int]:
    """(Σ amount, Σ held_delta) over the wallet's transactions, computed by the database."""
    sums = Transaction.objects.filter(wallet=wallet).aggregate(b=Sum("amount"), h=Sum("held_delta"))
    return sums["b"] or 0, sums["h"] or 0


def active_holds(wallet: Wallet) -> int:
    return Hold.objects.filter(wallet=wallet, status=Hold.Status.ACTIVE).aggregate(s=Sum("amount"))["s"] or 0
