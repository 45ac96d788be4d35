"""Writes for lead setup: categories and their fields, lead types and their bidding settings, sources and
their credentials and pricing, duplicate rules, and the tenant's "Leads & bidding" settings.

Each service validates everything first and raises ValidationFailed with every field's message at once,
then writes inside one transaction with an audit entry, so nothing half-written survives a refusal.
Records named by the caller (a source's category, a rule's source) are looked up from the tenant.
Credentials: the source secret and bearer tokens are returned once and stored only as SHA-256 hex.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from juiced.core.audit import audit_record
from juiced.core.errors import InvalidState, ValidationFailed
from juiced.leads import fields as lead_fields
from juiced.leads import matching
from juiced.leads.models import (
    Bid,
    BidChange,
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

API_KEY_PREFIX = "key_"
TOKEN_PREFIX = "jst_"
TOKEN_GRACE = timedelta(hours=24)
OPTION_TYPES = frozenset({"select", "multi_select"})
FLAGS = ("required_for_ping", "required_for_post", "deliverable")
REQUIRED = "This field is required."
BOOLEAN = "Must be true or false."

Errors = dict[str, list[str]]


# --- credentials ----------------------------------------------------------------------------------------


def credential_hash(raw: str) -> str:
    """SHA-256 hex of a secret or bearer token: the only form we store."""
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_generate() -> str:
    return API_KEY_PREFIX + secrets.token_hex(12)


def api_secret_generate() -> str:
    return secrets.token_urlsafe(32)


def bearer_token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


# --- small validators shared by every form of data --------------------------------------------------------


def _unknown(data: dict[str, Any], allowed: set[str]) -> Errors:
    return {key: ["Unknown field."] for key in set(data) - allowed}


def _text(
    data: dict[str, Any],
    key: str,
    errors: Errors,
    cleaned: dict[str, Any],
    *,
    max_length: int,
    required: bool = False,
) -> None:
    if key not in data:
        return
    value = data[key]
    if value is not None and not isinstance(value, str):
        errors[key] = ["Must be a string."]
        return
    text = (value or "").strip()
    if required and not text:
        errors[key] = [REQUIRED]
    elif len(text) > max_length:
        errors[key] = [f"Keep this under {max_length + 1} characters."]
    else:
        cleaned[key] = text


def _flag(data: dict[str, Any], key: str, errors: Errors, cleaned: dict[str, Any]) -> None:
    if key not in data:
        return
    if not isinstance(data[key], bool):
        errors[key] = [BOOLEAN]
    else:
        cleaned[key] = data[key]


def _whole(value: Any) -> int | None:
    """An int (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bounded(
    data: dict[str, Any],
    key: str,
    errors: Errors,
    cleaned: dict[str, Any],
    *,
    low: int,
    high: int,
    allow_empty: bool = False,
    message: str = "",
) -> None:
    if key not in data:
        return
    value = data[key]
    if value is None and allow_empty:
        cleaned[key] = None
        return
    number = _whole(value)
    if number is None or not low <= number <= high:
        errors[key] = [message or f"Give a whole number from {low} to {high}."]
    else:
        cleaned[key] = number


def _require(data: dict[str, Any], keys: tuple[str, ...], errors: Errors) -> None:
    for key in keys:
        if data.get(key) in (None, ""):
            errors.setdefault(key, [REQUIRED])


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)


