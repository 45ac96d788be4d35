"""Staff JSON API for bids (under /api/manage/): list and create a customer's bids, read, change, pause,
resume and archive one, and its history. Thin handlers: tenancy via access_of, rules in leads/bids.py.
Money is integer cents plus a lowercase "currency"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import StrictInt

from juiced.api.auth import access_of
from juiced.api.schemas import ErrorOut, StrictInput
from juiced.leads import bids, selectors
from juiced.leads.models import Bid

router = Router(tags=["Bids"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class BidLimitsIn(StrictInput):
    daily_cap: StrictInt | None = None
    weekly_cap: StrictInt | None = None
    monthly_cap: StrictInt | None = None
    daily_budget: StrictInt | None = None
    weekly_budget: StrictInt | None = None
    monthly_budget: StrictInt | None = None


class BidCreateIn(BidLimitsIn):
    """`lead_type` is the lead type's public id; `scope` county, state or nationwide; `state` a USPS code
    (state and county scopes); `county` a county of that state (county scope); `amount` in cents."""

    lead_type: str
    scope: str
    state: str | None = None
    county: str | None = None
    amount: StrictInt


class BidPatchIn(BidLimitsIn):
    """The amount and the bid-level limits; null clears a limit. Location and lead type are fixed."""

    amount: StrictInt | None = None


class BidStatusOut(Schema):
    display: str
    operational: str
    funding: str
    cap: str
    budget: str


class BidOut(Schema):
    id: str
    object: str
    customer: str
    lead_type: str
    lead_type_name: str
    scope: str
    state: str
    county: str
    location: str
    amount: int
    currency: str
    daily_cap: int | None
    weekly_cap: int | None
    monthly_cap: int | None
    daily_budget: int | None
    weekly_budget: int | None
    monthly_budget: int | None
    paused: bool
    archived: datetime | None
    status: BidStatusOut
    position: str
    competing: int
    top_rival: int | None
    created: datetime
    updated: datetime


class BidListOut(Schema):
    object: str
    data: list[BidOut]


class BidChangeOut(Schema):
    object: str
    action: str
    actor: str
    changes: dict[str, Any]
    created: datetime


class BidHistoryOut(Schema):
    object: str
    data: list[BidChangeOut]


def bid_object(row: selectors.BidRow) -> dict[str, Any]:
    bid = row.bid
    return {
        "id": bid.public_id,
        "object": "bid",
        "customer": bid.customer.public_id,
        "lead_type": bid.lead_type.public_id,
        "lead_type_name": bid.lead_type.name,
        "scope": bid.scope,
        "state": bid.state,
        "county": bid.county,
        "location": row.location,
        "amount": bid.amount,
        "currency": bid.customer.wallet.currency.lower(),
        **{field: getattr(bid, field) for field in bids.LIMIT_FIELDS},
        "paused": bid.is_paused,
        "archived": bid.archived_at,
        "status": {
            "display": row.statuses.display,
            "operational": row.statuses.operational,
            "funding": row.statuses.funding,
            "cap": row.statuses.cap,
            "budget": row.statuses.budget,
        },
        "position": row.standing.position,
        "competing": row.standing.competing,
        "top_rival": row.standing.top_other,
        "created": bid.created_at,
        "updated": bid.updated_at,
    }


def _one(request: HttpRequest, bid_id: str, permission: str = "bids.view") -> Bid:
    access = access_of(request)
    access.require(permission)
    return selectors.tenant_bid(tenant=access.tenant, public_id=bid_id)


def _answer(request: HttpRequest, bid: Bid) -> dict[str, Any]:
    fresh = selectors.tenant_bid(tenant=access_of(request).tenant, public_id=bid.public_id)
    return bid_object(selectors.bid_rows(tenant=access_of(request).tenant, bids=[fresh])[0])


@router.get(
    "/customers/{customer_id}/bids", response={200: BidListOut, **ERRORS}, summary="List a customer's bids"
)
def list_customer_bids(request: HttpRequest, customer_id: str, include_archived: bool = False):
    """Live bids (archived ones too with `include_archived`), each with its statuses and position."""
    access = access_of(request)
    customer = access.customer(customer_id, permission="bids.view")
    rows = selectors.bid_rows(
        tenant=access.tenant,
        bids=selectors.customer_bids(customer=customer, include_archived=include_archived),
    )
    return {"object": "list", "data": [bid_object(row) for row in rows]}


@router.post("/customers/{customer_id}/bids", response={201: BidOut, **ERRORS}, summary="Place a bid")
def create_customer_bid(request: HttpRequest, customer_id: str, payload: BidCreateIn):
    access = access_of(request)
    access.require("bids.edit")
    customer = access.customer(customer_id, permission="bids.view")
    bid = bids.bid_create(
        tenant=access.tenant,
        customer=customer,
        actor=access.user,
        data=payload.model_dump(exclude_unset=True),
    )
    return Status(201, _answer(request, bid))


@router.get("/bids/{bid_id}", response={200: BidOut, **ERRORS}, summary="Get a bid")
def get_bid(request: HttpRequest, bid_id: str):
    return _answer(request, _one(request, bid_id))


@router.patch("/bids/{bid_id}", response={200: BidOut, **ERRORS}, summary="Change a bid's amount or limits")
def update_bid(request: HttpRequest, bid_id: str, payload: BidPatchIn):
    bid = _one(request, bid_id, "bids.edit")
    bids.bid_update(bid=bid, actor=access_of(request).user, data=payload.model_dump(exclude_unset=True))
    return _answer(request, bid)


@router.delete("/bids/{bid_id}", response={200: BidOut, **ERRORS}, summary="Archive a bid")
def archive_bid(request: HttpRequest, bid_id: str):
    """Archiving is the delete: the bid never competes again; its history stays."""
    bid = _one(request, bid_id, "bids.edit")
    bids.bid_archive(bid=bid, actor=access_of(request).user)
    return _answer(request, bid)


@router.post("/bids/{bid_id}/pause", response={200: BidOut, **ERRORS}, summary="Pause a bid")
def pause_bid(request: HttpRequest, bid_id: str):
    bid = _one(request, bid_id, "bids.edit")
    bids.bid_pause(bid=bid, actor=access_of(request).user)
    return _answer(request, bid)


@router.post("/bids/{bid_id}/resume", response={200: BidOut, **ERRORS}, summary="Resume a bid")
def resume_bid(request: HttpRequest, bid_id: str):
    bid = _one(request, bid_id, "bids.edit")
    bids.bid_resume(bid=bid, actor=access_of(request).user)
    return _answer(request, bid)


@router.get("/bids/{bid_id}/history", response={200: BidHistoryOut, **ERRORS}, summary="A bid's history")
def bid_history(request: HttpRequest, bid_id: str):
    bid = _one(request, bid_id)
    rows = selectors.bid_history(bid=bid)
    data = [
        {"object": "bid_change", "action": c.action, "actor": c.actor_label, "changes": c.changes,
         "created": c.created_at}
        for c in rows
    ]  # fmt: skip
    return {"object": "list", "data": data}
