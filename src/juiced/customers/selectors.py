"""Reads for customers: the searchable list, and the overview (statuses and stats)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.validators import slug_re
from django.db.models import Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from juiced.core.errors import NotFound
from juiced.core.models import AuditEntry
from juiced.customers import status as st
from juiced.customers.models import Customer, CustomerMembership, CustomerSignupSettings
from juiced.tenants.models import Invite, Tenant
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
    if funding in FUNDING_FILTERS:
        qs = _funding_filter(qs, funding)
    return qs.order_by(*SORTS.get(sort, SORTS["name"]))


def _funding_filter(qs: QuerySet[Customer], funding: str) -> QuerySet[Customer]:
    """Funding (status.funding_status) in SQL: with active bids, Available when available funds cover the
    largest bid, Limited when they cover the smallest scope minimum but not the largest bid, Exhausted
    below that; without active bids, Available with spendable money and Exhausted without."""
    from juiced.leads.models import Bid, LeadTypePricing

    active = Bid.objects.filter(customer=OuterRef("pk"), archived_at__isnull=True, is_paused=False).order_by()
    scope_minimum = LeadTypePricing.objects.filter(
        lead_type_id=OuterRef("lead_type_id"), scope=OuterRef("scope")
    ).values("minimum")[:1]
    per_customer = active.values("customer")
    qs = qs.annotate(
        has_bids=Exists(active),
        largest_bid=Subquery(per_customer.annotate(m=Max("amount")).values("m")[:1]),
        smallest_minimum=Subquery(
            per_customer.annotate(m=Min(Coalesce(Subquery(scope_minimum), F("amount")))).values("m")[:1]
        ),
    )
    if funding == "available":
        return qs.filter(
            Q(has_bids=False, available__gt=0) | Q(has_bids=True, available__gte=F("largest_bid"))
        )
    if funding == "limited":
        return qs.filter(has_bids=True, available__lt=F("largest_bid"), available__gte=F("smallest_minimum"))
    return qs.filter(
        Q(has_bids=False, available__lte=0) | Q(has_bids=True, available__lt=F("smallest_minimum"))
    )


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


def _active_bids(customer_ids: list[int]) -> dict[int, list[st.BidFunding]]:
    """Each customer's active bids (live, not paused) as (amount, scope minimum), in one query."""
    from juiced.leads.models import Bid, LeadTypePricing

    if not customer_ids:
        return {}
    minimum = LeadTypePricing.objects.filter(lead_type_id=OuterRef("lead_type_id"), scope=OuterRef("scope"))
    rows = (
        Bid.objects.filter(customer_id__in=customer_ids, archived_at__isnull=True, is_paused=False)
        .annotate(minimum=Subquery(minimum.values("minimum")[:1]))
        .order_by()
        .values_list("customer_id", "amount", "minimum")
    )
    found: dict[int, list[st.BidFunding]] = {}
    for customer_id, amount, scope_minimum in rows:
        # A bid whose scope lost its pricing row needs its own amount to be covered.
        found.setdefault(customer_id, []).append(st.BidFunding(amount, scope_minimum or amount))
    return found


def _period_usage_many(customer_ids: list[int], now: datetime) -> dict[int, dict[str, tuple[int, int]]]:
    """(leads, cents) won through bidding in each current UTC period, from the usage counters."""
    from juiced.leads.usage import usage_for

    if not customer_ids:
        return {}
    by_customer, _by_bid = usage_for(customer_ids=customer_ids, now=now)
    return {
        cid: {p: (used.leads, used.spent) for p, used in periods.items()}
        for cid, periods in by_customer.items()
    }


def _has_limits(customer: Customer) -> bool:
    return any(getattr(customer, f"{p}_{kind}") for p in PERIODS for kind in ("cap", "budget"))


def customer_statuses(customer: Customer, *, now: datetime | None = None) -> CustomerStatuses:
    """All four status dimensions and the display status, from the customer's current data."""
    return customer_statuses_many([customer], now=now)[customer.pk]


def customer_statuses_many(
    customers: list[Customer], *, now: datetime | None = None
) -> dict[int, CustomerStatuses]:
    """Statuses for a page of customers (wallets selected), by customer pk, in at most two queries:
    their active bids (for funding) and the usage counters of those with caps or budgets."""
    now = now or timezone.now()
    bids = _active_bids([c.pk for c in customers])
    usages = _period_usage_many([c.pk for c in customers if _has_limits(c)], now)
    return {c.pk: _statuses_from_usage(c, usages.get(c.pk, {}), bids.get(c.pk, [])) for c in customers}


def _statuses_from_usage(
    customer: Customer, usage: dict[str, tuple[int, int]], bids: list[st.BidFunding]
) -> CustomerStatuses:
    wallet = customer.wallet
    operational = st.operational_status(is_paused=customer.is_paused, is_archived=customer.is_archived)
    funding = st.funding_status(available=wallet.available, bids=bids)
    caps_set = {p: getattr(customer, f"{p}_cap") for p in PERIODS}
    budgets_set = {p: getattr(customer, f"{p}_budget") for p in PERIODS}
    caps = [st.Limit(limit, usage.get(p, (0, 0))[0]) for p, limit in caps_set.items() if limit]
    budgets = [st.Limit(limit, usage.get(p, (0, 0))[1]) for p, limit in budgets_set.items() if limit]
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
    """Overview numbers from real queries; Active Bids counts live bids that are not paused."""
    from juiced.leads.models import Bid

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
        active_bids=Bid.objects.filter(customer=customer, archived_at__isnull=True, is_paused=False).count(),
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


def signup_tenant(*, slug: str) -> tuple[Any, bool]:
    """The tenant behind a registration link and whether it takes sign-ups; NotFound for an unknown slug."""
    slug = (slug or "").strip().lower()
    # Only a well-formed slug reaches the database (a NUL byte from ?tenant= made PostgreSQL raise).
    tenant = Tenant.objects.filter(slug=slug).first() if slug_re.fullmatch(slug) else None
    if tenant is None:
        raise NotFound("No such marketplace.")
    return tenant, signup_settings_for(tenant).allow_self_registration


def signup_settings_for(tenant: Any) -> CustomerSignupSettings:
    """The tenant's sign-up settings (an unsaved default, allowing sign-ups, when none were saved)."""
    found = CustomerSignupSettings.objects.filter(tenant=tenant).first()
    return found or CustomerSignupSettings(tenant=tenant)
