"""Cap and budget usage per UTC calendar period, read from `UsageCounter` rows.

Writes happen in the allocation transaction (allocation.py); these are the reads every status, position
and eligibility check shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from juiced.customers.selectors import period_starts
from juiced.leads.models import UsageCounter

PERIODS = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class Used:
    leads: int = 0
    spent: int = 0  # cents


NOTHING = Used()


def period_start_dates(now: datetime) -> dict[str, date]:
    return {period: start.date() for period, start in period_starts(now).items()}


def usage_for(
    *, customer_ids: Iterable[int] = (), bid_ids: Iterable[int] = (), now: datetime
) -> tuple[dict[int, dict[str, Used]], dict[int, dict[str, Used]]]:
    """(by customer id, by bid id) → period → Used, for the current periods; missing means nothing used."""
    customer_ids, bid_ids = list(customer_ids), list(bid_ids)
    by_customer: dict[int, dict[str, Used]] = {}
    by_bid: dict[int, dict[str, Used]] = {}
    if not customer_ids and not bid_ids:
        return by_customer, by_bid
    starts = period_start_dates(now)
    current = Q()
    for period, start in starts.items():
        current |= Q(period=period, period_start=start)
    owners = Q(customer_id__in=customer_ids, bid__isnull=True) | Q(bid_id__in=bid_ids)
    rows = UsageCounter.objects.filter(owners, current).values_list(
        "customer_id", "bid_id", "period", "leads", "spent"
    )
    for customer_id, bid_id, period, leads, spent in rows:
        target = by_bid.setdefault(bid_id, {}) if bid_id else by_customer.setdefault(customer_id, {})
        target[period] = Used(leads, spent)
    return by_customer, by_bid


def limit_left(limits: dict[str, int | None], used: dict[str, Used], *, kind: str) -> int | None:
    """The tightest headroom over the periods that have a limit (`kind` "cap" counts leads, "budget"
    cents); None when no period is limited."""
    left: int | None = None
    for period in PERIODS:
        limit = limits.get(period)
        if not limit:
            continue
        spent = used.get(period, NOTHING)
        remaining = max(0, limit - (spent.leads if kind == "cap" else spent.spent))
        left = remaining if left is None else min(left, remaining)
    return left
