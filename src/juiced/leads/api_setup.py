"""Staff JSON API for lead setup (under /api/manage/): lead categories and their fields, lead types and their
bidding settings, sources (credentials, tokens, pricing), duplicate rules and the Leads & bidding settings.

Handlers are thin: they check the permission, load the record from the caller's tenant (another tenant's
id is a 404), call a service, and shape the answer. Money is integer cents plus "currency". A source's
secret and a bearer token appear only in the answer that created them.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictInt

from juiced.api.auth import access_of
from juiced.api.schemas import ErrorOut, StrictInput
from juiced.core.errors import ValidationFailed
from juiced.core.tenancy import StaffAccess
from juiced.leads import matching, setup, setup_selectors
from juiced.leads.models import (
    CategoryField,
    DuplicateRule,
    LeadCategory,
    LeadSettings,
    LeadType,
    LeadTypePricing,
    Scope,
    Source,
    SourcePricing,
    SourceToken,
)
from juiced.leads.tenant_settings import lead_settings_for

router = Router(tags=["Lead setup"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
TYPES_PERMISSION = "lead_types.manage"
SOURCES_PERMISSION = "sources.manage"
SETTINGS_PERMISSION = "settings.manage"


def _access(request: HttpRequest, permission: str) -> StaffAccess:
    access = access_of(request)
    access.require(permission)
    return access


def _data(payload: Schema) -> dict[str, Any]:
    return payload.model_dump(exclude_unset=True)


# --- shapes ---------------------------------------------------------------------------------------------


class CategoryIn(StrictInput):
    name: str | None = None
    description: str | None = None


class FieldIn(StrictInput):
    key: str | None = None
    label: str | None = None
    field_type: str | None = None
    options: list[str] | None = None
    required_for_ping: StrictBool | None = None
    required_for_post: StrictBool | None = None
    deliverable: StrictBool | None = None


class MoveIn(StrictInput):
    direction: str


class LeadTypeIn(StrictInput):
    category: str | None = None
    name: str | None = None
    description: str | None = None
    is_fallback: StrictBool | None = None
    conditions: list[Any] | None = None


class ScopePricingIn(StrictInput):
    enabled: StrictBool | None = None
    fixed_price: StrictBool | None = None
    minimum: StrictInt | None = None
    maximum: StrictInt | None = None
    step: StrictInt | None = None


class PricingIn(StrictInput):
    county: ScopePricingIn | None = None
    state: ScopePricingIn | None = None
    nationwide: ScopePricingIn | None = None


class MatchIn(StrictInput):
    values: dict[str, Any]


class SourceIn(StrictInput):
    name: str | None = None
    kind: str | None = None
    default_category: str | None = None
    payout_percent: Decimal | None = None
    test_mode: StrictBool | None = None
    active: StrictBool | None = None
    rate_limit_per_minute: StrictInt | None = None


class SourcePriceIn(StrictInput):
    kind: str = "fallback"
    price: StrictInt | None = None


class CopyIn(StrictInput):
    from_source: str


class RuleIn(StrictInput):
    category: str | None = None
    source: str | None = None
    fields: list[str] | None = None
    lookback_days: StrictInt | None = None
    apply_to_pings: StrictBool | None = None
    ignore_punctuation: StrictBool | None = None
    case_sensitive: StrictBool | None = None
    active: StrictBool | None = None


class SettingsIn(StrictInput):
    ping_expiry_minutes: StrictInt | None = None
    ping_max_offers: StrictInt | None = None
    smart_pricing: StrictBool | None = None
    bid_lock: StrictBool | None = None
    bid_limits_enabled: StrictBool | None = None
    default_rate_limit_per_minute: StrictInt | None = None


class FieldOut(Schema):
    id: str
    object: str
    key: str
    label: str
    field_type: str
    options: list[str]
    base: bool
    required_for_ping: bool
    required_for_post: bool
    deliverable: bool
    position: int


class CategoryOut(Schema):
    id: str
    object: str
    name: str
    description: str
    archived: bool
    fields: list[FieldOut]
    created: datetime
    updated: datetime


class ScopePricingOut(Schema):
    scope: str
    enabled: bool
    fixed_price: bool
    minimum: int
    maximum: int | None
    step: int
    currency: str


class LeadTypeOut(Schema):
    id: str
    object: str
    category: str
    name: str
    description: str
    position: int
    is_fallback: bool
    conditions: list[Any]
    archived: bool
    pricing: list[ScopePricingOut]
    created: datetime
    updated: datetime


class MatchOut(Schema):
    object: str
    lead_type: str | None
    name: str | None
    uncategorized: bool


class TokenOut(Schema):
    id: str
    object: str
    prefix: str
    token: str | None = None
    live: bool
    created: datetime
    expires: datetime | None


class SourcePriceOut(Schema):
    lead_type: str
    name: str
    kind: str | None
    price: int | None
    currency: str


class SourceOut(Schema):
    id: str
    object: str
    name: str
    kind: str
    api_key: str
    api_secret: str | None = None
    default_category: str | None
    payout_percent: str
    test_mode: bool
    active: bool
    deleted: bool
    rate_limit_per_minute: int | None
    tokens: list[TokenOut]
    created: datetime
    updated: datetime


class RuleOut(Schema):
    id: str
    object: str
    category: str
    source: str | None
    fields: list[str]
    lookback_days: int
    apply_to_pings: bool
    ignore_punctuation: bool
    case_sensitive: bool
    active: bool
    created: datetime


class SettingsOut(Schema):
    object: str
    ping_expiry_minutes: int
    ping_max_offers: int
    smart_pricing: bool
    bid_lock: bool
    bid_limits_enabled: bool
    default_rate_limit_per_minute: int


def _list_of(schema: type[Schema]) -> type[Schema]:
    return type(
        f"{schema.__name__[:-3]}ListOut",
        (Schema,),
        {"__annotations__": {"object": str, "data": list[schema]}},
    )


CategoryListOut = _list_of(CategoryOut)
FieldListOut = _list_of(FieldOut)
LeadTypeListOut = _list_of(LeadTypeOut)
SourceListOut = _list_of(SourceOut)
TokenListOut = _list_of(TokenOut)
SourcePriceListOut = _list_of(SourcePriceOut)
RuleListOut = _list_of(RuleOut)


# --- objects --------------------------------------------------------------------------------------------


def field_object(field: CategoryField) -> dict[str, Any]:
    return {
        "id": field.public_id,
        "object": "lead_field",
        "key": field.key,
        "label": field.label,
        "field_type": field.field_type,
        "options": list(field.options or []),
        "base": field.is_base,
        "required_for_ping": field.required_for_ping,
        "required_for_post": field.required_for_post,
        "deliverable": field.deliverable,
        "position": field.position,
    }


def category_object(category: LeadCategory) -> dict[str, Any]:
    return {
        "id": category.public_id,
        "object": "lead_category",
        "name": category.name,
        "description": category.description,
        "archived": category.archived_at is not None,
        "fields": [field_object(f) for f in setup_selectors.category_fields(category=category)],
        "created": category.created_at,
        "updated": category.updated_at,
    }


def scope_object(scope: str, row: LeadTypePricing | None, currency: str) -> dict[str, Any]:
    row = row or LeadTypePricing(scope=scope)
    return {
        "scope": scope,
        "enabled": row.enabled,
        "fixed_price": row.fixed_price,
        "minimum": row.minimum,
        "maximum": None if row.fixed_price else row.maximum,
        "step": row.step,
        "currency": currency,
    }


def lead_type_object(lead_type: LeadType, currency: str) -> dict[str, Any]:
    pricing = setup_selectors.lead_type_pricing(lead_type=lead_type)
    return {
        "id": lead_type.public_id,
        "object": "lead_type",
        "category": lead_type.category.public_id,
        "name": lead_type.name,
        "description": lead_type.description,
        "position": lead_type.position,
        "is_fallback": lead_type.is_fallback,
        "conditions": lead_type.conditions or [],
        "archived": lead_type.archived_at is not None,
        "pricing": [scope_object(scope, row, currency) for scope, row in pricing.items()],
        "created": lead_type.created_at,
        "updated": lead_type.updated_at,
    }


def token_object(token: SourceToken, raw: str | None = None) -> dict[str, Any]:
    return {
        "id": token.public_id,
        "object": "source_token",
        "prefix": token.prefix,
        "token": raw,
        "live": setup_selectors.token_is_live(token),
        "created": token.created_at,
        "expires": token.expires_at,
    }


def source_object(source: Source, *, secret: str | None = None) -> dict[str, Any]:
    return {
        "id": source.public_id,
        "object": "source",
        "name": source.name,
        "kind": source.kind,
        "api_key": source.api_key,
        "api_secret": secret,
        "default_category": source.default_category.public_id if source.default_category_id else None,
        "payout_percent": f"{Decimal(source.payout_percent):.2f}",
        "test_mode": source.test_mode,
        "active": source.is_active,
        "deleted": source.deleted_at is not None,
        "rate_limit_per_minute": source.rate_limit_per_minute,
        "tokens": [token_object(t) for t in setup_selectors.source_tokens(source=source)],
        "created": source.created_at,
        "updated": source.updated_at,
    }


def source_price_object(lead_type: LeadType, row: SourcePricing | None, currency: str) -> dict[str, Any]:
    return {
        "lead_type": lead_type.public_id,
        "name": lead_type.name,
        "kind": row.kind if row else None,
        "price": row.price if row else None,
        "currency": currency,
    }


def rule_object(rule: DuplicateRule) -> dict[str, Any]:
    return {
        "id": rule.public_id,
        "object": "duplicate_rule",
        "category": rule.category.public_id,
        "source": rule.source.public_id if rule.source_id else None,
        "fields": list(rule.fields or []),
        "lookback_days": rule.lookback_days,
        "apply_to_pings": rule.apply_to_pings,
        "ignore_punctuation": rule.ignore_punctuation,
        "case_sensitive": rule.case_sensitive,
        "active": rule.is_active,
        "created": rule.created_at,
    }


def settings_object(row: LeadSettings) -> dict[str, Any]:
    return {"object": "lead_settings", **{field: getattr(row, field) for field in setup.SETTINGS_FIELDS}}


def _currency(access: StaffAccess) -> str:
    return access.tenant.currency.lower()


def _renamed(data: dict[str, Any], **names: str) -> dict[str, Any]:
    """API names → service names (`active` → `is_active`)."""
    return {names.get(key, key): value for key, value in data.items()}


# --- lead categories and fields -------------------------------------------------------------------------

CATEGORIES = "/lead-categories"
CATEGORY = CATEGORIES + "/{category_id}"
FIELDS = CATEGORY + "/fields"
FIELD = FIELDS + "/{field_id}"


@router.get(CATEGORIES, response={200: CategoryListOut, **ERRORS}, summary="List lead categories")
def list_categories(request: HttpRequest, archived: bool = False):
    """Live categories; `?archived=true` lists archived ones too."""
    access = _access(request, TYPES_PERMISSION)
    found = setup_selectors.categories(tenant=access.tenant, include_archived=archived)
    return {"object": "list", "data": [category_object(c) for c in found]}


@router.post(CATEGORIES, response={201: CategoryOut, **ERRORS}, summary="Create a lead category")
def create_category(request: HttpRequest, payload: CategoryIn):
    """Creates the category with its ten base fields (first_name … county)."""
    access = _access(request, TYPES_PERMISSION)
    category = setup.category_create(tenant=access.tenant, actor=access.user, data=_data(payload))
    return Status(201, category_object(category))


def _category(request: HttpRequest, category_id: str) -> tuple[StaffAccess, LeadCategory]:
    access = _access(request, TYPES_PERMISSION)
    return access, setup_selectors.category_get(tenant=access.tenant, public_id=category_id)


@router.get(CATEGORY, response={200: CategoryOut, **ERRORS}, summary="Get a lead category")
def get_category(request: HttpRequest, category_id: str):
    return category_object(_category(request, category_id)[1])


@router.patch(CATEGORY, response={200: CategoryOut, **ERRORS}, summary="Update a lead category")
def update_category(request: HttpRequest, category_id: str, payload: CategoryIn):
    access, category = _category(request, category_id)
    return category_object(setup.category_update(category=category, actor=access.user, data=_data(payload)))


@router.delete(CATEGORY, response={200: CategoryOut, **ERRORS}, summary="Archive a lead category")
def archive_category(request: HttpRequest, category_id: str):
    access, category = _category(request, category_id)
    return category_object(setup.category_archive(category=category, actor=access.user))


@router.post(CATEGORY + "/restore", response={200: CategoryOut, **ERRORS}, summary="Restore a lead category")
def restore_category(request: HttpRequest, category_id: str):
    access, category = _category(request, category_id)
    return category_object(setup.category_restore(category=category, actor=access.user))


@router.get(FIELDS, response={200: FieldListOut, **ERRORS}, summary="List a category's fields")
def list_fields(request: HttpRequest, category_id: str):
    _access_, category = _category(request, category_id)
    return {
        "object": "list",
        "data": [field_object(f) for f in setup_selectors.category_fields(category=category)],
    }


@router.post(FIELDS, response={201: FieldOut, **ERRORS}, summary="Add a custom field")
def create_field(request: HttpRequest, category_id: str, payload: FieldIn):
    """`field_type`: text, number, email, phone, zip, state, date, boolean, select, multi_select, currency,
    url; `options` is required for select and multi_select."""
    access, category = _category(request, category_id)
    field = setup.category_field_create(category=category, actor=access.user, data=_data(payload))
    return Status(201, field_object(field))


def _field(request: HttpRequest, category_id: str, field_id: str) -> tuple[StaffAccess, CategoryField]:
    access, category = _category(request, category_id)
    return access, setup_selectors.category_field_get(category=category, public_id=field_id)


@router.get(FIELD, response={200: FieldOut, **ERRORS}, summary="Get a field")
def get_field(request: HttpRequest, category_id: str, field_id: str):
    return field_object(_field(request, category_id, field_id)[1])


@router.patch(FIELD, response={200: FieldOut, **ERRORS}, summary="Update a field")
def update_field(request: HttpRequest, category_id: str, field_id: str, payload: FieldIn):
    """Base fields keep their key and type; zip stays required."""
    access, field = _field(request, category_id, field_id)
    return field_object(setup.category_field_update(field=field, actor=access.user, data=_data(payload)))


@router.post(FIELD + "/move", response={200: FieldListOut, **ERRORS}, summary="Move a field up or down")
def move_field(request: HttpRequest, category_id: str, field_id: str, payload: MoveIn):
    access, field = _field(request, category_id, field_id)
    setup.category_field_move(field=field, actor=access.user, direction=payload.direction)
    fields = setup_selectors.category_fields(category=field.category)
    return {"object": "list", "data": [field_object(f) for f in fields]}


@router.delete(FIELD, response={204: None, **ERRORS}, summary="Remove a custom field")
def delete_field(request: HttpRequest, category_id: str, field_id: str):
    """Refused (409) for base fields and for fields used by a lead type's conditions or a duplicate rule."""
    access, field = _field(request, category_id, field_id)
    setup.category_field_delete(field=field, actor=access.user)
    return Status(204, None)