def _plain(value: Any) -> Any:
    """A value the audit log (JSON) can hold."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "public_id"):
        return value.public_id
    return value


def _apply(row: Any, cleaned: dict[str, Any], *extra_fields: str) -> dict[str, list[Any]]:
    """Set the changed values on `row`, save them, and return {field: [old, new]} for the audit log."""
    changes = {}
    for field, new in cleaned.items():
        old = getattr(row, field)
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
            setattr(row, field, new)
    if changes:
        row.save(update_fields=[*changes, *extra_fields])
    return changes


def _audit(tenant: Any, actor: Any, action: str, summary: str, changes: dict[str, Any] | None = None) -> None:
    audit_record(tenant=tenant, actor=actor, action=action, summary=summary, changes=changes)


# --- lead categories ------------------------------------------------------------------------------------

CATEGORY_FIELDS = ("name", "description")


def _clean_category(data: dict[str, Any], *, tenant: Any, category: LeadCategory | None) -> dict[str, Any]:
    errors = _unknown(data, set(CATEGORY_FIELDS))
    cleaned: dict[str, Any] = {}
    if category is None:
        _require(data, ("name",), errors)
    _text(data, "name", errors, cleaned, max_length=100, required=True)
    _text(data, "description", errors, cleaned, max_length=500)
    if "name" in cleaned:
        taken = LeadCategory.objects.filter(tenant=tenant, name__iexact=cleaned["name"])
        if category is not None:
            taken = taken.exclude(pk=category.pk)
        if taken.exists():
            errors["name"] = [f"A lead category named {cleaned['name']} already exists."]
    _raise(errors)
    return cleaned


def category_create(*, tenant: Any, actor: Any, data: dict[str, Any]) -> LeadCategory:
    """Create a lead category with the base fields (first name … county) every category has."""
    cleaned = _clean_category(data, tenant=tenant, category=None)
    with transaction.atomic():
        category = LeadCategory.objects.create(tenant=tenant, **cleaned)
        CategoryField.objects.bulk_create(
            [
                CategoryField(
                    tenant=tenant,
                    category=category,
                    key=spec.key,
                    label=spec.label,
                    field_type=spec.field_type,
                    is_base=True,
                    required_for_ping=spec.required_for_ping,
                    required_for_post=spec.required_for_post,
                    deliverable=spec.deliverable,
                    position=position,
                )
                for position, spec in enumerate(lead_fields.base_field_specs())
            ]
        )
        _audit(
            tenant,
            actor,
            "lead_category.created",
            f"Created lead category {category.name}",
            {k: [None, v] for k, v in cleaned.items()},
        )
    return category


def category_update(*, category: LeadCategory, actor: Any, data: dict[str, Any]) -> LeadCategory:
    """Rename a category or change its description."""
    cleaned = _clean_category(data, tenant=category.tenant_id, category=category)
    with transaction.atomic():
        locked = LeadCategory.objects.select_for_update().get(pk=category.pk)
        changes = _apply(locked, cleaned, "updated_at")
        if changes:
            _audit(
                category.tenant,
                actor,
                "lead_category.updated",
                f"Edited lead category {locked.name}: {', '.join(sorted(changes))}",
                changes,
            )
    return locked


def category_archive(*, category: LeadCategory, actor: Any) -> LeadCategory:
    """Hide the category from new sources and rules; its leads, types and fields stay as they are."""
    return _category_archived(category=category, actor=actor, archived=True)


def category_restore(*, category: LeadCategory, actor: Any) -> LeadCategory:
    """Bring an archived category back."""
    return _category_archived(category=category, actor=actor, archived=False)


def _category_archived(*, category: LeadCategory, actor: Any, archived: bool) -> LeadCategory:
    with transaction.atomic():
        locked = LeadCategory.objects.select_for_update().get(pk=category.pk)
        if (locked.archived_at is not None) == archived:
            return locked
        locked.archived_at = timezone.now() if archived else None
        locked.save(update_fields=["archived_at", "updated_at"])
        verb = "archived" if archived else "restored"
        _audit(category.tenant, actor, f"lead_category.{verb}", f"{verb.title()} lead category {locked.name}")
    return locked


# --- category fields ------------------------------------------------------------------------------------

FIELD_FIELDS = ("key", "label", "field_type", "options", *FLAGS)


def _clean_options(value: Any, errors: Errors) -> list[str]:
    if isinstance(value, str):
        value = [part for part in value.replace("\n", ",").split(",")]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        errors["options"] = ["Send a list of option strings."]
        return []
    options = [item.strip() for item in value]
    if any(not option for option in options):
        errors["options"] = ["Options must not be empty."]
        return []
    seen: set[str] = set()
    for option in options:
        if option.casefold() in seen:
            errors["options"] = [f"The option {option} is listed twice."]
            return []
        seen.add(option.casefold())
    return options


def field_references(*, category: LeadCategory, key: str) -> list[str]:
    """Where a field key is used: lead type conditions and duplicate rules of the category (their names)."""
    used = []
    for lead_type in LeadType.objects.filter(category=category, archived_at__isnull=True):
        if any(
            condition.get("field") == key
            for group in lead_type.conditions or []
            for condition in group
            if isinstance(condition, dict)
        ):
            used.append(f"lead type {lead_type.name}")
    if any(key in (rule.fields or []) for rule in DuplicateRule.objects.filter(category=category)):
        used.append("a duplicate rule")
    return used


def _clean_field(
    data: dict[str, Any], *, category: LeadCategory, field: CategoryField | None
) -> dict[str, Any]:
    errors = _unknown(data, set(FIELD_FIELDS))
    cleaned: dict[str, Any] = {}
    if field is None:
        _require(data, ("key", "field_type"), errors)
    base = field is not None and field.is_base
    if "key" in data and data["key"] not in (None, ""):
        key = str(data["key"]).strip()
        if base and key != field.key:
            errors["key"] = ["The key of a base field cannot change."]
        elif not base and (field is None or key != field.key):
            if not lead_fields.KEY_PATTERN.match(key):
                errors["key"] = [
                    "Use lowercase letters, digits and underscores, starting with a letter (64 at most)."
                ]
            elif key in lead_fields.BASE_KEYS:
                errors["key"] = [f"{key} is a base field: every category already has it."]
            elif key in lead_fields.RESERVED_KEYS:
                errors["key"] = [f"{key} is reserved by the API."]
            elif CategoryField.objects.filter(category=category, key=key).exists():
                errors["key"] = [f"This category already has a field {key}."]
            elif field is not None and (used := field_references(category=category, key=field.key)):
                errors["key"] = [f"{field.key} is used by {', '.join(used)}: change that first."]
            else:
                cleaned["key"] = key
    _text(data, "label", errors, cleaned, max_length=100)
    if "field_type" in data and data["field_type"] not in (None, ""):
        kind = data["field_type"]
        if kind not in lead_fields.FIELD_TYPES:
            errors["field_type"] = [f"Choose a field type: {', '.join(lead_fields.FIELD_TYPES)}."]
        elif base and kind != field.field_type:
            errors["field_type"] = ["The type of a base field cannot change."]
        else:
            cleaned["field_type"] = kind
    for flag in FLAGS:
        _flag(data, flag, errors, cleaned)
    key = cleaned.get("key") or (field.key if field else "")
    if key == "zip" and (
        cleaned.get("required_for_ping") is False or cleaned.get("required_for_post") is False
    ):
        for flag in ("required_for_ping", "required_for_post"):
            if cleaned.get(flag) is False:
                errors[flag] = ["ZIP is always required: every lead is routed by its location."]
    kind = cleaned.get("field_type") or (field.field_type if field else "")
    if kind in OPTION_TYPES:
        if "options" in data:
            options = _clean_options(data["options"], errors)
            if not options and "options" not in errors:
                errors["options"] = ["Give at least one option for a select field."]
            cleaned["options"] = options
        elif not (field and field.options):
            errors["options"] = ["Give at least one option for a select field."]
    elif kind:
        cleaned["options"] = []
    _raise(errors)
    if field is None and not cleaned.get("label"):
        cleaned["label"] = cleaned["key"].replace("_", " ").capitalize()
    return cleaned


def category_field_create(*, category: LeadCategory, actor: Any, data: dict[str, Any]) -> CategoryField:
    """Add a custom field at the end of the schema (older leads stay valid: nothing rewrites them)."""
    cleaned = _clean_field(data, category=category, field=None)
    with transaction.atomic():
        LeadCategory.objects.select_for_update().get(pk=category.pk)
        last = CategoryField.objects.filter(category=category).aggregate(top=Max("position"))["top"]
        field = CategoryField.objects.create(
            tenant_id=category.tenant_id, category=category, position=(last or 0) + 1, **cleaned
        )
        _audit(
            category.tenant,
            actor,
            "lead_category.field_added",
            f"Added field {field.key} ({field.field_type}) to lead category {category.name}",
            {k: [None, v] for k, v in cleaned.items()},
        )
    return field


def category_field_update(*, field: CategoryField, actor: Any, data: dict[str, Any]) -> CategoryField:
    """Change a field: base fields keep their key and type (their flags may change; zip stays required)."""
    category = field.category
    cleaned = _clean_field(data, category=category, field=field)
    with transaction.atomic():
        locked = CategoryField.objects.select_for_update().get(pk=field.pk)
        changes = _apply(locked, cleaned)
        if changes:
            _audit(
                category.tenant,
                actor,
                "lead_category.field_updated",
                f"Edited field {locked.key} of lead category {category.name}",
                changes,
            )
    locked.category = category
    return locked


def category_field_move(*, field: CategoryField, actor: Any, direction: str) -> CategoryField:
    """Swap the field with its neighbour above ("up") or below ("down") in the category's order."""
    if direction not in ("up", "down"):
        raise ValidationFailed.on("direction", 'Use "up" or "down".')
    category = field.category
    with transaction.atomic():
        LeadCategory.objects.select_for_update().get(pk=category.pk)
        ordered = list(CategoryField.objects.filter(category=category).order_by("position", "id"))
        _swap_neighbour(ordered, field.pk, direction)
        _audit(
            category.tenant,
            actor,
            "lead_category.field_moved",
            f"Moved field {field.key} {direction} in lead category {category.name}",
        )
    field.refresh_from_db()
    return field


