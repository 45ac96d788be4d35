"""Return requests: a buyer (or staff on the buyer's behalf) asks to return a sold lead; staff approve it
(the wallet is credited exactly what the lead cost, once) or reject it with a note.

Every lookup starts from the tenant. Refusals are ValidationFailed with field-level messages ("lead",
"reason", "comment"); nothing is written when a refusal is raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from juiced.core.audit import actor_label_for, audit_record
from juiced.core.errors import InvalidState, NotFound, ValidationFailed
from juiced.leads import representations
from juiced.leads.models import Lead, LeadStatus, LeadStatusChange
from juiced.notifications.models import NotificationType
from juiced.notifications.services import notify
from juiced.returns.models import ReturnRequest, ReturnSettings
from juiced.wallets.models import TransactionEvent
from juiced.wallets.services import Related, wallet_credit

RETURNABLE = (LeadStatus.ASSIGNED, LeadStatus.POSTED)
OPEN_MESSAGE = "A return request for this lead is already open."
BULK_MAX = 200


def settings_for(tenant: Any) -> ReturnSettings:
    """The tenant's return settings (through the settings module when it exists)."""
    try:
        from juiced.returns.settings import return_settings_for  # type: ignore[import-not-found]
    except ImportError:
        return ReturnSettings.objects.get_or_create(tenant=tenant)[0]
    return return_settings_for(tenant)


def window_closes_at(*, lead: Lead, settings: ReturnSettings) -> Any:
    """When the lead's return window closes (None when the lead has no sale time)."""
    if lead.assigned_at is None:
        return None
    return lead.assigned_at + timedelta(days=settings.window_days)


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def return_request(
    *,
    tenant: Any,
    lead_id: str,
    reason: str,
    comment: str = "",
    actor: Any = None,
    customer: Any = None,
    now: Any = None,
) -> ReturnRequest:
    """Open a pending return of a sold lead (for `customer` when given: the lead must be theirs)."""
    settings = settings_for(tenant)
    if not settings.returns_enabled:
        raise _refuse("lead", "Returns are turned off for this marketplace.")
    reason = (reason or "").strip()
    comment = (comment or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Pick a reason."]
    elif reason not in (settings.reasons or []):
        errors["reason"] = ["Pick one of the listed reasons."]
    if len(comment) > 2000:
        errors["comment"] = ["Keep the comment to 2000 characters or fewer."]
    lead_id = (lead_id or "").strip()
    if not lead_id:
        errors["lead"] = ["Enter a lead id."]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("customer", "customer__tenant")
            .filter(tenant=tenant, public_id=lead_id)
            .first()
        )
        if customer is not None and (lead is None or lead.customer_id != customer.pk):
            raise _refuse("lead", "No lead with this id was sold to your account.")
        if lead is None:
            raise _refuse("lead", "No lead with this id.")
        if lead.status == LeadStatus.RETURNED:
            raise _refuse("lead", "This lead has already been returned.")
        if lead.status not in RETURNABLE or lead.customer_id is None:
            raise _refuse("lead", "Only a sold lead can be returned.")
        closes = window_closes_at(lead=lead, settings=settings)
        if closes is not None and (now or timezone.now()) > closes:
            closed_on = timezone.localtime(closes).strftime("%b %d, %Y")
            raise _refuse("lead", f"The return window for this lead closed on {closed_on}.")
        if ReturnRequest.objects.filter(lead=lead, status=ReturnRequest.Status.PENDING).exists():
            raise _refuse("lead", OPEN_MESSAGE)
        try:
            with transaction.atomic():
                request = ReturnRequest.objects.create(
                    tenant=tenant,
                    customer=lead.customer,
                    lead=lead,
                    reason=reason,
                    comment=comment,
                    requested_by=actor if getattr(actor, "pk", None) else None,
                    requested_by_label=actor_label_for(actor),
                )
        except IntegrityError:
            raise _refuse("lead", OPEN_MESSAGE) from None
        audit_record(
            tenant=tenant,
            customer=lead.customer,
            actor=actor,
            action="return.requested",
            summary=f"Return of lead {lead.public_id} requested: {reason}",
        )
    return request


def _locked(*, tenant: Any, request_id: str) -> ReturnRequest:
    request = ReturnRequest.objects.select_for_update().filter(tenant=tenant, public_id=request_id).first()
    if request is None:
        raise NotFound("No such return request.")
    return request


def _require_pending(request: ReturnRequest) -> None:
    if request.status != ReturnRequest.Status.PENDING:
        raise InvalidState(f"This return was already {request.get_status_display().lower()}.")