# --- lead types -----------------------------------------------------------------------------------------

LEAD_TYPES = "/lead-types"
LEAD_TYPE = LEAD_TYPES + "/{lead_type_id}"


@router.get(LEAD_TYPES, response={200: LeadTypeListOut, **ERRORS}, summary="List lead types")
def list_lead_types(request: HttpRequest, category: str | None = None, archived: bool = False):
    """In evaluation order; `?category=cat_…` narrows to one category."""
    access = _access(request, TYPES_PERMISSION)
    chosen = setup_selectors.category_get(tenant=access.tenant, public_id=category) if category else None
    found = setup_selectors.lead_types(tenant=access.tenant, category=chosen, include_archived=archived)
    currency = _currency(access)
    return {"object": "list", "data": [lead_type_object(t, currency) for t in found]}


@router.post(LEAD_TYPES, response={201: LeadTypeOut, **ERRORS}, summary="Create a lead type")
def create_lead_type(request: HttpRequest, payload: LeadTypeIn):
    """`conditions`: a list of groups (OR), each a list of {field, op, value} (AND); `in`/`not_in` take a
    list. New types come last in the order with every scope disabled (set them with PUT …/pricing)."""
    access = _access(request, TYPES_PERMISSION)
    data = _data(payload)
    category_id = data.pop("category", None)
    if not category_id:
        raise ValidationFailed.on("category", "This field is required.")
    category = setup_selectors.categories(tenant=access.tenant, include_archived=True).filter(
        public_id=category_id
    )
    found = category.first()
    if found is None:
        raise ValidationFailed.on("category", "Choose a lead category of this account.")
    lead_type = setup.lead_type_create(category=found, actor=access.user, data=data)
    return Status(201, lead_type_object(lead_type, _currency(access)))


