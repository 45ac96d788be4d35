"""Staff JSON API (under /api/manage/): the return-tier ladder and the tenant's Return Settings.

Reads need returns.view; writes need return_tiers.manage (Admin). Percentages travel as JSON numbers with
at most two decimals (5, 4.99); more decimals are a field-level 422 (a numeric string is still accepted on
input). `return-tiers/recalculate` queues a recalculation and answers 202 with the run's id, which
`jobs/{id}` reports on. Handlers are thin: they call tiers.py, settings.py and recalc.py, whose field-level
messages are the same the dashboard form shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from juiced.api.auth import access_of
from juiced.api.schemas import ErrorOut, StrictInput
from juiced.core.errors import NotFound
from juiced.returns import recalc, tiers
from juiced.returns import settings as return_settings
from juiced.returns.models import ReturnTier, TierRecalculation

router = Router(tags=["Return tiers"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
VIEW = "returns.view"
MANAGE = "return_tiers.manage"


class TierIn(StrictInput):
    name: Any = None
    headline: Any = None
    brief_description: Any = None
    long_description: Any = None
    color: Any = None
    icon: Any = None
    applies_to_new_customers: Any = None
    lower_bound: Any = None
    upper_bound: Any = None
    discount_enabled: Any = None
    discount_percent: Any = None
    penalty_enabled: Any = None
    penalty_matches_return_rate: Any = None
    penalty_percent: Any = None


class TierOut(Schema):
    id: str
    object: str
    name: str
    headline: str
    brief_description: str
    long_description: str
    color: str
    icon: str
    applies_to_new_customers: bool
    lower_bound: float | None
    upper_bound: float | None
    discount_enabled: bool
    discount_percent: float | None
    penalty_enabled: bool
    penalty_matches_return_rate: bool
    penalty_percent: float | None
    position: int
    created: datetime
    updated: datetime


class TierListOut(Schema):
    object: str
    data: list[TierOut]


class OrderIn(StrictInput):
    order: list[str]


class IdsIn(StrictInput):
    ids: list[str]


class JobStartedOut(Schema):
    id: str
    object: str
    status: str


class JobOut(Schema):
    id: str
    object: str
    kind: str
    status: str
    total: int
    processed: int
    changed: int
    error: str | None
    created: datetime
    started: datetime | None
    finished: datetime | None


class DeletedOut(Schema):
    object: str
    deleted: int


class SettingsIn(StrictInput):
    returns_enabled: Any = None
    tiers_enabled: Any = None
    policy_url: Any = None
    return_window_days: Any = None
    reasons: Any = None
    rate_window_days: Any = None


class SettingsOut(Schema):
    object: str
    returns_enabled: bool
    tiers_enabled: bool
    policy_url: str
    return_window_days: int
    reasons: list[str]
    rate_window_days: int | None
    updated: datetime


def _pct(value: Any) -> float | None:
    """A stored 2-place Decimal as a JSON number (5.00 → 5.0, 4.99 → 4.99)."""
    return None if value is None else float(value)


def tier_object(tier: ReturnTier) -> dict[str, Any]:
    return {
        "id": tier.public_id,
        "object": "return_tier",
        **{field: getattr(tier, field) for field in tiers.TIER_FIELDS},
        "lower_bound": _pct(tier.lower_bound),
        "upper_bound": _pct(tier.upper_bound),
        "discount_percent": _pct(tier.discount_percent),
        "penalty_percent": _pct(tier.penalty_percent),
        "position": tier.position,
        "created": tier.created_at,
        "updated": tier.updated_at,
    }


def settings_object(found: Any) -> dict[str, Any]:
    return {
        "object": "return_settings",
        **return_settings.settings_values(found),
        "updated": found.updated_at,
    }


def _access(request: HttpRequest, permission: str):
    access = access_of(request)
    access.require(permission)
    return access


def _list(tenant) -> dict[str, Any]:
    return {"object": "list", "data": [tier_object(t) for t in tiers.tiers_for(tenant=tenant)]}


@router.get("/return-tiers", response={200: TierListOut, **ERRORS}, summary="List return tiers")
def list_tiers(request: HttpRequest):
    """Every tier in display order."""
    return _list(_access(request, VIEW).tenant)


@router.post("/return-tiers", response={201: TierOut, **ERRORS}, summary="Create a return tier")
def create_tier(request: HttpRequest, payload: TierIn):
    """Bounds are half-open [lower, upper), 100 inclusive on top; overlapping tiers are refused (422)."""
    access = _access(request, MANAGE)
    data = payload.model_dump(exclude_unset=True)
    tier = tiers.tier_create(tenant=access.tenant, actor=access.user, data=data)
    return Status(201, tier_object(tier))


@router.post("/return-tiers/order", response={200: TierListOut, **ERRORS}, summary="Reorder return tiers")
def order_tiers(request: HttpRequest, payload: OrderIn):
    """`order`: tier ids top to bottom (display only; unlisted tiers follow in their current order)."""
    access = _access(request, MANAGE)
    tiers.tiers_reorder(tenant=access.tenant, actor=access.user, order=payload.order)
    return _list(access.tenant)


@router.post("/return-tiers/reorder", response={200: TierListOut, **ERRORS}, summary="Reorder (alias)")
def reorder_tiers(request: HttpRequest, payload: OrderIn):
    """The same as POST /return-tiers/order."""
    return order_tiers(request, payload)


@router.post(
    "/return-tiers/bulk-delete", response={200: DeletedOut, **ERRORS}, summary="Delete several return tiers"
)
def bulk_delete_tiers(request: HttpRequest, payload: IdsIn):
    """All or none; their customers have no tier until the next recalculation."""
    access = _access(request, MANAGE)
    count = tiers.tiers_delete(tenant=access.tenant, actor=access.user, public_ids=payload.ids)
    return {"object": "deleted", "deleted": count}


@router.post(
    "/return-tiers/recalculate", response={202: JobStartedOut, **ERRORS}, summary="Recalculate return tiers"
)
def recalculate_tiers(request: HttpRequest):
    """Queue a recalculation of every customer's tier; 409 while one is queued or running."""
    access = _access(request, MANAGE)
    run = recalc.recalculation_request(tenant=access.tenant, actor=access.user)
    return Status(202, {"id": run.public_id, "object": "job", "status": run.status})