def _swap_neighbour(ordered: list[Any], pk: int, direction: str) -> None:
    """Renumber `ordered` 0..n with the row `pk` swapped with its neighbour; saves changed positions."""
    index = next(i for i, row in enumerate(ordered) if row.pk == pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])


def category_field_delete(*, field: CategoryField, actor: Any) -> None:
    """Remove a custom field (old leads keep their values); refused for base fields and used ones."""
    category = field.category
    if field.is_base:
        raise InvalidState(f"{field.key} is a base field: every category keeps it.")
    used = field_references(category=category, key=field.key)
    if used:
        raise InvalidState(f"{field.key} is used by {', '.join(used)}: remove it there first.")
    with transaction.atomic():
        _audit(
            category.tenant,
            actor,
            "lead_category.field_removed",
            f"Removed field {field.key} from lead category {category.name}",
        )
        field.delete()


# --- lead types -----------------------------------------------------------------------------------------

LEAD_TYPE_FIELDS = ("name", "description", "is_fallback", "conditions")


def _clean_lead_type(
    data: dict[str, Any], *, category: LeadCategory, lead_type: LeadType | None
) -> dict[str, Any]:
    errors = _unknown(data, set(LEAD_TYPE_FIELDS))
    cleaned: dict[str, Any] = {}
    if lead_type is None:
        _require(data, ("name",), errors)
    _text(data, "name", errors, cleaned, max_length=100, required=True)
    _text(data, "description", errors, cleaned, max_length=500)
    _flag(data, "is_fallback", errors, cleaned)
    if "name" in cleaned:
        taken = LeadType.objects.filter(category=category, name__iexact=cleaned["name"])
        if lead_type is not None:
            taken = taken.exclude(pk=lead_type.pk)
        if taken.exists():
            errors["name"] = [f"This category already has a lead type named {cleaned['name']}."]
    fallback = cleaned.get("is_fallback", lead_type.is_fallback if lead_type else False)
    if fallback and (lead_type is None or not lead_type.is_fallback):
        other = LeadType.objects.filter(category=category, is_fallback=True, archived_at__isnull=True)
        if lead_type is not None:
            other = other.exclude(pk=lead_type.pk)
        if (existing := other.first()) is not None:
            errors["is_fallback"] = [
                f"{existing.name} is already the fallback of this category (one per category)."
            ]
    if fallback:
        cleaned["conditions"] = []  # a fallback takes whatever no other type matched
    elif "conditions" in data:
        keys = set(CategoryField.objects.filter(category=category).values_list("key", flat=True))
        messages = matching.validate_conditions(data["conditions"], keys)
        if messages:
            errors["conditions"] = messages
        else:
            cleaned["conditions"] = data["conditions"]
    _raise(errors)
    return cleaned