def _lead_type(request: HttpRequest, lead_type_id: str) -> tuple[StaffAccess, LeadType]:
    access = _access(request, TYPES_PERMISSION)
    return access, setup_selectors.lead_type_get(tenant=access.tenant, public_id=lead_type_id)


@router.get(LEAD_TYPE, response={200: LeadTypeOut, **ERRORS}, summary="Get a lead type")
def get_lead_type(request: HttpRequest, lead_type_id: str):
    access, lead_type = _lead_type(request, lead_type_id)
    return lead_type_object(lead_type, _currency(access))


@router.patch(LEAD_TYPE, response={200: LeadTypeOut, **ERRORS}, summary="Update a lead type")
def update_lead_type(request: HttpRequest, lead_type_id: str, payload: LeadTypeIn):
    """The category cannot change; making a type the fallback clears its conditions."""
    access, lead_type = _lead_type(request, lead_type_id)
    data = _data(payload)
    if "category" in data and data.pop("category") != lead_type.category.public_id:
        raise ValidationFailed.on(
            "category", "A lead type's category cannot change: archive it and add a new one."
        )
    updated = setup.lead_type_update(lead_type=lead_type, actor=access.user, data=data)
    return lead_type_object(updated, _currency(access))


@router.delete(LEAD_TYPE, response={200: LeadTypeOut, **ERRORS}, summary="Archive a lead type")
def archive_lead_type(request: HttpRequest, lead_type_id: str):
    """New leads stop matching it and its live bids are archived."""
    access, lead_type = _lead_type(request, lead_type_id)
    return lead_type_object(
        setup.lead_type_archive(lead_type=lead_type, actor=access.user), _currency(access)
    )