def job_object(run: TierRecalculation) -> dict[str, Any]:
    return {
        "id": run.public_id,
        "object": "job",
        "kind": "return_tiers.recalculate",
        "status": run.status,
        "total": run.total,
        "processed": run.processed,
        "changed": run.changed,
        "error": run.error or None,
        "created": run.created_at,
        "started": run.started_at,
        "finished": run.finished_at,
    }


@router.get("/jobs/{job_id}", response={200: JobOut, **ERRORS}, summary="Get a background job's progress")
def get_job(request: HttpRequest, job_id: str):
    """A tier recalculation run of this tenant: status (queued, running, finished, failed) and progress."""
    access = _access(request, VIEW)
    run = TierRecalculation.objects.filter(tenant=access.tenant, public_id=job_id).first()
    if run is None:
        raise NotFound("No such job.")
    return job_object(run)


@router.get("/return-tiers/{tier_id}", response={200: TierOut, **ERRORS}, summary="Get a return tier")
def get_tier(request: HttpRequest, tier_id: str):
    access = _access(request, VIEW)
    return tier_object(tiers.tier_get(tenant=access.tenant, public_id=tier_id))


@router.patch("/return-tiers/{tier_id}", response={200: TierOut, **ERRORS}, summary="Update a return tier")
def update_tier(request: HttpRequest, tier_id: str, payload: TierIn):
    """Only the fields sent change; the whole tier is validated again."""
    access = _access(request, MANAGE)
    tier = tiers.tier_get(tenant=access.tenant, public_id=tier_id)
    data = payload.model_dump(exclude_unset=True)
    return tier_object(tiers.tier_update(tier=tier, actor=access.user, data=data))


@router.delete("/return-tiers/{tier_id}", response={204: None, **ERRORS}, summary="Delete a return tier")
def delete_tier(request: HttpRequest, tier_id: str):
    access = _access(request, MANAGE)
    tier = tiers.tier_get(tenant=access.tenant, public_id=tier_id)
    tiers.tiers_delete(tenant=access.tenant, actor=access.user, public_ids=[tier.public_id])
    return Status(204, None)


@router.get("/return-settings", response={200: SettingsOut, **ERRORS}, summary="Get the return settings")
def get_settings(request: HttpRequest):
    access = _access(request, VIEW)
    return settings_object(return_settings.return_settings_for(access.tenant))


@router.patch("/return-settings", response={200: SettingsOut, **ERRORS}, summary="Update the return settings")
def update_settings(request: HttpRequest, payload: SettingsIn):
    """Admin only. `rate_window_days` null = the return rate over all time."""
    access = _access(request, MANAGE)
    data = payload.model_dump(exclude_unset=True)
    found = return_settings.return_settings_update(tenant=access.tenant, actor=access.user, data=data)
    return settings_object(found)