def _pricing_defaults(lead_type: LeadType) -> list[LeadTypePricing]:
    return [
        LeadTypePricing(tenant_id=lead_type.tenant_id, lead_type=lead_type, scope=scope)
        for scope in Scope.values
    ]


def lead_type_create(*, category: LeadCategory, actor: Any, data: dict[str, Any]) -> LeadType:
    """Add a lead type at the end of the category's order, with all three scopes disabled."""
    cleaned = _clean_lead_type(data, category=category, lead_type=None)
    with transaction.atomic():
        if LeadCategory.objects.select_for_update().get(pk=category.pk).archived_at is not None:
            raise InvalidState("This lead category is archived: restore it first.")
        last = LeadType.objects.filter(category=category).aggregate(top=Max("position"))["top"]
        lead_type = LeadType.objects.create(
            tenant_id=category.tenant_id, category=category, position=(last or 0) + 1, **cleaned
        )
        LeadTypePricing.objects.bulk_create(_pricing_defaults(lead_type))
        _audit(
            category.tenant,
            actor,
            "lead_type.created",
            f"Created lead type {lead_type.name} in {category.name}",
            {k: [None, v] for k, v in cleaned.items()},
        )
    return lead_type


def lead_type_update(*, lead_type: LeadType, actor: Any, data: dict[str, Any]) -> LeadType:
    """Change a lead type's name, description, fallback flag or conditions (the category is fixed)."""
    category = lead_type.category
    cleaned = _clean_lead_type(data, category=category, lead_type=lead_type)
    with transaction.atomic():
        LeadCategory.objects.select_for_update().get(pk=category.pk)
        locked = LeadType.objects.select_for_update().get(pk=lead_type.pk)
        changes = _apply(locked, cleaned, "updated_at")
        if changes:
            _audit(
                category.tenant,
                actor,
                "lead_type.updated",
                f"Edited lead type {locked.name}: {', '.join(sorted(changes))}",
                changes,
            )
    locked.category = category
    return locked


def lead_type_move(*, lead_type: LeadType, actor: Any, direction: str) -> LeadType:
    """Swap the type with its live neighbour: earlier types are tried first when conditions overlap."""
    if direction not in ("up", "down"):
        raise ValidationFailed.on("direction", 'Use "up" or "down".')
    category = lead_type.category
    with transaction.atomic():
        LeadCategory.objects.select_for_update().get(pk=category.pk)
        ordered = list(
            LeadType.objects.filter(category=category, archived_at__isnull=True).order_by("position", "id")
        )
        if lead_type.pk in {row.pk for row in ordered}:
            _swap_neighbour(ordered, lead_type.pk, direction)
        _audit(category.tenant, actor, "lead_type.moved", f"Moved lead type {lead_type.name} {direction}")
    lead_type.refresh_from_db()
    return lead_type


def lead_type_archive(*, lead_type: LeadType, actor: Any) -> LeadType:
    """Archive the type (new leads no longer match it) and archive its live bids."""
    category = lead_type.category
    with transaction.atomic():
        locked = LeadType.objects.select_for_update().get(pk=lead_type.pk)
        if locked.archived_at is not None:
            return locked
        now = timezone.now()
        locked.archived_at = now
        locked.save(update_fields=["archived_at", "updated_at"])
        live_bids = list(
            Bid.objects.filter(lead_type=locked, archived_at__isnull=True).values_list("pk", flat=True)
        )
        Bid.objects.filter(pk__in=live_bids).update(archived_at=now, updated_at=now)
        BidChange.objects.bulk_create(
            [
                BidChange(
                    tenant_id=locked.tenant_id,
                    bid_id=pk,
                    actor=actor,
                    actor_label=_label(actor),
                    action="archived",
                    changes={"reason": [None, f"Lead type {locked.name} archived"]},
                )
                for pk in live_bids
            ]
        )
        _audit(
            category.tenant,
            actor,
            "lead_type.archived",
            f"Archived lead type {locked.name} and {len(live_bids)} bid(s)",
        )
    locked.category = category
    return locked


def lead_type_restore(*, lead_type: LeadType, actor: Any) -> LeadType:
    """Bring an archived type back at the end of the order (its bids stay archived)."""
    category = lead_type.category
    with transaction.atomic():
        LeadCategory.objects.select_for_update().get(pk=category.pk)
        locked = LeadType.objects.select_for_update().get(pk=lead_type.pk)
        if locked.archived_at is None:
            return locked
        if (
            locked.is_fallback
            and LeadType.objects.filter(
                category=category, is_fallback=True, archived_at__isnull=True
            ).exists()
        ):
            raise InvalidState(
                "This category already has a fallback type: archive it or clear this type's flag."
            )
        last = LeadType.objects.filter(category=category).aggregate(top=Max("position"))["top"]
        locked.archived_at, locked.position = None, (last or 0) + 1
        locked.save(update_fields=["archived_at", "position", "updated_at"])
        _audit(category.tenant, actor, "lead_type.restored", f"Restored lead type {locked.name}")
    locked.category = category
    return locked


