"""Tier recalculation (SPEC §6, seed 001): request a run, and the job that walks every customer of a tenant.

A run is a `TierRecalculation` row: queued → running → finished (or failed, with the error). At most one
run per tenant is queued or running (the partial unique constraint "tier_recalc_one_active"); a second
request is refused with a Conflict. The job claims its row with one conditional UPDATE (queued → running),
so a run started twice (a retried job, the CLI and a worker) is worked once.

Each batch of customers costs a fixed number of queries, whatever the number of leads: one aggregate over
the ledger (LEAD_ASSIGNED charged, LEAD_RETURNED credited), one read of the batch's current tiers, one
upsert, one progress update. Tier matching is a pure function (`tier_for`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from juiced.core.audit import actor_label_for, audit_record
from juiced.core.errors import Conflict
from juiced.core.jobs import background_job
from juiced.core.tasks import enqueue_on_commit
from juiced.returns.models import CustomerTier, ReturnSettings, ReturnTier, TierRecalculation
from juiced.returns.tiers import bracket_contains

NEW_CUSTOMER_CHARGED = 500_000  # cents: a customer charged less than $5,000 is "new"
BATCH_SIZE = 500
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ACTIVE = (TierRecalculation.Status.QUEUED, TierRecalculation.Status.RUNNING)
ALREADY_RUNNING = "A tier recalculation is already queued or running for this tenant; wait for it to finish."

ProgressCallback = Callable[[int, int], None]  # (processed, total)


# --- pure core ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bracket:
    """What matching needs of a tier: the new-customer flag, or its half-open bounds in %."""

    tier_id: int
    applies_to_new_customers: bool
    lower: Decimal | None
    upper: Decimal | None


def return_rate(*, charged: int, returned: int) -> Decimal:
    """Credited for returned leads ÷ charged for sold leads, in % with 2 places (0 when nothing charged)."""
    if charged <= 0:
        return Decimal("0.00")
    return (Decimal(returned) * HUNDRED / Decimal(charged)).quantize(CENT, rounding=ROUND_HALF_UP)


def tier_for(*, brackets: Sequence[Bracket], charged: int, rate: Decimal) -> int | None:
    """The tier id for a customer: the new-customer tier under $5,000 charged, else the bracket holding
    the rate ([lower, upper), 100 inclusive in a bracket reaching 100), else None (a gap)."""
    if charged < NEW_CUSTOMER_CHARGED:
        for bracket in brackets:
            if bracket.applies_to_new_customers:
                return bracket.tier_id
    capped = min(rate, HUNDRED)  # over 100 % only happens inside a trailing window: the top bracket
    for bracket in brackets:
        if bracket.applies_to_new_customers or bracket.lower is None or bracket.upper is None:
            continue
        if bracket_contains(bracket.lower, bracket.upper, capped):  # the rule the tier form validates
            return bracket.tier_id
    return None


def penalty_for(tier: ReturnTier | None, rate: Decimal) -> Decimal:
    """The penalty % a tier gives a customer at `rate` (its own rate when it matches the return rate)."""
    if tier is None or not tier.penalty_enabled:
        return Decimal("0.00")
    if tier.penalty_matches_return_rate:
        return min(rate, HUNDRED)
    return tier.penalty_percent or Decimal("0.00")


def discount_for(tier: ReturnTier | None) -> Decimal:
    """The discount % a tier gives (0 when its discount is off)."""
    if tier is None or not tier.discount_enabled:
        return Decimal("0.00")
    return tier.discount_percent or Decimal("0.00")


# --- reads ----------------------------------------------------------------------------------------------


def settings_for(tenant: Any) -> ReturnSettings:
    """The tenant's return settings (created on first read)."""
    try:
        from juiced.returns.settings import return_settings_for  # the RETURNS part's reader, when present
    except ImportError:
        settings, _created = ReturnSettings.objects.get_or_create(tenant=tenant)
        return settings
    return return_settings_for(tenant=tenant)


def return_totals(
    *, tenant_id: int, customer_ids: Iterable[int], since: Any = None
) -> dict[int, tuple[int, int]]:
    """customer id → (cents charged for sold leads, cents credited for returned leads), one query."""
    from juiced.wallets.models import Transaction, TransactionEvent

    ids = list(customer_ids)
    totals: dict[int, tuple[int, int]] = {customer_id: (0, 0) for customer_id in ids}
    if not ids:
        return totals
    rows = Transaction.objects.filter(
        tenant_id=tenant_id,
        wallet__customer_id__in=ids,
        event__in=(TransactionEvent.LEAD_ASSIGNED, TransactionEvent.LEAD_RETURNED),
    )
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    for customer_id, event, amount in (
        rows.values("wallet__customer_id", "event")
        .annotate(amount=Sum("amount"))
        .order_by()
        .values_list("wallet__customer_id", "event", "amount")
    ):
        charged, returned = totals[customer_id]
        if event == TransactionEvent.LEAD_ASSIGNED:
            charged += -int(amount or 0)  # debits are negative
        else:
            returned += int(amount or 0)
        totals[customer_id] = (charged, returned)
    return totals


