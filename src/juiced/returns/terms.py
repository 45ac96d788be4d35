"""A customer's return-tier terms for the auction: the penalty on the effective bid and the discount on
the price (SPEC §5, §6). It runs on the auction's hot path, so it is ONE indexed query for every candidate:
the customer's assigned tier joined with the tier, the customer (not excluded) and the tenant's return
settings (tiers enabled). A customer without a tier, excluded, or at a tenant with tiers off gets no
terms (missing from the result).

A tier whose penalty matches the return rate uses the customer's CURRENT rate, not the one the last
recalculation stored: the same query sums the customer's LEAD_ASSIGNED and LEAD_RETURNED transactions
(within the tenant's trailing `rate_window_days`, or all time) in correlated subqueries, evaluated only
for such tiers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    DateTimeField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from juiced.leads.allocation import TierTerms
from juiced.returns.models import CustomerTier, ReturnTier
from juiced.returns.recalc import discount_for, penalty_for, return_rate

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class WindowStart(Func):
    """`now` minus N days (NULL when N is NULL), in SQL on PostgreSQL and SQLite alike."""

    output_field = DateTimeField()

    def __init__(self, now: datetime, days: Any) -> None:
        super().__init__(Value(now, output_field=DateTimeField()), days)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        now_sql, now_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        return f"({now_sql} - make_interval(days => {days_sql}))", [*now_params, *days_params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        now_sql, now_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        # Django stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text, which compares in order.
        sql = f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {now_sql}, '-' || {days_sql} || ' days')"
        return sql, [*now_params, *days_params]


def _ledger_sum(event: str) -> Subquery:
    from juiced.wallets.models import Transaction

    return Subquery(
        Transaction.objects.filter(
            wallet__customer_id=OuterRef("customer_id"),
            event=event,
            created_at__gte=OuterRef("since"),
        )
        .order_by()
        .values("wallet__customer_id")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=BigIntegerField(),
    )


def customer_tier_terms(customer_ids: Iterable[int]) -> dict[int, TierTerms]:
    """customer id → its tier's name, penalty and discount (customers with neither are left out)."""
    from juiced.wallets.models import TransactionEvent

    ids = list(customer_ids)
    if not ids:
        return {}
    matches = Q(tier__penalty_matches_return_rate=True, tier__penalty_enabled=True)
    rows = (
        CustomerTier.objects.filter(
            customer_id__in=ids,
            tier__isnull=False,
            customer__return_tiers_disabled=False,
            tenant__return_settings__tiers_enabled=True,
        )
        .annotate(
            since=Coalesce(
                WindowStart(timezone.now(), "tenant__return_settings__rate_window_days"),
                Value(EPOCH, output_field=DateTimeField()),
            )
        )
        .annotate(
            charged_now=Case(
                When(matches, then=_ledger_sum(TransactionEvent.LEAD_ASSIGNED)),
                default=None,
                output_field=BigIntegerField(),
            ),
            returned_now=Case(
                When(matches, then=_ledger_sum(TransactionEvent.LEAD_RETURNED)),
                default=None,
                output_field=BigIntegerField(),
            ),
        )  # fmt: skip
        .order_by()
        .values_list(
            "customer_id",
            "return_rate",
            "tier__name",
            "tier__discount_enabled",
            "tier__discount_percent",
            "tier__penalty_enabled",
            "tier__penalty_matches_return_rate",
            "tier__penalty_percent",
            "charged_now",
            "returned_now",
        )
    )
    terms: dict[int, TierTerms] = {}
    for (customer_id, stored_rate, name, discount_on, discount, penalty_on, matches_rate, penalty,
         charged, returned) in rows:  # fmt: skip
        tier = ReturnTier(
            name=name,
            discount_enabled=discount_on,
            discount_percent=discount,
            penalty_enabled=penalty_on,
            penalty_matches_return_rate=matches_rate,
            penalty_percent=penalty,
        )
        rate = Decimal(stored_rate)
        if penalty_on and matches_rate:
            rate = return_rate(charged=-int(charged or 0), returned=int(returned or 0))  # debits < 0
        penalty_pct, discount_pct = penalty_for(tier, rate), discount_for(tier)
        if penalty_pct or discount_pct:
            terms[customer_id] = TierTerms(name=name, penalty_pct=penalty_pct, discount_pct=discount_pct)
    return terms