def _label(actor: Any) -> str:
    from juiced.core.audit import actor_label_for

    return actor_label_for(actor)


# --- lead type pricing (bidding settings per scope) -----------------------------------------------------

PRICING_FIELDS = ("enabled", "fixed_price", "minimum", "maximum", "step")


def _clean_scope(scope: str, values: Any, current: LeadTypePricing, errors: Errors) -> dict[str, Any]:
    """The merged settings of one scope; messages go to errors["<scope>.<field>"]."""
    if not isinstance(values, dict):
        errors[scope] = ["Send an object with enabled, fixed_price, minimum, maximum and step."]
        return {}
    for key in set(values) - set(PRICING_FIELDS):
        errors[f"{scope}.{key}"] = ["Unknown field."]
    merged = {field: getattr(current, field) for field in PRICING_FIELDS}
    for flag in ("enabled", "fixed_price"):
        if flag in values:
            if not isinstance(values[flag], bool):
                errors[f"{scope}.{flag}"] = [BOOLEAN]
            else:
                merged[flag] = values[flag]
    for amount in ("minimum", "maximum", "step"):
        if amount in values:
            value = values[amount]
            if value is not None and _whole(value) is None:
                errors[f"{scope}.{amount}"] = ["Enter a whole number of cents."]
            else:
                merged[amount] = value
    fixed = merged["fixed_price"]
    minimum, maximum, step = merged["minimum"], merged["maximum"], merged["step"]
    if minimum is None or (_whole(minimum) is not None and minimum <= 0):
        errors.setdefault(
            f"{scope}.minimum",
            ["The price must be more than zero." if fixed else "The minimum must be more than zero."],
        )
    if fixed:
        merged["maximum"] = None
        if step is None or step <= 0:
            merged["step"] = current.step if current.step and current.step > 0 else 100
        return merged
    if step is None or (_whole(step) is not None and step <= 0):
        errors.setdefault(f"{scope}.step", ["The step must be more than zero."])
    if maximum is None:
        errors.setdefault(f"{scope}.maximum", ["Give a maximum, or make the price fixed."])
    elif (
        f"{scope}.minimum" not in errors
        and f"{scope}.maximum" not in errors
        and f"{scope}.step" not in errors
    ):
        if maximum < minimum:
            errors[f"{scope}.maximum"] = ["The maximum must be at least the minimum."]
        elif (maximum - minimum) % step:
            below = minimum + (maximum - minimum) // step * step
            errors[f"{scope}.maximum"] = [
                f"The maximum must be the minimum plus whole steps: try {below} or {below + step} cents."
            ]
    return merged


def lead_type_pricing_update(
    *, lead_type: LeadType, actor: Any, data: dict[str, Any]
) -> dict[str, LeadTypePricing]:
    """Save the bidding settings of the scopes in `data`: {scope: {enabled, fixed_price, min, max, step}}."""
    if not isinstance(data, dict):
        raise ValidationFailed("Send an object keyed by scope.")
    errors: Errors = {
        scope: [f"Unknown scope; use {', '.join(Scope.values)}."] for scope in set(data) - set(Scope.values)
    }
    current = {row.scope: row for row in LeadTypePricing.objects.filter(lead_type=lead_type)}
    for scope in Scope.values:
        current.setdefault(
            scope, LeadTypePricing(tenant_id=lead_type.tenant_id, lead_type=lead_type, scope=scope)
        )
    merged = {
        scope: _clean_scope(scope, values, current[scope], errors)
        for scope, values in data.items()
        if scope in Scope.values
    }
    _raise(errors)
    with transaction.atomic():
        LeadType.objects.select_for_update().get(pk=lead_type.pk)
        changes: dict[str, list[Any]] = {}
        for scope, values in merged.items():
            row = current[scope]
            for field, new in values.items():
                if getattr(row, field) != new:
                    changes[f"{scope}.{field}"] = [getattr(row, field), new]
                    setattr(row, field, new)
            row.save()
        if changes:
            _audit(
                lead_type.category.tenant,
                actor,
                "lead_type.pricing_updated",
                f"Changed bidding settings of lead type {lead_type.name}",
                changes,
            )
    return current


# --- sources --------------------------------------------------------------------------------------------

SOURCE_FIELDS = (
    "name",
    "kind",
    "default_category",
    "payout_percent",
    "test_mode",
    "is_active",
    "rate_limit_per_minute",
)
RATE_LIMIT_MAX = 100_000


def _clean_payout(value: Any, errors: Errors) -> Decimal | None:
    message = "Give a percentage from 0 to 100 with at most 2 decimals."
    if isinstance(value, bool) or value is None:
        errors["payout_percent"] = [message]
        return None
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        errors["payout_percent"] = [message]
        return None
    if not number.is_finite() or not 0 <= number <= 100 or number != number.quantize(Decimal("0.01")):
        errors["payout_percent"] = [message]
        return None
    return number.quantize(Decimal("0.01"))


