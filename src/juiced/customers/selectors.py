"""Reads for customers: the searchable list, and the overview (statuses and stats)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from juiced.core.errors import NotFound
from juiced.core.models import AuditEntry
from juiced.customers import status as st
from juiced.customers.models import Customer, CustomerMembership
from juiced.tenants.models import Invite
from juiced.wallets.models import Transaction, TransactionEvent

SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "available": ("available", "id"),
    "-available": ("-available", "-id"),
    "email": ("email", "id"),
    "-email": ("-email", "-id"),
}
OPERATIONAL_FILTERS = ("active", "paused", "archived")
FUNDING_FILTERS = ("available", "limited", "exhausted")
ARCHIVED_FILTERS = ("exclude", "include", "only")
PERIODS = ("daily", "weekly", "monthly")


def customer_list(
    *,
    customers: QuerySet[Customer],
    search: str = "",
    operational: str = "",
    funding: str = "",
    archived: str = "exclude",
    sort: str = "name",
) -> QuerySet[Customer]:
    """Filter and sort an already tenant-scoped queryset of customers.

    `archived`: exclude (default, the working list), include, or only. An explicit `operational=archived`
    shows archived customers whatever `archived` says.
    """
    qs = customers.select_related("wallet").annotate(available=F("wallet__balance") - F("wallet__held"))
    if search := search.strip():
        linked = CustomerMembership.objects.filter(customer=OuterRef("pk")).filter(
            Q(user__email__icontains=search) | Q(user__name__icontains=search)
        )
        qs = qs.filter(Q(name__icontains=search) | Q(email__icontains=search) | Exists(linked))
    if operational == "archived":
        qs = qs.filter(archived_at__isnull=False)
    else:
        if archived == "only":
            qs = qs.filter(archived_at__isnull=False)
        elif archived != "include":
            qs = qs.filter(archived_at__isnull=True)
        if operational == "active":
            qs = qs.filter(archived_at__isnull=True, is_paused=False)
        elif operational == "paused":
            qs = qs.filter(archived_at__isnull=True, is_paused=True)
    # Until bids exist, funding is Available with spendable money and Exhausted without (status.py).
    if funding == "available":
        qs = qs.filter(available__gt=0)
    elif funding == "exhausted":
        qs = qs.filter(available__lte=0)
    elif funding == "limited":
        qs = qs.none()
    return qs.order_by(*SORTS.get(sort, SORTS["name"]))


@dataclass(frozen=True)
class CustomerStatuses:
    operational: st.Operational
    funding: st.Funding
    cap: st.CapStatus
    budget: st.BudgetStatus
    display: st.Display


@dataclass(frozen=True)
class CustomerStats:
    revenue: int  # charged for assigned leads (gross)
    returned: int  # credited back for returned leads
    available: int
    balance: int
    held: int
    active_bids: int
    return_rate: Decimal  # percent, 2 places


def period_starts(now: datetime) -> dict[str, datetime]:
    """Calendar periods in UTC: today's midnight, this Monday, the 1st of this month."""
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return {"daily": day, "weekly": day - timedelta(days=day.weekday()), "monthly": day.replace(day=1)}


def _usage_aggregates(starts: dict[str, datetime]) -> dict[str, Any]:
    return {
        **{f"{p}_n": Count("id", filter=Q(created_at__gte=s)) for p, s in starts.items()},
        **{f"{p}_sum": Sum("amount", filter=Q(created_at__gte=s)) for p, s in starts.items()},
    }


def _usage_from_totals(totals: dict[str, Any], starts: dict[str, datetime]) -> dict[str, tuple[int, int]]:
    return {p: (totals[f"{p}_n"] or 0, -(totals[f"{p}_sum"] or 0)) for p in starts}


def _period_usage(customer: Customer, now: datetime) -> dict[str, tuple[int, int]]:
    """(leads, cents) charged for assigned leads in each calendar period; returns do not give headroom."""
    starts = period_starts(now)
    assigned = Transaction.objects.filter(wallet__customer=customer, event=TransactionEvent.LEAD_ASSIGNED)
    return _usage_from_totals(assigned.aggregate(**_usage_aggregates(starts)), starts)


def _has_limits(customer: Customer) -> bool:
    return any(getattr(customer, f"{p}_{kind}") for p in PERIODS for kind in ("cap", "budget"))