@router.post(LEAD_TYPE + "/restore", response={200: LeadTypeOut, **ERRORS}, summary="Restore a lead type")
def restore_lead_type(request: HttpRequest, lead_type_id: str):
    access, lead_type = _lead_type(request, lead_type_id)
    return lead_type_object(
        setup.lead_type_restore(lead_type=lead_type, actor=access.user), _currency(access)
    )


@router.post(LEAD_TYPE + "/move", response={200: LeadTypeOut, **ERRORS}, summary="Move a lead type")
def move_lead_type(request: HttpRequest, lead_type_id: str, payload: MoveIn):
    """`{"direction": "up"}` tries the type earlier; `"down"` later."""
    access, lead_type = _lead_type(request, lead_type_id)
    moved = setup.lead_type_move(lead_type=lead_type, actor=access.user, direction=payload.direction)
    return lead_type_object(moved, _currency(access))


@router.get(
    LEAD_TYPE + "/pricing", response={200: list[ScopePricingOut], **ERRORS}, summary="Bidding settings"
)
def get_lead_type_pricing(request: HttpRequest, lead_type_id: str):
    access, lead_type = _lead_type(request, lead_type_id)
    pricing = setup_selectors.lead_type_pricing(lead_type=lead_type)
    return [scope_object(scope, row, _currency(access)) for scope, row in pricing.items()]