def _clean_source(data: dict[str, Any], *, tenant: Any, source: Source | None) -> dict[str, Any]:
    errors = _unknown(data, set(SOURCE_FIELDS))
    cleaned: dict[str, Any] = {}
    if source is None:
        _require(data, ("name", "default_category"), errors)
    _text(data, "name", errors, cleaned, max_length=100, required=True)
    if "kind" in data:
        if data["kind"] not in Source.Kind.values:
            errors["kind"] = ["Choose internal or vendor."]
        else:
            cleaned["kind"] = data["kind"]
    if data.get("default_category") not in (None, ""):
        category = LeadCategory.objects.filter(
            tenant=tenant, public_id=str(data["default_category"]), archived_at__isnull=True
        ).first()
        if category is None:
            errors["default_category"] = ["Choose a lead category of this account."]
        else:
            cleaned["default_category"] = category
    elif "default_category" in data:
        errors["default_category"] = [REQUIRED]
    if "payout_percent" in data:
        payout = _clean_payout(data["payout_percent"], errors)
        if payout is not None:
            cleaned["payout_percent"] = payout
    _flag(data, "test_mode", errors, cleaned)
    _flag(data, "is_active", errors, cleaned)
    _bounded(
        data,
        "rate_limit_per_minute",
        errors,
        cleaned,
        low=1,
        high=RATE_LIMIT_MAX,
        allow_empty=True,
        message=f"Give a whole number from 1 to {RATE_LIMIT_MAX}, or leave it empty for the account default.",
    )
    kind = cleaned.get("kind", source.kind if source else Source.Kind.INTERNAL)
    test_mode = cleaned.get("test_mode", source.test_mode if source else False)
    if test_mode and kind == Source.Kind.INTERNAL:
        errors["test_mode"] = ["Test mode is for vendor sources only."]
    _raise(errors)
    return cleaned


def _live(source: Source) -> None:
    if source.deleted_at is not None:
        raise InvalidState("This source is deleted.")


def source_create(*, tenant: Any, actor: Any, data: dict[str, Any]) -> tuple[Source, str]:
    """Create a source with a new API key and secret; returns the source and the secret (shown once)."""
    cleaned = _clean_source(data, tenant=tenant, source=None)
    secret = api_secret_generate()
    with transaction.atomic():
        source = Source.objects.create(
            tenant=tenant, api_key=api_key_generate(), api_secret_hash=credential_hash(secret), **cleaned
        )
        _audit(
            tenant,
            actor,
            "source.created",
            f"Created {source.kind} source {source.name}",
            {k: [None, _plain(v)] for k, v in cleaned.items()},
        )
    return source, secret


def source_update(*, source: Source, actor: Any, data: dict[str, Any]) -> Source:
    """Change a source's settings (pause/resume is `is_active`)."""
    _live(source)
    cleaned = _clean_source(data, tenant=source.tenant_id, source=source)
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        changes = _apply(locked, cleaned, "updated_at")
        if changes:
            _audit(
                source.tenant,
                actor,
                "source.updated",
                f"Edited source {locked.name}: {', '.join(sorted(changes))}",
                changes,
            )
    return Source.objects.select_related("default_category", "tenant").get(pk=source.pk)


def source_secret_rotate(*, source: Source, actor: Any) -> str:
    """Replace the API secret at once (the old one stops working); returns the new one, shown once."""
    _live(source)
    secret = api_secret_generate()
    with transaction.atomic():
        Source.objects.filter(pk=source.pk).update(
            api_secret_hash=credential_hash(secret), updated_at=timezone.now()
        )
        _audit(
            source.tenant, actor, "source.secret_rotated", f"Rotated the API secret of source {source.name}"
        )
    return secret


def source_delete(*, source: Source, actor: Any) -> Source:
    """Soft-delete: hidden from lists and pickers, credentials stop at once, history keeps its source."""
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        if locked.deleted_at is not None:
            return locked
        now = timezone.now()
        locked.deleted_at, locked.is_active = now, False
        locked.save(update_fields=["deleted_at", "is_active", "updated_at"])
        SourceToken.objects.filter(source=locked).exclude(expires_at__lte=now).update(expires_at=now)
        _audit(source.tenant, actor, "source.deleted", f"Deleted source {locked.name}")
    return locked


def source_token_create(*, source: Source, actor: Any) -> tuple[SourceToken, str]:
    """A new bearer token for the source (others stay valid); returns it and the raw token, shown once."""
    _live(source)
    raw = bearer_token_generate()
    with transaction.atomic():
        token = SourceToken.objects.create(
            tenant_id=source.tenant_id, source=source, prefix=raw[:12], token_hash=credential_hash(raw)
        )
        _audit(
            source.tenant,
            actor,
            "source.token_created",
            f"Created bearer token {token.prefix}… for {source.name}",
        )
    return token, raw


