"""Cashiers (vendors), their limits, and the daily batch: the takings of one till, closed and then immutable.

Days are calendar days in the server time zone (TIME_ZONE, UTC by default): tenants have no time zone of
their own yet (docs/vending.md, "Decisions").
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from juiced.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from juiced.core.money import format_money
from juiced.tenants.roles import StaffRole
from juiced.vending.models import AccountEntry, Batch, PaymentKind, Pocket, Sale, Vendor

# Payment kinds that are not money through the till: they are shown in the totals but not in the total.
NOT_TAKINGS = (PaymentKind.WALLET, PaymentKind.FREE_ISSUE)


def vendor_for(*, access: Any) -> Vendor | None:
    """The acting user's Vendor at the access's tenant (None for staff who are not cashiers)."""
    return Vendor.objects.filter(tenant=access.tenant, user=access.user).first()


def selling_vendor(*, access: Any) -> Vendor | None:
    """The Vendor a sale or counter payment is booked to; a Cashier must have an active one."""
    return selling_vendor_check(access=access, vendor=vendor_for(access=access))


def selling_vendor_check(*, access: Any, vendor: Vendor | None) -> Vendor | None:
    """`selling_vendor` for a Vendor row already loaded (or None when the user has none)."""
    if vendor is not None and not vendor.is_active:
        raise PermissionDenied("Your till is disabled; ask a supervisor.")
    if vendor is None and access.role == StaffRole.CASHIER:
        raise PermissionDenied("You are not set up as a vendor (till) yet; ask a supervisor.")
    return vendor


def day_bounds(day: datetime.date | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """The start and end of a business day in the current time zone."""
    day = day or timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def batch_open_for(*, vendor: Vendor) -> Batch:
    """The vendor's open batch, opened on demand (numbered 1, 2, 3 … per vendor)."""
    batch = Batch.objects.filter(vendor=vendor, status=Batch.Status.OPEN).first()
    if batch is not None:
        return batch
    number = (Batch.objects.filter(vendor=vendor).aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            return Batch.objects.create(
                tenant_id=vendor.tenant_id, vendor=vendor, number=number, business_date=timezone.localdate()
            )
    except IntegrityError:
        # Another request opened it at the same moment (one open batch per vendor is a unique index).
        batch = Batch.objects.filter(vendor=vendor, status=Batch.Status.OPEN).first()
        if batch is None:
            raise
        return batch


def batch_lock_open(*, vendor: Vendor) -> Batch:
    """The vendor's open batch, locked for this transaction; a batch closed meanwhile is never written to."""
    for _attempt in range(3):
        batch = Batch.objects.select_for_update().get(pk=batch_open_for(vendor=vendor).pk)
        if batch.status == Batch.Status.OPEN:
            return batch
    raise InvalidState("The till's batch was closed while this was being recorded; try again.")


def batch_guard_open(batch: Batch | None) -> None:
    """Refuse a write into a closed batch (services booking into a batch call this under its lock)."""
    if batch is not None and batch.status != Batch.Status.OPEN:
        raise InvalidState(f"Batch {batch.number} is closed; a closed batch cannot change.")


def _currency(vendor: Vendor) -> str:
    return vendor.tenant.currency if vendor.tenant_id else "USD"


def cashier_limits_check(*, vendor: Vendor | None, amount: int) -> None:
    """The vendor's limit per sale and per day (sum of its sales today); call under the batch lock."""
    if vendor is None:
        return
    if vendor.limit_per_sale is not None and amount > vendor.limit_per_sale:
        currency = _currency(vendor)
        raise ValidationFailed.on(
            "amount", f"Above your limit per sale of {format_money(vendor.limit_per_sale, currency)}."
        )
    if vendor.limit_per_day is not None:
        start, end = day_bounds()
        sold = (
            Sale.objects.filter(
                vendor=vendor, kind=Sale.Kind.SALE, created_at__gte=start, created_at__lt=end
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        if sold + amount > vendor.limit_per_day:
            currency = _currency(vendor)
            left = max(vendor.limit_per_day - sold, 0)
            raise ValidationFailed.on(
                "amount",
                f"Above your daily limit of {format_money(vendor.limit_per_day, currency)} "
                f"({format_money(left, currency)} left today).",
            )


def batch_totals(batch: Batch) -> tuple[dict[str, int], int, int]:
    """({payment kind: cents}, sales count, takings total) over the batch's sales and counter payments."""
    totals: dict[str, int] = {}
    for row in Sale.objects.filter(batch=batch).values("payment_kind").annotate(total=Sum("amount")):
        totals[row["payment_kind"]] = totals.get(row["payment_kind"], 0) + row["total"]
    # Counter payments (top-ups, deposits, instalments) carry the batch; a sale's own entries do not. Money
    # in is +wallet/+deposit but −arrears (an instalment lowers the debt), hence the sign per pocket.
    for row in (
        AccountEntry.objects.filter(batch=batch, sale__isnull=True)
        .exclude(payment_kind="")
        .values("payment_kind", "pocket")
        .annotate(total=Sum("amount"))
    ):
        money_in = -row["total"] if row["pocket"] == Pocket.ARREARS else row["total"]
        totals[row["payment_kind"]] = totals.get(row["payment_kind"], 0) + money_in
    count = Sale.objects.filter(batch=batch, kind=Sale.Kind.SALE).count()
    total = sum(amount for kind, amount in totals.items() if kind not in NOT_TAKINGS)
    return dict(sorted(totals.items())), count, total


def batch_close(*, access: Any, batch: Batch) -> Batch:
    """Close the batch: totals by payment kind frozen, closed by/at; afterwards nothing is booked into it."""
    access.require("vending.sell")
    if batch.tenant_id != access.tenant.pk:
        raise NotFound("No such batch.")
    with transaction.atomic():
        locked = Batch.objects.select_for_update().select_related("vendor").get(pk=batch.pk)
        if locked.vendor.user_id != access.user.pk:
            access.require("vending.batches.view_all")
        if locked.status == Batch.Status.CLOSED:
            raise InvalidState(f"Batch {locked.number} is already closed.")
        totals, count, total = batch_totals(locked)
        Batch.objects.filter(pk=locked.pk).update(
            status=Batch.Status.CLOSED,
            closed_at=timezone.now(),
            closed_by=access.user,
            totals=totals,
            sales_count=count,
            total=total,
        )
        locked.refresh_from_db()
    return locked
