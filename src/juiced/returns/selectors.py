"""Reads for return requests: the staff queue, a customer's requests, one request, and the return rate.

Every query starts from a tenant or a customer already resolved by the tenancy choke point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from juiced.core.errors import NotFound
from juiced.returns.models import ReturnRequest
from juiced.wallets.models import Transaction, TransactionEvent

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class QueueFilters:
    status: str = ReturnRequest.Status.PENDING  # "" = every status
    customer: str = ""  # customer public id
    reason: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _base(qs: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    return qs.select_related("customer", "lead", "lead__lead_type", "transaction")


def return_queue(*, tenant: Any, filters: QueueFilters = QueueFilters()) -> QuerySet[ReturnRequest]:
    """The tenant's return requests, newest first, narrowed by the queue's filters."""
    qs = _base(ReturnRequest.objects.filter(tenant=tenant))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer:
        qs = qs.filter(customer__public_id=filters.customer)
    if filters.reason:
        qs = qs.filter(reason=filters.reason)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=tz)
        qs = qs.filter(created_at__lt=end)
    return qs


def customer_returns(*, customer: Any) -> QuerySet[ReturnRequest]:
    """One customer's return requests, newest first."""
    return _base(ReturnRequest.objects.filter(tenant_id=customer.tenant_id, customer=customer))


def return_get(*, tenant: Any, public_id: str, customer: Any = None) -> ReturnRequest:
    """One return request of the tenant (and of `customer` when given), or NotFound."""
    qs = ReturnRequest.objects.filter(tenant=tenant, public_id=public_id)
    if customer is not None:
        qs = qs.filter(customer=customer)
    request = _base(qs).first()
    if request is None:
        raise NotFound("No such return request.")
    return request


def open_request_for(*, lead: Any) -> ReturnRequest | None:
    return ReturnRequest.objects.filter(lead=lead, status=ReturnRequest.Status.PENDING).first()


def customer_return_rate(customer: Any, now: datetime | None = None) -> tuple[Decimal, int, int]:
    """(rate %, charged cents, returned cents): credited for returned leads ÷ charged for sold leads, over
    all time or the trailing ReturnSettings.rate_window_days (both measured by ledger transaction time)."""
    from juiced.returns.services import settings_for

    settings = settings_for(customer.tenant)
    ledger = Transaction.objects.filter(wallet__customer_id=customer.pk)
    if settings.rate_window_days:
        since = (now or timezone.now()) - timedelta(days=settings.rate_window_days)
        ledger = ledger.filter(created_at__gte=since)
    totals = ledger.aggregate(
        charged=Sum("amount", filter=Q(event=TransactionEvent.LEAD_ASSIGNED)),
        returned=Sum("amount", filter=Q(event=TransactionEvent.LEAD_RETURNED)),
    )
    charged = abs(totals["charged"] or 0)
    returned = abs(totals["returned"] or 0)
    if charged == 0:
        return Decimal("0.00"), 0, returned
    rate = (Decimal(returned) * 100 / Decimal(charged)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return rate, charged, returned