def source_token_rotate(*, source: Source, actor: Any) -> tuple[SourceToken, str]:
    """A new bearer token; every older live token keeps working for 24 hours, then expires."""
    _live(source)
    raw = bearer_token_generate()
    with transaction.atomic():
        Source.objects.select_for_update().get(pk=source.pk)
        now = timezone.now()
        grace_end = now + TOKEN_GRACE
        live = SourceToken.objects.filter(source=source).exclude(expires_at__lte=grace_end)
        rotated = live.update(expires_at=grace_end)
        token = SourceToken.objects.create(
            tenant_id=source.tenant_id, source=source, prefix=raw[:12], token_hash=credential_hash(raw)
        )
        _audit(
            source.tenant,
            actor,
            "source.token_rotated",
            f"Rotated bearer token of {source.name}: new {token.prefix}…, {rotated} old one(s) end in 24 h",
        )
    return token, raw


def source_token_revoke(*, token: SourceToken, actor: Any) -> SourceToken:
    """Stop a bearer token now."""
    source = token.source
    with transaction.atomic():
        now = timezone.now()
        if token.expires_at is None or token.expires_at > now:
            SourceToken.objects.filter(pk=token.pk).update(expires_at=now)
            _audit(
                source.tenant,
                actor,
                "source.token_revoked",
                f"Revoked bearer token {token.prefix}… of {source.name}",
            )
    token.refresh_from_db()
    return token


# --- source pricing -------------------------------------------------------------------------------------


def source_pricing_update(*, source: Source, actor: Any, data: dict[str, Any]) -> list[SourcePricing]:
    """Set {kind: fixed|fallback, price: cents, null clears} per lead type of the source's category."""
    _live(source)
    if not isinstance(data, dict):
        raise ValidationFailed("Send an object keyed by lead type id.")
    types = {
        t.public_id: t
        for t in LeadType.objects.filter(
            tenant_id=source.tenant_id, category_id=source.default_category_id, archived_at__isnull=True
        )
    }
    errors: Errors = {}
    wanted: dict[LeadType, dict[str, Any] | None] = {}
    for type_id, values in data.items():
        lead_type = types.get(type_id)
        if lead_type is None:
            errors[type_id] = ["Not a lead type of this source's category."]
            continue
        if values is None or (isinstance(values, dict) and values.get("price") is None):
            wanted[lead_type] = None
            continue
        if not isinstance(values, dict):
            errors[type_id] = ["Send {kind, price}."]
            continue
        for key in set(values) - {"kind", "price"}:
            errors[f"{type_id}.{key}"] = ["Unknown field."]
        kind = values.get("kind", SourcePricing.Kind.FALLBACK)
        if kind not in SourcePricing.Kind.values:
            errors[f"{type_id}.kind"] = ["Choose fixed or fallback."]
        price = _whole(values.get("price"))
        if price is None or price < 0:
            errors[f"{type_id}.price"] = ["Enter a whole number of cents, zero or more."]
        wanted[lead_type] = {"kind": kind, "price": price}
    _raise(errors)
    with transaction.atomic():
        Source.objects.select_for_update().get(pk=source.pk)
        changes: dict[str, list[Any]] = {}
        existing = {row.lead_type_id: row for row in SourcePricing.objects.filter(source=source)}
        for lead_type, values in wanted.items():
            row = existing.get(lead_type.pk)
            before = [row.kind, row.price] if row else None
            if values is None:
                if row is not None:
                    row.delete()
            elif row is None:
                SourcePricing.objects.create(
                    tenant_id=source.tenant_id, source=source, lead_type=lead_type, **values
                )
            else:
                row.kind, row.price = values["kind"], values["price"]
                row.save(update_fields=["kind", "price"])
            after = [values["kind"], values["price"]] if values else None
            if before != after:
                changes[lead_type.name] = [before, after]
        if changes:
            _audit(
                source.tenant,
                actor,
                "source.pricing_updated",
                f"Changed pricing of source {source.name}",
                changes,
            )
    return list(SourcePricing.objects.filter(source=source).select_related("lead_type"))


def source_pricing_copy(*, source: Source, actor: Any, from_source_id: str) -> int:
    """Copy another source's prices for this source's lead types that have no price yet; returns how many."""
    _live(source)
    origin = Source.objects.filter(tenant_id=source.tenant_id, public_id=from_source_id).first()
    if origin is None or origin.pk == source.pk:
        raise ValidationFailed.on("from_source", "Choose another source of this account.")
    with transaction.atomic():
        Source.objects.select_for_update().get(pk=source.pk)
        priced = set(SourcePricing.objects.filter(source=source).values_list("lead_type_id", flat=True))
        rows = [
            SourcePricing(
                tenant_id=source.tenant_id,
                source=source,
                lead_type_id=row.lead_type_id,
                kind=row.kind,
                price=row.price,
            )
            for row in SourcePricing.objects.filter(
                source=origin,
                lead_type__category_id=source.default_category_id,
                lead_type__archived_at__isnull=True,
            )
            if row.lead_type_id not in priced
        ]
        SourcePricing.objects.bulk_create(rows)
        if rows:
            _audit(
                source.tenant,
                actor,
                "source.pricing_copied",
                f"Copied {len(rows)} price(s) from source {origin.name} to {source.name}",
            )
    return len(rows)


# --- duplicate rules ------------------------------------------------------------------------------------

RULE_FIELDS = (
    "category",
    "source",
    "fields",
    "lookback_days",
    "apply_to_pings",
    "ignore_punctuation",
    "case_sensitive",
    "is_active",
)