@router.put(
    LEAD_TYPE + "/pricing", response={200: list[ScopePricingOut], **ERRORS}, summary="Set bidding settings"
)
def put_lead_type_pricing(request: HttpRequest, lead_type_id: str, payload: PricingIn):
    """Per scope (county, state, nationwide): enabled, fixed_price, minimum, maximum, step in cents. Range
    pricing needs minimum > 0, step > 0, maximum ≥ minimum on the step grid; fixed pricing uses minimum."""
    access, lead_type = _lead_type(request, lead_type_id)
    data = {scope: values for scope, values in _data(payload).items() if values is not None}
    saved = setup.lead_type_pricing_update(lead_type=lead_type, actor=access.user, data=data)
    return [scope_object(scope, saved.get(scope), _currency(access)) for scope in Scope.values]


@router.post(
    "/lead-categories/{category_id}/match", response={200: MatchOut, **ERRORS}, summary="Test matching"
)
def match_lead_type(request: HttpRequest, category_id: str, payload: MatchIn):
    """Which lead type of the category sample `values` would get (null: Uncategorized)."""
    _access_, category = _category(request, category_id)
    matched = matching.match_lead_type(setup_selectors.category_type_rules(category), payload.values)
    lead_type = LeadType.objects.filter(pk=matched).first() if matched else None
    return {
        "object": "lead_type_match",
        "lead_type": lead_type.public_id if lead_type else None,
        "name": lead_type.name if lead_type else None,
        "uncategorized": lead_type is None,
    }