def customer_statuses(customer: Customer, *, now: datetime | None = None) -> CustomerStatuses:
    """All four status dimensions and the display status, from the customer's current data."""
    now = now or timezone.now()
    usage = _period_usage(customer, now) if _has_limits(customer) else {}
    return _statuses_from_usage(customer, usage)


def customer_statuses_many(
    customers: list[Customer], *, now: datetime | None = None
) -> dict[int, CustomerStatuses]:
    """Statuses for a page of customers (wallets selected), by customer pk, in at most one query."""
    now = now or timezone.now()
    starts = period_starts(now)
    limited = {c.pk for c in customers if _has_limits(c)}
    usages: dict[int, dict[str, tuple[int, int]]] = {}
    if limited:
        rows = (
            Transaction.objects.filter(wallet__customer_id__in=limited, event=TransactionEvent.LEAD_ASSIGNED)
            .order_by()
            .values("wallet__customer_id")
            .annotate(**_usage_aggregates(starts))
        )
        usages = {row["wallet__customer_id"]: _usage_from_totals(row, starts) for row in rows}
    nothing_used = {p: (0, 0) for p in starts}
    return {
        c.pk: _statuses_from_usage(c, usages.get(c.pk, nothing_used) if c.pk in limited else {})
        for c in customers
    }


def _statuses_from_usage(customer: Customer, usage: dict[str, tuple[int, int]]) -> CustomerStatuses:
    wallet = customer.wallet
    operational = st.operational_status(is_paused=customer.is_paused, is_archived=customer.is_archived)
    funding = st.funding_status(available=wallet.available, bids=[])
    caps_set = {p: getattr(customer, f"{p}_cap") for p in PERIODS}
    budgets_set = {p: getattr(customer, f"{p}_budget") for p in PERIODS}
    caps = [st.Limit(limit, usage[p][0]) for p, limit in caps_set.items() if limit]
    budgets = [st.Limit(limit, usage[p][1]) for p, limit in budgets_set.items() if limit]
    cap = st.cap_status(caps)
    budget = st.budget_status(budgets)
    return CustomerStatuses(
        operational=operational,
        funding=funding,
        cap=cap,
        budget=budget,
        display=st.display_status(operational=operational, funding=funding, cap=cap, budget=budget),
    )


def return_rate_percent(*, charged: int, returned: int) -> Decimal:
    """Amount credited for returns ÷ amount charged for sold leads, in %, 2 places (0 with no sales)."""
    if charged <= 0:
        return Decimal("0.00")
    return (Decimal(returned) * 100 / Decimal(charged)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def customer_stats(customer: Customer) -> CustomerStats:
    """Overview numbers from real queries; bids do not exist yet, so Active Bids counts 0."""
    wallet = customer.wallet
    totals = Transaction.objects.filter(wallet=wallet).aggregate(
        charged=Sum("amount", filter=Q(event=TransactionEvent.LEAD_ASSIGNED)),
        returned=Sum("amount", filter=Q(event=TransactionEvent.LEAD_RETURNED)),
    )
    charged = -(totals["charged"] or 0)
    returned = totals["returned"] or 0
    return CustomerStats(
        revenue=charged,
        returned=returned,
        available=wallet.available,
        balance=wallet.balance,
        held=wallet.held,
        active_bids=0,
        return_rate=return_rate_percent(charged=charged, returned=returned),
    )


def customer_users(customer: Customer) -> QuerySet[CustomerMembership]:
    return CustomerMembership.objects.filter(customer=customer).select_related("user").order_by("created_at")


# --- reads for the dashboard's customer page (history and invites) ----------------------------------


def customer_history(customer: Customer) -> QuerySet[AuditEntry]:
    """The customer's audit log (who changed what and when), newest first."""
    return AuditEntry.objects.filter(tenant_id=customer.tenant_id, customer=customer).order_by(
        "-created_at", "-id"
    )


def customer_pending_invites(customer: Customer) -> QuerySet[Invite]:
    """Invites to this customer that were neither accepted nor revoked (expired ones included)."""
    return Invite.objects.filter(
        tenant_id=customer.tenant_id, customer=customer, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at", "-id")


def customer_invite(customer: Customer, public_id: str) -> Invite:
    """One invite to this customer by public id, or NotFound (another customer's invite is not found)."""
    invite = Invite.objects.filter(
        tenant_id=customer.tenant_id, customer=customer, public_id=public_id
    ).first()
    if invite is None:
        raise NotFound("No such invite.")
    return invite
