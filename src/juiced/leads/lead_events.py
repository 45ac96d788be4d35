"""What happens after a lead is processed: notifications and webhooks, in ONE background job per lead.

The request path only enqueues: the job's queue row is inserted inside the transaction that finishes the
lead (the outbox pattern: it becomes visible to the worker exactly when the lead commits, and costs no
commit of its own). Its arguments are ids only; the job reads the rest. Run by `juiced worker`, it sends:
- tenant webhooks lead.created, then lead.assigned / lead.unassigned / lead.duplicated;
- to the winner: the Lead Assigned notification and its customer webhooks (lead.assigned);
- Outbid to customers whose bid competed and lost on a lower effective bid, Bid Matched to those that
  tied with the winner and lost the round robin (both read from the run's flow log): each at most once
  per customer and type in 24 hours (the check reads the notifications already recorded);
- Under Funded Bids to the winner when the charge left active bids underfunded that were funded before
  (the funds after the charge come from the charge's ledger row).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from juiced.core.jobs import PermanentFailure, background_job
from juiced.leads import representations
from juiced.leads.models import Bid, DistributionLog, Lead, LeadStatus, LeadTypePricing
from juiced.notifications.models import Channel, Notification, NotificationType
from juiced.notifications.services import notify
from juiced.webhooks.services import customer_webhooks_send, webhook_emit

THROTTLE = timedelta(hours=24)
STATUS_EVENTS = {
    LeadStatus.ASSIGNED: "lead.assigned",
    LeadStatus.UNASSIGNED: "lead.unassigned",
    LeadStatus.DUPLICATE: "lead.duplicated",
}


def lead_processed_side_effects_enqueue(lead: Lead, *, duplicate: bool = False) -> None:
    """Queue the one side-effect job of a processed lead in the current transaction (it runs once that
    commits; outside a transaction the queue row is written at once)."""
    kwargs: dict[str, Any] = {"tenant_id": lead.tenant_id, "lead_id": lead.pk}
    if duplicate or lead.status == LeadStatus.DUPLICATE:
        kwargs["duplicate"] = True
    lead_processed.enqueue(**kwargs)


def side_effects_job_row(lead: Lead, *, duplicate: bool = False) -> Any:
    """The queue row `lead_processed_side_effects_enqueue` would insert, unsaved, for a caller that writes
    it inside its own statement (allocation's finish statement on PostgreSQL); send `job_enqueued(row)`
    once it is written. Built the way the database backend builds it (id, args, priority, queue, run
    after)."""
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult, get_date_max

    kwargs: dict[str, Any] = {"tenant_id": lead.tenant_id, "lead_id": lead.pk}
    if duplicate or lead.status == LeadStatus.DUPLICATE:
        kwargs["duplicate"] = True
    task = lead_processed
    backend = task.get_backend()
    return DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": [], "kwargs": kwargs}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after or get_date_max(),
        backend_name=backend.alias,
        enqueued_at=timezone.now(),
    )


def job_enqueued(row: Any) -> None:
    """Announce a queue row written by `side_effects_job_row`'s caller (django-tasks' enqueued signal)."""
    from django_tasks.signals import task_enqueued

    task_enqueued.send(type(lead_processed.get_backend()), task_result=row.task_result)


@background_job(max_attempts=5, base_delay=10.0, label="Lead notifications and webhooks")
def lead_processed(
    *,
    tenant_id: int,
    lead_id: int,
    duplicate: bool = False,
    outbid_bids: list[int] | None = None,
    matched_bids: list[int] | None = None,
    available_before: int | None = None,
    available_after: int | None = None,
) -> dict[str, int]:
    """Send a processed lead's webhooks and notifications (see the module docstring). The optional
    arguments are those of jobs queued by earlier versions, which carried the losers and funds along."""
    lead = (
        Lead.objects.select_related("tenant", "lead_type", "source", "customer", "bid", "transaction")
        .filter(pk=lead_id, tenant_id=tenant_id)
        .first()
    )
    if lead is None:
        raise PermanentFailure(f"Lead {lead_id} no longer exists.")
    sent = {"webhooks": 0, "notifications": 0}
    data = representations.lead_event_data(lead)
    sent["webhooks"] += len(webhook_emit(tenant=lead.tenant, event="lead.created", data=data))
    event = "lead.duplicated" if duplicate else STATUS_EVENTS.get(lead.status)
    if event:
        sent["webhooks"] += len(webhook_emit(tenant=lead.tenant, event=event, data=data))
    legacy = outbid_bids is not None or matched_bids is not None
    if lead.status == LeadStatus.ASSIGNED and lead.customer_id:
        if not legacy:
            available_before, available_after = _funds_around_charge(lead)
        sent["notifications"] += _winner_notices(lead, available_before, available_after)
        sent["webhooks"] += len(
            customer_webhooks_send(
                customer=lead.customer,
                event="lead.assigned",
                context={"lead": representations.lead_variables(lead)},
            )
        )
    if legacy:
        outbid: list[Any] = list(outbid_bids or [])
        matched: list[Any] = list(matched_bids or [])
    elif lead.status == LeadStatus.ASSIGNED:
        outbid, matched = _losers(lead)
    else:
        outbid, matched = [], []
    sent["notifications"] += _loser_notices(lead, NotificationType.OUTBID, outbid)
    sent["notifications"] += _loser_notices(lead, NotificationType.BID_MATCHED, matched)
    return sent


def _funds_around_charge(lead: Lead) -> tuple[int | None, int | None]:
    """The winner's available funds just before and just after the lead's charge (from its ledger row)."""
    txn = lead.transaction
    if txn is None:
        return None, None
    after = txn.balance_after - txn.held_after
    return after + lead.price, after


def _losers(lead: Lead) -> tuple[list[str], list[str]]:
    """(outbid, matched) bid public ids from the lead's latest flow-log run."""
    from juiced.leads.allocation import losing_bids

    events = (
        DistributionLog.objects.filter(tenant_id=lead.tenant_id, lead_id=lead.pk)
        .order_by("-run")
        .values_list("events", flat=True)
        .first()
    )
    return losing_bids(events)