# --- sources --------------------------------------------------------------------------------------------

SOURCES = "/sources"
SOURCE = SOURCES + "/{source_id}"


@router.get(SOURCES, response={200: SourceListOut, **ERRORS}, summary="List sources")
def list_sources(request: HttpRequest, deleted: bool = False):
    """Deleted sources are hidden unless `?deleted=true`."""
    access = _access(request, SOURCES_PERMISSION)
    found = setup_selectors.sources(tenant=access.tenant, include_deleted=deleted)
    return {"object": "list", "data": [source_object(s) for s in found]}


@router.post(SOURCES, response={201: SourceOut, **ERRORS}, summary="Create a source")
def create_source(request: HttpRequest, payload: SourceIn):
    """`kind` internal (default) or vendor; `default_category` a category id; `payout_percent` 0–100.
    The answer holds `api_secret`, shown this once (only its hash is stored)."""
    access = _access(request, SOURCES_PERMISSION)
    data = _renamed(_data(payload), active="is_active")
    source, secret = setup.source_create(tenant=access.tenant, actor=access.user, data=data)
    return Status(201, source_object(source, secret=secret))


def _source(request: HttpRequest, source_id: str) -> tuple[StaffAccess, Source]:
    access = _access(request, SOURCES_PERMISSION)
    return access, setup_selectors.source_get(tenant=access.tenant, public_id=source_id)


@router.get(SOURCE, response={200: SourceOut, **ERRORS}, summary="Get a source")
def get_source(request: HttpRequest, source_id: str):
    return source_object(_source(request, source_id)[1])


