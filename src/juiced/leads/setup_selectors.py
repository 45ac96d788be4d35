"""Reads for lead setup: categories, fields, lead types, pricing, sources, tokens, duplicate rules.

Every query starts from a tenant (or a record already loaded from one), so another tenant's record is
simply not found (NotFound → 404). `category_field_specs` and `category_type_rules` turn rows into the
plain values the pure modules (fields.py, matching.py) take; ingestion and the auction use them too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from juiced.core.errors import NotFound
from juiced.leads import fields as lead_fields
from juiced.leads import matching
from juiced.leads.models import (
    CategoryField,
    DuplicateRule,
    LeadCategory,
    LeadType,
    LeadTypePricing,
    Scope,
    Source,
    SourcePricing,
    SourceToken,
)

# --- categories and fields ------------------------------------------------------------------------------


def categories(*, tenant: Any, include_archived: bool = False) -> QuerySet[LeadCategory]:
    found = LeadCategory.objects.filter(tenant=tenant)
    return found if include_archived else found.filter(archived_at__isnull=True)


def category_get(*, tenant: Any, public_id: str) -> LeadCategory:
    category = (
        LeadCategory.objects.filter(tenant=tenant, public_id=public_id).select_related("tenant").first()
    )
    if category is None:
        raise NotFound("No such lead category.")
    return category


def category_fields(*, category: LeadCategory) -> QuerySet[CategoryField]:
    return CategoryField.objects.filter(tenant_id=category.tenant_id, category=category)


def category_field_get(*, category: LeadCategory, public_id: str) -> CategoryField:
    found = category_fields(category=category).filter(public_id=public_id).first()
    if found is None:
        raise NotFound("No such field.")
    found.category = category
    return found


def category_field_specs(category: LeadCategory) -> list[lead_fields.FieldSpec]:
    """The category's schema as FieldSpecs, in display order (what validate_payload takes)."""
    return [
        lead_fields.FieldSpec(
            key=row.key,
            label=row.label,
            field_type=row.field_type,
            options=tuple(row.options or ()),
            required_for_ping=row.required_for_ping,
            required_for_post=row.required_for_post,
            deliverable=row.deliverable,
        )
        for row in category_fields(category=category)
    ]


# --- lead types and pricing -----------------------------------------------------------------------------


def lead_types(
    *, tenant: Any, category: LeadCategory | None = None, include_archived: bool = False
) -> QuerySet[LeadType]:
    found = LeadType.objects.filter(tenant=tenant).select_related("category")
    if category is not None:
        found = found.filter(category=category)
    return found if include_archived else found.filter(archived_at__isnull=True)


def lead_type_get(*, tenant: Any, public_id: str) -> LeadType:
    found = LeadType.objects.filter(tenant=tenant, public_id=public_id).select_related("category", "tenant")
    lead_type = found.first()
    if lead_type is None:
        raise NotFound("No such lead type.")
    return lead_type


def category_type_rules(category: LeadCategory) -> list[matching.TypeRule]:
    """The category's live lead types in position order as TypeRules (id = the LeadType's pk)."""
    rows = lead_types(tenant=category.tenant_id, category=category).values_list(
        "pk", "conditions", "is_fallback"
    )
    return [
        matching.TypeRule(id=pk, groups=conditions or [], is_fallback=fallback)
        for pk, conditions, fallback in rows
    ]


def lead_type_pricing(*, lead_type: LeadType) -> dict[str, LeadTypePricing | None]:
    """scope → its pricing row (None when never saved), in County, State, Nationwide order."""
    rows = {row.scope: row for row in LeadTypePricing.objects.filter(lead_type=lead_type)}
    return {scope: rows.get(scope) for scope in Scope.values}


# --- sources --------------------------------------------------------------------------------------------


def sources(*, tenant: Any, include_deleted: bool = False) -> QuerySet[Source]:
    found = Source.objects.filter(tenant=tenant).select_related("default_category")
    return found if include_deleted else found.filter(deleted_at__isnull=True)


def source_get(*, tenant: Any, public_id: str) -> Source:
    source = (
        sources(tenant=tenant, include_deleted=True)
        .select_related("tenant")
        .filter(public_id=public_id)
        .first()
    )
    if source is None:
        raise NotFound("No such source.")
    return source


def source_tokens(*, source: Source) -> QuerySet[SourceToken]:
    return SourceToken.objects.filter(tenant_id=source.tenant_id, source=source)


def source_token_get(*, source: Source, public_id: str) -> SourceToken:
    token = source_tokens(source=source).filter(public_id=public_id).first()
    if token is None:
        raise NotFound("No such token.")
    return token


def token_is_live(token: SourceToken, *, now: Any = None) -> bool:
    now = now or timezone.now()
    return token.expires_at is None or token.expires_at > now


def source_pricing_rows(*, source: Source) -> list[dict[str, Any]]:
    """Every live lead type of the source's category with its price row (None when not priced)."""
    if source.default_category_id is None:
        return []
    priced = {row.lead_type_id: row for row in SourcePricing.objects.filter(source=source)}
    types = lead_types(tenant=source.tenant_id, category=source.default_category_id)
    return [{"lead_type": lead_type, "pricing": priced.get(lead_type.pk)} for lead_type in types]


# --- duplicate rules ------------------------------------------------------------------------------------


def duplicate_rules(*, tenant: Any, category: LeadCategory | None = None) -> QuerySet[DuplicateRule]:
    found = DuplicateRule.objects.filter(tenant=tenant).select_related("category", "source")
    return found.filter(category=category) if category is not None else found


def duplicate_rule_get(*, tenant: Any, public_id: str) -> DuplicateRule:
    rule = duplicate_rules(tenant=tenant).select_related("tenant").filter(public_id=public_id).first()
    if rule is None:
        raise NotFound("No such duplicate rule.")
    return rule
