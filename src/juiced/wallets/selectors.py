"""Reads over the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import BigIntegerField, Count, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from juiced.wallets.models import TENANT_ADJUSTMENT_EVENTS, Hold, Transaction, TransactionEvent, Wallet


def transaction_list(
    *,
    wallet: Wallet,
    events: list[str] | None = None,
    search: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Transaction]:
    """A wallet's transactions, newest first, filtered by event, id/description search and date range."""
    qs = Transaction.objects.filter(wallet=wallet).select_related("actor")
    if events:
        qs = qs.filter(event__in=events)
    if search:
        search = search.strip()
        qs = qs.filter(
            Q(public_id__icontains=search)
            | Q(related_id__icontains=search)
            | Q(description__icontains=search)
        )
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("-created_at", "-id")


def adjustment_timeline(*, wallet: Wallet) -> QuerySet[Transaction]:
    """Tenant add/remove-funds adjustments with who and why, newest first."""
    return transaction_list(wallet=wallet, events=list(TENANT_ADJUSTMENT_EVENTS))


def event_choices() -> list[tuple[str, str]]:
    return list(TransactionEvent.choices)


@dataclass(frozen=True)
class LedgerMismatch:
    wallet_id: int
    customer_public_id: str
    tenant_slug: str
    cached_balance: int
    ledger_balance: int
    cached_held: int
    ledger_held: int
    active_holds: int

    def describe(self) -> str:
        return (
            f"{self.tenant_slug}/{self.customer_public_id} (wallet {self.wallet_id}): "
            f"cached balance {self.cached_balance} vs ledger {self.ledger_balance}; "
            f"cached held {self.cached_held} vs ledger {self.ledger_held} vs active holds {self.active_holds}"
        )


def ledger_check(*, wallets: QuerySet[Wallet] | None = None) -> tuple[int, list[LedgerMismatch]]:
    """Compare every wallet's cached balance and held sums with its transactions and active holds.

    Sums are computed by the database (one query), never in a Python loop over rows.
    """
    zero = Value(0, output_field=BigIntegerField())

    def total(field: str) -> Any:
        return Coalesce(
            Subquery(
                Transaction.objects.filter(wallet=OuterRef("pk"))
                .order_by()
                .values("wallet")
                .annotate(s=Sum(field))
                .values("s")[:1],
                output_field=BigIntegerField(),
            ),
            zero,
        )

    active = Coalesce(
        Subquery(
            Hold.objects.filter(wallet=OuterRef("pk"), status=Hold.Status.ACTIVE)
            .order_by()
            .values("wallet")
            .annotate(s=Sum("amount"))
            .values("s")[:1],
            output_field=BigIntegerField(),
        ),
        zero,
    )
    qs = (wallets if wallets is not None else Wallet.objects.all()).annotate(
        ledger_balance=total("amount"), ledger_held=total("held_delta"), active_holds=active
    )
    checked = 0
    mismatches: list[LedgerMismatch] = []
    for row in qs.select_related("customer", "tenant").order_by("pk").iterator(chunk_size=2000):
        checked += 1
        if not (row.balance == row.ledger_balance and row.held == row.ledger_held == row.active_holds):
            mismatches.append(
                LedgerMismatch(
                    wallet_id=row.pk,
                    customer_public_id=row.customer.public_id,
                    tenant_slug=row.tenant.slug,
                    cached_balance=row.balance,
                    ledger_balance=row.ledger_balance,
                    cached_held=row.held,
                    ledger_held=row.ledger_held,
                    active_holds=row.active_holds,
                )
            )
    return checked, mismatches


def wallet_event_totals(*, wallet: Wallet) -> dict[str, int]:
    """Sum of amounts per event for one wallet (revenue, returns…), in one query."""
    rows = (
        Transaction.objects.filter(wallet=wallet)
        .order_by()
        .values("event")
        .annotate(total=Sum("amount"), n=Count("id"))
    )
    return {row["event"]: row["total"] or 0 for row in rows}