@router.patch(SOURCE, response={200: SourceOut, **ERRORS}, summary="Update a source")
def update_source(request: HttpRequest, source_id: str, payload: SourceIn):
    """`active: false` pauses the source (its calls get 401) and `true` resumes it."""
    access, source = _source(request, source_id)
    data = _renamed(_data(payload), active="is_active")
    return source_object(setup.source_update(source=source, actor=access.user, data=data))


@router.delete(SOURCE, response={200: SourceOut, **ERRORS}, summary="Delete a source")
def delete_source(request: HttpRequest, source_id: str):
    """A soft delete: its credentials stop at once; its leads and submissions keep naming it."""
    access, source = _source(request, source_id)
    return source_object(setup.source_delete(source=source, actor=access.user))


@router.post(SOURCE + "/rotate-secret", response={200: SourceOut, **ERRORS}, summary="Rotate the API secret")
def rotate_source_secret(request: HttpRequest, source_id: str):
    """A new `api_secret`, shown this once; the old one stops at once."""
    access, source = _source(request, source_id)
    secret = setup.source_secret_rotate(source=source, actor=access.user)
    source.refresh_from_db()
    return source_object(source, secret=secret)


@router.get(SOURCE + "/tokens", response={200: TokenListOut, **ERRORS}, summary="List bearer tokens")
def list_source_tokens(request: HttpRequest, source_id: str):
    _access_, source = _source(request, source_id)
    return {"object": "list", "data": [token_object(t) for t in setup_selectors.source_tokens(source=source)]}


@router.post(SOURCE + "/tokens", response={201: TokenOut, **ERRORS}, summary="Create a bearer token")
def create_source_token(request: HttpRequest, source_id: str):
    """The answer holds `token` (jst_…), shown this once."""
    access, source = _source(request, source_id)
    token, raw = setup.source_token_create(source=source, actor=access.user)
    return Status(201, token_object(token, raw))


@router.post(SOURCE + "/tokens/rotate", response={201: TokenOut, **ERRORS}, summary="Rotate the bearer token")
def rotate_source_token(request: HttpRequest, source_id: str):
    """A new token (shown this once); every older live token keeps working for 24 hours."""
    access, source = _source(request, source_id)
    token, raw = setup.source_token_rotate(source=source, actor=access.user)
    return Status(201, token_object(token, raw))


@router.delete(SOURCE + "/tokens/{token_id}", response={200: TokenOut, **ERRORS}, summary="Revoke a token")
def revoke_source_token(request: HttpRequest, source_id: str, token_id: str):
    access, source = _source(request, source_id)
    token = setup_selectors.source_token_get(source=source, public_id=token_id)
    token.source = source
    return token_object(setup.source_token_revoke(token=token, actor=access.user))


def _price_list(source: Source, currency: str) -> dict[str, Any]:
    rows = setup_selectors.source_pricing_rows(source=source)
    return {
        "object": "list",
        "data": [source_price_object(r["lead_type"], r["pricing"], currency) for r in rows],
    }


@router.get(SOURCE + "/pricing", response={200: SourcePriceListOut, **ERRORS}, summary="Source pricing")
def get_source_pricing(request: HttpRequest, source_id: str):
    """Every lead type of the source's category with its Fixed or Fallback price (null: none)."""
    access, source = _source(request, source_id)
    return _price_list(source, _currency(access))


@router.put(
    SOURCE + "/pricing",
    response={200: SourcePriceListOut, **ERRORS},
    summary="Set source pricing",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": SourcePriceIn.model_json_schema()}
                }
            }
        }
    },
)
def put_source_pricing(request: HttpRequest, source_id: str):
    """Keyed by lead type id: {"ltype_…": {"kind": "fixed" | "fallback", "price": cents}}; a null price (or
    null) clears it. Lead types not named keep their price."""
    access, source = _source(request, source_id)
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise ValidationFailed("The request body is not valid JSON.") from None
    setup.source_pricing_update(source=source, actor=access.user, data=data)
    return _price_list(source, _currency(access))