def _clean_rule(data: dict[str, Any], *, tenant: Any, rule: DuplicateRule | None) -> dict[str, Any]:
    errors = _unknown(data, set(RULE_FIELDS))
    cleaned: dict[str, Any] = {}
    if rule is None:
        _require(data, ("category", "fields"), errors)
    if data.get("category") not in (None, ""):
        category = LeadCategory.objects.filter(tenant=tenant, public_id=str(data["category"])).first()
        if category is None:
            errors["category"] = ["Choose a lead category of this account."]
        else:
            cleaned["category"] = category
    if data.get("source") not in (None, ""):
        source = Source.objects.filter(
            tenant=tenant, public_id=str(data["source"]), deleted_at__isnull=True
        ).first()
        if source is None:
            errors["source"] = ["Choose a source of this account, or none for every source."]
        else:
            cleaned["source"] = source
    elif "source" in data:
        cleaned["source"] = None
    category = cleaned.get("category") or (rule.category if rule else None)
    if "fields" in data or ("category" in cleaned and rule is not None):
        keys = data.get("fields", rule.fields if rule else [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or not keys:
            errors["fields"] = ["Choose at least one field."]
        elif category is not None:
            known = set(CategoryField.objects.filter(category=category).values_list("key", flat=True))
            unknown = [k for k in keys if k not in known]
            if unknown:
                errors["fields"] = [f"{unknown[0]} is not a field of {category.name}."]
            else:
                cleaned["fields"] = list(dict.fromkeys(keys))
    _bounded(
        data,
        "lookback_days",
        errors,
        cleaned,
        low=1,
        high=3650,
        message="Give a number of days from 1 to 3650.",
    )
    for flag in ("apply_to_pings", "ignore_punctuation", "case_sensitive", "is_active"):
        _flag(data, flag, errors, cleaned)
    _raise(errors)
    return cleaned


def _rule_summary(rule: DuplicateRule) -> str:
    where = f"source {rule.source.name}" if rule.source_id else "every source"
    return f"{', '.join(rule.fields)} within {rule.lookback_days} days in {rule.category.name} ({where})"


def duplicate_rule_create(*, tenant: Any, actor: Any, data: dict[str, Any]) -> DuplicateRule:
    """Add a duplicate rule to a category (optionally only for one source)."""
    cleaned = _clean_rule(data, tenant=tenant, rule=None)
    with transaction.atomic():
        rule = DuplicateRule.objects.create(tenant=tenant, **cleaned)
        _audit(
            tenant,
            actor,
            "duplicate_rule.created",
            f"Added duplicate rule: {_rule_summary(rule)}",
            {k: [None, _plain(v)] for k, v in cleaned.items()},
        )
    return rule


def duplicate_rule_update(*, rule: DuplicateRule, actor: Any, data: dict[str, Any]) -> DuplicateRule:
    """Change a duplicate rule (fields are checked against its category)."""
    cleaned = _clean_rule(data, tenant=rule.tenant_id, rule=rule)
    with transaction.atomic():
        locked = DuplicateRule.objects.select_for_update().get(pk=rule.pk)
        changes = _apply(locked, cleaned)
        if changes:
            _audit(
                rule.tenant,
                actor,
                "duplicate_rule.updated",
                f"Edited duplicate rule: {_rule_summary(locked)}",
                changes,
            )
    return DuplicateRule.objects.select_related("category", "source", "tenant").get(pk=rule.pk)


def duplicate_rule_delete(*, rule: DuplicateRule, actor: Any) -> None:
    """Delete a duplicate rule and its fingerprints (leads already marked Duplicate stay so)."""
    with transaction.atomic():
        _audit(rule.tenant, actor, "duplicate_rule.deleted", f"Deleted duplicate rule: {_rule_summary(rule)}")
        rule.delete()


# --- tenant settings ------------------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "ping_expiry_minutes",
    "ping_max_offers",
    "smart_pricing",
    "bid_lock",
    "bid_limits_enabled",
    "default_rate_limit_per_minute",
)


def lead_settings_update(*, tenant: Any, actor: Any, data: dict[str, Any]) -> LeadSettings:
    """Change the tenant's Leads & bidding settings."""
    errors = _unknown(data, set(SETTINGS_FIELDS))
    cleaned: dict[str, Any] = {}
    _bounded(
        data,
        "ping_expiry_minutes",
        errors,
        cleaned,
        low=1,
        high=1440,
        message="Give a number of minutes from 1 to 1440 (24 hours).",
    )
    _bounded(data, "ping_max_offers", errors, cleaned, low=1, high=50, message="Give a number from 1 to 50.")
    _bounded(
        data,
        "default_rate_limit_per_minute",
        errors,
        cleaned,
        low=1,
        high=RATE_LIMIT_MAX,
        message=f"Give a number of requests per minute from 1 to {RATE_LIMIT_MAX}.",
    )
    for flag in ("smart_pricing", "bid_lock", "bid_limits_enabled"):
        _flag(data, flag, errors, cleaned)
    _raise(errors)
    lead_settings_for(tenant)
    with transaction.atomic():
        row = LeadSettings.objects.select_for_update().get(tenant=tenant)
        changes = _apply(row, cleaned, "updated_at")
        if changes:
            _audit(
                tenant,
                actor,
                "lead_settings.updated",
                f"Changed leads & bidding settings: {', '.join(sorted(changes))}",
                changes,
            )
    return row