def rate_window_start(settings: ReturnSettings) -> Any:
    """The start of the trailing window, or None for all time."""
    if not settings.rate_window_days:
        return None
    return timezone.now() - timedelta(days=settings.rate_window_days)


def customer_return_rate(*, customer: Any) -> Decimal:
    """One customer's current return rate, computed from the ledger (for pages showing the raw rate)."""
    settings = settings_for(customer.tenant)
    charged, returned = return_totals(
        tenant_id=customer.tenant_id, customer_ids=[customer.pk], since=rate_window_start(settings)
    )[customer.pk]
    return return_rate(charged=charged, returned=returned)


# --- request --------------------------------------------------------------------------------------------


def recalculation_request(*, tenant: Any, actor: Any, in_background: bool = True) -> TierRecalculation:
    """Queue a recalculation of every customer's tier; refused while another one is queued or running."""
    from juiced.customers.models import Customer

    with transaction.atomic():
        if TierRecalculation.objects.filter(tenant=tenant, status__in=ACTIVE).exists():
            raise Conflict(ALREADY_RUNNING)
        try:
            with transaction.atomic():
                run = TierRecalculation.objects.create(
                    tenant=tenant,
                    total=Customer.objects.filter(tenant=tenant).count(),
                    requested_by_label=actor_label_for(actor),
                )
        except IntegrityError as exc:  # a concurrent request won the partial unique constraint
            raise Conflict(ALREADY_RUNNING) from exc
        audit_record(
            tenant=tenant,
            actor=actor,
            action="return_tiers.recalculate",
            summary=f"Requested a return tier recalculation of {run.total} customers",
        )
        if in_background:
            enqueue_on_commit(tier_recalculation_job, tenant_id=tenant.pk, recalculation_id=run.pk)
    return run


# --- the job --------------------------------------------------------------------------------------------


@background_job(max_attempts=1, label="Recalculate return tiers")
def tier_recalculation_job(*, tenant_id: int, recalculation_id: int) -> str:
    """Run one queued tier recalculation (a run already claimed elsewhere is skipped)."""
    run = recalculation_run(recalculation_id=recalculation_id)
    if run is None:
        return "skipped: not queued"
    return f"{run.status}: {run.processed} customers, {run.changed} changed"