@router.post(SOURCE + "/pricing/copy", response={200: SourcePriceListOut, **ERRORS}, summary="Copy pricing")
def copy_source_pricing(request: HttpRequest, source_id: str, payload: CopyIn):
    """Copies another source's prices only for this source's lead types that have no price yet."""
    access, source = _source(request, source_id)
    setup.source_pricing_copy(source=source, actor=access.user, from_source_id=payload.from_source)
    return _price_list(source, _currency(access))


# --- duplicate rules ------------------------------------------------------------------------------------

RULES = "/duplicate-rules"
RULE = RULES + "/{rule_id}"


@router.get(RULES, response={200: RuleListOut, **ERRORS}, summary="List duplicate rules")
def list_rules(request: HttpRequest, category: str | None = None):
    access = _access(request, TYPES_PERMISSION)
    chosen = setup_selectors.category_get(tenant=access.tenant, public_id=category) if category else None
    return {
        "object": "list",
        "data": [
            rule_object(r) for r in setup_selectors.duplicate_rules(tenant=access.tenant, category=chosen)
        ],
    }


@router.post(RULES, response={201: RuleOut, **ERRORS}, summary="Create a duplicate rule")
def create_rule(request: HttpRequest, payload: RuleIn):
    """`fields`: keys of the category that must all match; `lookback_days` 1–3650; `source` optional."""
    access = _access(request, TYPES_PERMISSION)
    data = _renamed(_data(payload), active="is_active")
    return Status(
        201, rule_object(setup.duplicate_rule_create(tenant=access.tenant, actor=access.user, data=data))
    )


def _rule(request: HttpRequest, rule_id: str) -> tuple[StaffAccess, DuplicateRule]:
    access = _access(request, TYPES_PERMISSION)
    return access, setup_selectors.duplicate_rule_get(tenant=access.tenant, public_id=rule_id)


@router.get(RULE, response={200: RuleOut, **ERRORS}, summary="Get a duplicate rule")
def get_rule(request: HttpRequest, rule_id: str):
    return rule_object(_rule(request, rule_id)[1])


@router.patch(RULE, response={200: RuleOut, **ERRORS}, summary="Update a duplicate rule")
def update_rule(request: HttpRequest, rule_id: str, payload: RuleIn):
    access, rule = _rule(request, rule_id)
    data = _renamed(_data(payload), active="is_active")
    return rule_object(setup.duplicate_rule_update(rule=rule, actor=access.user, data=data))


@router.delete(RULE, response={204: None, **ERRORS}, summary="Delete a duplicate rule")
def delete_rule(request: HttpRequest, rule_id: str):
    access, rule = _rule(request, rule_id)
    setup.duplicate_rule_delete(rule=rule, actor=access.user)
    return Status(204, None)


# --- settings -------------------------------------------------------------------------------------------


@router.get("/lead-settings", response={200: SettingsOut, **ERRORS}, summary="Leads & bidding settings")
def get_lead_settings(request: HttpRequest):
    access = _access(request, SETTINGS_PERMISSION)
    return settings_object(lead_settings_for(access.tenant))


@router.patch(
    "/lead-settings", response={200: SettingsOut, **ERRORS}, summary="Change Leads & bidding settings"
)
def update_lead_settings(request: HttpRequest, payload: SettingsIn):
    """ping_expiry_minutes 1–1440, ping_max_offers 1–50, default_rate_limit_per_minute 1–100000, and the
    smart_pricing, bid_lock and bid_limits_enabled switches."""
    access = _access(request, SETTINGS_PERMISSION)
    return settings_object(
        setup.lead_settings_update(tenant=access.tenant, actor=access.user, data=_data(payload))
    )
