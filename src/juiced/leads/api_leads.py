"""Staff JSON API for leads and submissions (under /api/manage/): lists with filters, a lead with its
fields, status history and flow log, reprocess, and a submission with payload and response.
Money is integer cents plus a lowercase "currency"."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from juiced.api.auth import access_of
from juiced.api.schemas import ErrorOut
from juiced.core.errors import InvalidState, ValidationFailed
from juiced.leads import allocation, selectors
from juiced.leads.models import Lead, LeadStatus, Submission

router = Router(tags=["Leads"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_LIMIT = 200


class LeadOut(Schema):
    id: str
    object: str
    status: str
    test: bool
    category: str
    lead_type: str | None
    lead_type_name: str | None
    source: str
    customer: str | None
    bid: str | None
    zip_code: str
    state: str
    county: str
    bid_amount: int
    price: int
    payout: int
    currency: str
    transaction: str | None
    assigned: datetime | None
    created: datetime


class LeadListOut(Schema):
    object: str
    total: int
    data: list[LeadOut]


class LeadDetailOut(LeadOut):
    fields: list[dict[str, Any]]
    status_history: list[dict[str, Any]]
    flow_log: list[dict[str, Any]]


class ReprocessOut(Schema):
    object: str
    status: str
    price: int
    lead: LeadDetailOut


class SubmissionOut(Schema):
    id: str
    object: str
    source: str
    kind: str
    outcome: str
    reason: str
    http_status: int
    test: bool
    lead: str | None
    latency_ms: float
    created: datetime


class SubmissionDetailOut(SubmissionOut):
    payload: Any
    response: Any
    errors: Any


class SubmissionListOut(Schema):
    object: str
    total: int
    data: list[SubmissionOut]


def lead_object(lead: Lead, currency: str) -> dict[str, Any]:
    return {
        "id": lead.public_id,
        "object": "lead",
        "status": lead.status,
        "test": lead.is_test,
        "category": lead.category.public_id,
        "lead_type": lead.lead_type.public_id if lead.lead_type else None,
        "lead_type_name": lead.lead_type.name if lead.lead_type else None,
        "source": lead.source.public_id,
        "customer": lead.customer.public_id if lead.customer else None,
        "bid": lead.bid.public_id if lead.bid_id and lead.bid else None,
        "zip_code": lead.zip_code,
        "state": lead.state,
        "county": lead.county,
        "bid_amount": lead.bid_amount,
        "price": lead.price,
        "payout": lead.payout,
        "currency": currency.lower(),
        "transaction": lead.transaction.public_id if lead.transaction_id and lead.transaction else None,
        "assigned": lead.assigned_at,
        "created": lead.created_at,
    }


def lead_detail_object(lead: Lead, currency: str) -> dict[str, Any]:
    runs = selectors.flow_log(lead=lead)
    return lead_object(lead, currency) | {
        "fields": [asdict(value) for value in selectors.lead_field_values(lead=lead)],
        "status_history": [
            {
                "from": c.from_status,
                "to": c.to_status,
                "reason": c.reason,
                "actor": c.actor_label,
                "created": c.created_at.isoformat(),
            }
            for c in lead.status_changes.all()
        ],  # fmt: skip
        "flow_log": [
            {
                "run": log.run,
                "outcome": log.outcome,
                "created": log.created_at.isoformat(),
                "events": log.events,
            }
            for log, _events in runs
        ],
    }


def submission_object(submission: Submission, *, detail: bool = False) -> dict[str, Any]:
    found = {
        "id": submission.public_id,
        "object": "submission",
        "source": submission.source.public_id,
        "kind": submission.kind,
        "outcome": submission.outcome,
        "reason": submission.reason,
        "http_status": submission.http_status,
        "test": submission.is_test,
        "lead": submission.lead.public_id if submission.lead else None,
        "latency_ms": submission.latency_ms,
        "created": submission.created_at,
    }
    if detail:
        found |= {"payload": submission.payload, "response": submission.response, "errors": submission.errors}
    return found


def _limit(limit: int) -> int:
    if limit < 1 or limit > MAX_LIMIT:
        raise ValidationFailed.on("limit", f"Use a limit from 1 to {MAX_LIMIT}.")
    return limit


@router.get("/leads", response={200: LeadListOut, **ERRORS}, summary="List leads")
def list_leads(
    request: HttpRequest,
    status: str = "",
    lead_type: str = "",
    source: str = "",
    customer: str = "",
    since: date | None = None,
    until: date | None = None,
    test: bool = False,
    limit: int = 50,
    offset: int = 0,
):
    """Newest first; test leads only with `test=true`; `since`/`until` are dates (inclusive)."""
    access = access_of(request)
    access.require("leads.view")
    if status and status not in LeadStatus.values:
        raise ValidationFailed.on(
            "status", "Unknown status; use one of: " + ", ".join(LeadStatus.values) + "."
        )
    filters = selectors.LeadFilters(
        status=status,
        lead_type=lead_type,
        source=source,
        customer=customer,
        since=since,
        until=until,
        test=test,
    )
    leads = selectors.lead_list(tenant=access.tenant, filters=filters).select_related(
        "category", "transaction", "bid"
    )
    page = leads[max(offset, 0) : max(offset, 0) + _limit(limit)]
    currency = access.tenant.currency
    return {"object": "list", "total": leads.count(), "data": [lead_object(lead, currency) for lead in page]}


@router.get(
    "/leads/{lead_id}", response={200: LeadDetailOut, **ERRORS}, summary="Get a lead with its flow log"
)
def get_lead(request: HttpRequest, lead_id: str):
    access = access_of(request)
    access.require("leads.view")
    lead = selectors.lead_get(tenant=access.tenant, public_id=lead_id)
    return lead_detail_object(lead, access.tenant.currency)


@router.post("/leads/{lead_id}/reprocess", response={200: ReprocessOut, **ERRORS}, summary="Reprocess a lead")
def reprocess_lead(request: HttpRequest, lead_id: str):
    """Only unassigned, uncategorized or distribution-error leads; a sold lead is 409."""
    access = access_of(request)
    access.require("leads.reprocess")
    lead = selectors.lead_get(tenant=access.tenant, public_id=lead_id)
    if not selectors.can_reprocess(lead):
        raise InvalidState(f"Only unsold leads can be reprocessed (this one is {lead.get_status_display()}).")
    result = allocation.lead_reprocess(lead=lead, actor=access.user)
    fresh = selectors.lead_get(tenant=access.tenant, public_id=lead_id)
    return {"object": "reprocess", "status": result.status, "price": result.price,
            "lead": lead_detail_object(fresh, access.tenant.currency)}  # fmt: skip


@router.get("/submissions", response={200: SubmissionListOut, **ERRORS}, summary="List submissions")
def list_submissions(
    request: HttpRequest,
    source: str = "",
    kind: str = "",
    outcome: str = "",
    since: date | None = None,
    until: date | None = None,
    limit: int = 50,
    offset: int = 0,
):
    access = access_of(request)
    access.require("leads.view")
    if kind and kind not in Submission.Kind.values:
        raise ValidationFailed.on("kind", "Use ping or post.")
    if outcome and outcome not in Submission.Outcome.values:
        raise ValidationFailed.on("outcome", "Use accepted or rejected.")
    filters = selectors.SubmissionFilters(source=source, kind=kind, outcome=outcome, since=since, until=until)
    rows = selectors.submission_list(tenant=access.tenant, filters=filters)
    page = rows[max(offset, 0) : max(offset, 0) + _limit(limit)]
    return {"object": "list", "total": rows.count(), "data": [submission_object(s) for s in page]}


@router.get(
    "/submissions/{submission_id}", response={200: SubmissionDetailOut, **ERRORS}, summary="Get a submission"
)
def get_submission(request: HttpRequest, submission_id: str):
    access = access_of(request)
    access.require("leads.view")
    return submission_object(
        selectors.submission_get(tenant=access.tenant, public_id=submission_id), detail=True
    )