def recalculation_run(
    *, recalculation_id: int, progress: ProgressCallback | None = None
) -> TierRecalculation | None:
    """Claim a queued run and recalculate every customer's tier in batches; None when not queued."""
    now = timezone.now()
    claimed = TierRecalculation.objects.filter(
        pk=recalculation_id, status=TierRecalculation.Status.QUEUED
    ).update(status=TierRecalculation.Status.RUNNING, started_at=now)
    if not claimed:
        return None
    run = TierRecalculation.objects.select_related("tenant").get(pk=recalculation_id)
    try:
        _recalculate(run, progress)
    except Exception as exc:
        TierRecalculation.objects.filter(pk=run.pk).update(
            status=TierRecalculation.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )  # fmt: skip
        raise
    TierRecalculation.objects.filter(pk=run.pk).update(
        status=TierRecalculation.Status.FINISHED, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def _recalculate(run: TierRecalculation, progress: ProgressCallback | None) -> None:
    from juiced.customers.models import Customer

    tenant = run.tenant
    settings = settings_for(tenant)
    since = rate_window_start(settings)
    tiers = (
        {tier.pk: tier for tier in ReturnTier.objects.filter(tenant=tenant)} if settings.tiers_enabled else {}
    )
    brackets = [
        Bracket(tier.pk, tier.applies_to_new_customers, tier.lower_bound, tier.upper_bound)
        for tier in tiers.values()
    ]
    customers = Customer.objects.filter(tenant=tenant).order_by("pk")
    total = customers.count()
    TierRecalculation.objects.filter(pk=run.pk).update(total=total)
    processed = changed = 0
    last_pk = 0
    while True:
        batch = list(customers.filter(pk__gt=last_pk)[:BATCH_SIZE])
        if not batch:
            break
        last_pk = batch[-1].pk
        changed += _recalculate_batch(tenant, batch, tiers, brackets, since, settings.tiers_enabled)
        processed += len(batch)
        TierRecalculation.objects.filter(pk=run.pk).update(
            processed=processed, changed=changed, total=max(total, processed)
        )
        if progress is not None:
            progress(processed, max(total, processed))


def _recalculate_batch(
    tenant: Any,
    batch: list[Any],
    tiers: dict[int, ReturnTier],
    brackets: list[Bracket],
    since: Any,
    tiers_enabled: bool,
) -> int:
    """Upsert one batch's tiers and notify the customers moved into a new tier; returns how many changed."""
    ids = [customer.pk for customer in batch]
    totals = return_totals(tenant_id=tenant.pk, customer_ids=ids, since=since)
    with transaction.atomic():
        current = dict(
            CustomerTier.objects.select_for_update()
            .filter(customer_id__in=ids)
            .order_by("customer_id")
            .values_list("customer_id", "tier_id")
        )
        rows: list[CustomerTier] = []
        moved: list[tuple[Any, ReturnTier, Decimal]] = []
        changed = 0
        for customer in batch:
            charged, returned = totals[customer.pk]
            rate = return_rate(charged=charged, returned=returned)
            tier_id = None
            if tiers_enabled and not customer.return_tiers_disabled:
                tier_id = tier_for(brackets=brackets, charged=charged, rate=rate)
            rows.append(
                CustomerTier(
                    tenant=tenant, customer=customer, tier_id=tier_id, return_rate=rate,
                    charged=charged, returned=returned,
                )
            )  # fmt: skip
            if current.get(customer.pk) != tier_id:
                changed += 1
                if tier_id is not None:
                    moved.append((customer, tiers[tier_id], rate))
        CustomerTier.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=["tier", "return_rate", "charged", "returned", "assigned_at"],
        )
        if moved:
            # Only a move INTO a tier is announced: the template names the new tier, and a customer left
            # without one (gap, excluded, tiers off) has nothing to be told about. One job per batch sends
            # them, so a recalculation that moves thousands of customers is not held up by thousands of
            # notify() calls (bench/tiers.py: 68 s before). Queued in the batch's transaction: the queue
            # row becomes visible exactly when the batch commits, and never for a rolled-back batch.
            moves = [[customer.pk, tier.pk, str(rate)] for customer, tier, rate in moved]
            tier_updates_announce.enqueue(tenant_id=tenant.pk, moves=moves)
    return changed


@background_job(max_attempts=5, base_delay=10.0, label="Announce return tier changes")
def tier_updates_announce(*, tenant_id: int, moves: list[list[Any]]) -> str:
    """Send Return Tier Updated to each [customer id, tier id, rate] of one recalculated batch."""
    from juiced.customers.models import Customer
    from juiced.notifications.models import NotificationType
    from juiced.notifications.services import notify

    customers = Customer.objects.select_related("tenant").in_bulk([move[0] for move in moves])
    tiers = ReturnTier.objects.filter(tenant_id=tenant_id).in_bulk([move[1] for move in moves])
    sent = 0
    for customer_id, tier_id, rate in moves:
        customer, tier = customers.get(customer_id), tiers.get(tier_id)
        if customer is None or tier is None or customer.tenant_id != tenant_id:
            continue  # deleted since the recalculation: nothing to announce
        notify(
            customer=customer,
            type=NotificationType.RETURN_TIER_UPDATED,
            context={"tier": tier_context(tier, Decimal(rate))},
        )
        sent += 1
    return f"{sent} announced"


def tier_context(tier: ReturnTier, rate: Decimal) -> dict[str, str]:
    """The notification's "tier" namespace: name, discount and penalty in % (2 places)."""
    return {
        "name": tier.name,
        "discount_percentage": f"{discount_for(tier):.2f}",
        "penalty_percentage": f"{penalty_for(tier, rate):.2f}",
    }


def tier_standing(*, customer: Any) -> dict[str, Any]:
    """What a tier badge shows for one customer: its tier (when tiers apply to it) and its raw return rate."""
    settings = settings_for(customer.tenant)
    excluded = bool(customer.return_tiers_disabled)
    row = CustomerTier.objects.select_related("tier").filter(customer=customer).first()
    tier = row.tier if row is not None and settings.tiers_enabled and not excluded else None
    return {
        "tiers_enabled": settings.tiers_enabled,
        "tier_excluded": excluded,
        "tier": tier,
        "return_rate": customer_return_rate(customer=customer),
    }