def return_approve(*, tenant: Any, request_id: str, actor: Any = None, note: str = "") -> ReturnRequest:
    """Approve a pending return: credit what the lead cost (once), mark the lead Returned, notify."""
    note = _clean_note(note)
    with transaction.atomic():
        request = _locked(tenant=tenant, request_id=request_id)
        _require_pending(request)
        lead = (
            Lead.objects.select_for_update(of=("self",)).select_related("lead_type").get(pk=request.lead_id)
        )
        if lead.status not in RETURNABLE or lead.customer_id != request.customer_id:
            raise InvalidState("This lead can no longer be returned.")
        customer = request.customer
        txn = None
        if lead.price > 0:
            txn, _replayed = wallet_credit(
                wallet=customer.wallet,
                amount=lead.price,
                event=TransactionEvent.LEAD_RETURNED,
                description=f"Return of lead {lead.public_id} approved",
                actor=actor,
                related=Related("return", request.public_id),
                idempotency_key=f"return-approve-{request.public_id}",
            )
        label = actor_label_for(actor)
        request.status = ReturnRequest.Status.APPROVED
        request.amount = lead.price
        request.transaction = txn
        request.decided_by = actor if getattr(actor, "pk", None) else None
        request.decided_by_label = label
        request.decided_at = timezone.now()
        request.decision_note = note
        request.save(
            update_fields=[
                "status", "amount", "transaction", "decided_by", "decided_by_label", "decided_at",
                "decision_note",
            ]
        )  # fmt: skip
        LeadStatusChange.objects.create(
            tenant_id=lead.tenant_id,
            lead_id=lead.pk,
            from_status=lead.status,
            to_status=LeadStatus.RETURNED,
            reason=f"Returned: {request.reason}"[:300],
            actor=request.decided_by,
            actor_label=label,
        )
        lead.status = LeadStatus.RETURNED
        lead.save(update_fields=["status", "updated_at"])
        audit_record(
            tenant=tenant,
            customer=customer,
            actor=actor,
            action="return.approved",
            summary=f"Return of lead {lead.public_id} approved; {lead.price} cents credited",
        )
        context = {
            "lead": representations.notification_lead(lead),
            "transaction": {
                "public_id": txn.public_id if txn else "",
                "amount": lead.price,
                "kind": TransactionEvent.LEAD_RETURNED.value,
                "description": txn.description if txn else "",
                "balance": txn.balance_after if txn else customer.wallet.balance,
            },
        }
        transaction.on_commit(
            lambda: notify(customer=customer, type=NotificationType.RETURN_APPROVED, context=context)
        )
    return request


def return_reject(*, tenant: Any, request_id: str, actor: Any = None, note: str = "") -> ReturnRequest:
    """Reject a pending return with a note; the buyer is told why (Return Rejected) and sees it."""
    note = _clean_note(note)
    if not note:
        raise _refuse("note", "Tell the buyer why the return is rejected.")
    with transaction.atomic():
        request = _locked(tenant=tenant, request_id=request_id)
        _require_pending(request)
        request.status = ReturnRequest.Status.REJECTED
        request.decided_by = actor if getattr(actor, "pk", None) else None
        request.decided_by_label = actor_label_for(actor)
        request.decided_at = timezone.now()
        request.decision_note = note
        request.save(
            update_fields=["status", "decided_by", "decided_by_label", "decided_at", "decision_note"]
        )
        audit_record(
            tenant=tenant,
            customer=request.customer,
            actor=actor,
            action="return.rejected",
            summary=f"Return {request.public_id} rejected: {note}",
        )
        customer, lead = request.customer, request.lead
        context = {
            "lead": representations.notification_lead(lead),
            "return": {"public_id": request.public_id, "reason": request.reason, "note": note},
        }
        transaction.on_commit(
            lambda: notify(customer=customer, type=NotificationType.RETURN_REJECTED, context=context)
        )
    return request


def return_bulk(
    *, tenant: Any, action: str, request_ids: Iterable[str], actor: Any = None, note: str = ""
) -> dict[str, Any]:
    """Approve or reject many returns, each in its own transaction; reports which failed and why."""
    if action not in ("approve", "reject"):
        raise _refuse("action", "Choose approve or reject.")
    ids = list(dict.fromkeys(i for i in request_ids if i))
    if not ids:
        raise _refuse("ids", "Select at least one return request.")
    if len(ids) > BULK_MAX:
        raise _refuse("ids", f"Select at most {BULK_MAX} return requests at a time.")
    if action == "reject" and not _clean_note(note):
        raise _refuse("note", "Tell the buyers why the returns are rejected.")
    decide = return_approve if action == "approve" else return_reject
    done: list[ReturnRequest] = []
    failed: dict[str, str] = {}
    for request_id in ids:
        try:
            done.append(decide(tenant=tenant, request_id=request_id, actor=actor, note=note))
        except (NotFound, InvalidState, ValidationFailed) as exc:
            failed[request_id] = exc.message
    return {"done": done, "failed": failed}


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > 1000:
        raise _refuse("note", "Keep the note to 1000 characters or fewer.")
    return note