def _bid_variables(bid: Bid) -> dict[str, Any]:
    return {
        "public_id": bid.public_id,
        "amount": bid.amount,
        "lead_type": bid.lead_type.name,
        "status": "paused" if bid.is_paused else "active",
    }


def _winner_notices(lead: Lead, available_before: int | None, available_after: int | None) -> int:
    txn = lead.transaction
    notify(
        customer=lead.customer,
        type=NotificationType.LEAD_ASSIGNED,
        context={
            "lead": representations.notification_lead(lead),
            "transaction": {
                "public_id": txn.public_id if txn else "",
                "amount": -lead.price,
                "kind": "lead_assigned",
                "description": txn.description if txn else "",
                "balance": txn.balance_after if txn else 0,
            },
        },
    )
    count = 1
    newly = newly_underfunded_bids(
        customer_id=lead.customer_id, available_before=available_before, available_after=available_after
    )
    if newly:
        notify(
            customer=lead.customer,
            type=NotificationType.UNDER_FUNDED_BIDS,
            context={"bid": _bid_variables(newly[0])},
        )
        count += 1
    return count


def newly_underfunded_bids(
    *, customer_id: int, available_before: int | None, available_after: int | None
) -> list[Bid]:
    """The customer's active bids that the funds covered in full before the charge and do not after."""
    if available_before is None or available_after is None or available_after >= available_before:
        return []
    bids = (
        Bid.objects.select_related("lead_type")
        .filter(
            customer_id=customer_id,
            archived_at__isnull=True,
            is_paused=False,
            amount__gt=available_after,
            amount__lte=available_before,
        )
        .order_by("-amount", "id")
    )
    enabled = set(
        LeadTypePricing.objects.filter(
            lead_type_id__in={b.lead_type_id for b in bids}, enabled=True
        ).values_list("lead_type_id", "scope")
    )
    return [b for b in bids if (b.lead_type_id, b.scope) in enabled]


def _recently_notified(customer_ids: set[int], notification_type: str) -> set[int]:
    since = timezone.now() - THROTTLE
    return set(
        Notification.objects.filter(
            customer_id__in=customer_ids,
            type=notification_type,
            channel=Channel.IN_APP,
            created_at__gte=since,
        ).values_list("customer_id", flat=True)
    )


def _public_lead(lead: Lead) -> dict[str, Any]:
    """A lost lead as its losers may see it: which lead and its type, never the winner's contact or price."""
    blank = dict.fromkeys(representations.notification_lead(lead), "")
    lead_type = lead.lead_type.name if lead.lead_type_id else ""
    return {**blank, "public_id": lead.public_id, "lead_type": lead_type, "price": 0}


def _loser_notices(lead: Lead, notification_type: str, bid_ids: list[Any]) -> int:
    """Notify the losing bids (public ids; integer ids from jobs queued by earlier versions)."""
    if not bid_ids:
        return 0
    match = {"pk__in": bid_ids} if isinstance(bid_ids[0], int) else {"public_id__in": bid_ids}
    bids = list(
        Bid.objects.select_related("customer__tenant", "lead_type")
        .filter(tenant_id=lead.tenant_id, **match)
        .order_by("id")
    )
    skip = _recently_notified({b.customer_id for b in bids}, notification_type)
    count = 0
    for bid in bids:
        if bid.customer_id in skip:
            continue
        skip.add(bid.customer_id)
        notify(
            customer=bid.customer,
            type=notification_type,
            context={"lead": _public_lead(lead), "bid": _bid_variables(bid)},
        )
        count += 1
    return count
