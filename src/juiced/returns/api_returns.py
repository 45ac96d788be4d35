"""Staff JSON API: return requests (under /api/manage/).

GET /returns (filters), POST /returns (on a buyer's behalf), GET /returns/{ret}, POST /returns/{ret}/approve,
POST /returns/{ret}/reject, POST /returns/bulk. Reads need returns.view, decisions returns.decide.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from juiced.api.auth import access_of
from juiced.api.schemas import ErrorOut
from juiced.core.errors import ValidationFailed
from juiced.returns import selectors, services
from juiced.returns.models import ReturnRequest

router = Router(tags=["Returns"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LIST_MAX = 200


class ReturnIn(Schema):
    lead: str = ""
    reason: str = ""
    comment: str = ""


class DecisionIn(Schema):
    note: str = ""


class BulkIn(Schema):
    action: str = ""
    ids: list[str] = []
    note: str = ""


class ReturnOut(Schema):
    id: str
    object: str
    status: str
    customer: str
    lead: str
    reason: str
    comment: str
    requested_by: str
    amount: int
    transaction: str | None
    decided_by: str
    decided: datetime | None
    note: str
    created: datetime


class ReturnListOut(Schema):
    object: str
    data: list[ReturnOut]


class BulkOut(Schema):
    object: str
    data: list[ReturnOut]
    failed: dict[str, str]


def return_object(request: ReturnRequest) -> dict[str, Any]:
    return {
        "id": request.public_id,
        "object": "return",
        "status": request.status,
        "customer": request.customer.public_id,
        "lead": request.lead.public_id,
        "reason": request.reason,
        "comment": request.comment,
        "requested_by": request.requested_by_label,
        "amount": request.amount,
        "transaction": request.transaction.public_id if request.transaction_id else None,
        "decided_by": request.decided_by_label,
        "decided": request.decided_at,
        "note": request.decision_note,
        "created": request.created_at,
    }


def _fresh(tenant: Any, request: ReturnRequest) -> dict[str, Any]:
    return return_object(selectors.return_get(tenant=tenant, public_id=request.public_id))


@router.get("/returns", response={200: ReturnListOut, **ERRORS}, summary="List return requests")
def list_returns(
    request: HttpRequest,
    status: Literal["pending", "approved", "rejected", "all"] = "pending",
    customer: str = "",
    reason: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
    limit: int = 100,
):
    """Newest first; `status` defaults to pending (`all` for every status); dates are inclusive."""
    access = access_of(request)
    access.require("returns.view")
    if not 1 <= limit <= LIST_MAX:
        raise ValidationFailed.on("limit", f"Use a limit between 1 and {LIST_MAX}.")
    filters = selectors.QueueFilters(
        status="" if status == "all" else status,
        customer=customer,
        reason=reason,
        date_from=created_from,
        date_to=created_to,
    )
    rows = selectors.return_queue(tenant=access.tenant, filters=filters)[:limit]
    return {"object": "list", "data": [return_object(r) for r in rows]}


@router.post("/returns", response={201: ReturnOut, **ERRORS}, summary="Request a return for a buyer")
def create_return(request: HttpRequest, payload: ReturnIn):
    """Opens a pending return of a sold lead on behalf of the customer it was sold to."""
    access = access_of(request)
    access.require("returns.decide")
    created = services.return_request(
        tenant=access.tenant,
        lead_id=payload.lead,
        reason=payload.reason,
        comment=payload.comment,
        actor=access.user,
    )
    return Status(201, _fresh(access.tenant, created))


@router.post("/returns/bulk", response={200: BulkOut, **ERRORS}, summary="Approve or reject many returns")
def bulk_returns(request: HttpRequest, payload: BulkIn):
    """`action` approve or reject (a note is required to reject); `failed` maps ids to why they were not."""
    access = access_of(request)
    access.require("returns.decide")
    result = services.return_bulk(
        tenant=access.tenant,
        action=payload.action,
        request_ids=payload.ids,
        actor=access.user,
        note=payload.note,
    )
    return {
        "object": "list",
        "data": [_fresh(access.tenant, r) for r in result["done"]],
        "failed": result["failed"],
    }


@router.get("/returns/{return_id}", response={200: ReturnOut, **ERRORS}, summary="Get a return request")
def get_return(request: HttpRequest, return_id: str):
    access = access_of(request)
    access.require("returns.view")
    return return_object(selectors.return_get(tenant=access.tenant, public_id=return_id))


@router.post(
    "/returns/{return_id}/approve", response={200: ReturnOut, **ERRORS}, summary="Approve a return request"
)
def approve_return(request: HttpRequest, return_id: str, payload: DecisionIn):
    """Credits exactly what the lead cost; a request already decided answers 409."""
    access = access_of(request)
    access.require("returns.decide")
    approved = services.return_approve(
        tenant=access.tenant, request_id=return_id, actor=access.user, note=payload.note
    )
    return _fresh(access.tenant, approved)


@router.post(
    "/returns/{return_id}/reject", response={200: ReturnOut, **ERRORS}, summary="Reject a return request"
)
def reject_return(request: HttpRequest, return_id: str, payload: DecisionIn):
    """The note (required) is shown to the buyer."""
    access = access_of(request)
    access.require("returns.decide")
    rejected = services.return_reject(
        tenant=access.tenant, request_id=return_id, actor=access.user, note=payload.note
    )
    return _fresh(access.tenant, rejected)
