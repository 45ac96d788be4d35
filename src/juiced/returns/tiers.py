"""The return-tier ladder: pure validation (one place for every rule and message, shared by the form and
the API) and the services that create, update, reorder and delete tiers.

Brackets are half-open [lower, upper) in % of the return rate, except that an upper bound of 100 includes
100 itself; touching tiers (0–5, 5–15) are fine, overlapping ones are refused, gaps are allowed. The
new-customer tier has no bounds. Display order (`position`) changes display only, never assignment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet

from juiced.core.audit import audit_record
from juiced.core.errors import NotFound, ValidationFailed
from juiced.returns.icons import ICONS
from juiced.returns.models import ReturnTier
from juiced.returns.sanitize import sanitize_rich_text
from juiced.tenants.models import Tenant

HUNDRED = Decimal("100")
ZERO = Decimal("0")
TWO_PLACES = Decimal("0.01")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
REQUIRED = "This field is required."
TIER_FIELDS = (
    "name",
    "headline",
    "brief_description",
    "long_description",
    "color",
    "icon",
    "applies_to_new_customers",
    "lower_bound",
    "upper_bound",
    "discount_enabled",
    "discount_percent",
    "penalty_enabled",
    "penalty_matches_return_rate",
    "penalty_percent",
)
BOOL_FIELDS = (
    "applies_to_new_customers",
    "discount_enabled",
    "penalty_enabled",
    "penalty_matches_return_rate",
)
TEXT_LIMITS = {"name": 60, "headline": 160, "brief_description": 500}
MSG_BOUND_REQUIRED = "Required unless the tier applies to new customers."
MSG_BOUND_RANGE = "Enter a percentage from 0 to 100."
MSG_UPPER_BELOW_LOWER = "Must be at least the lower bound."
MSG_DISCOUNT_REQUIRED = "Required when Add a discount is on."
MSG_PENALTY_REQUIRED = "Required when Add a penalty is on and Match return rate is off."
MSG_PERCENT_RANGE = "Enter a percentage above 0 and at most 100."
MSG_MATCH_WITHOUT_PENALTY = "Match return rate is only available when Add a penalty is on."
MSG_COLOR = "Enter a colour as #rrggbb, e.g. #f59e0b."
MSG_ICON = "Choose an icon from the badge set."
MSG_NUMBER = "Enter a number with at most two decimals."


@dataclass(frozen=True)
class Bracket:
    """Another tier as the validator sees it."""

    name: str
    applies_to_new_customers: bool
    lower: Decimal | None
    upper: Decimal | None


# --- pure rules ---------------------------------------------------------------------------------------------


def bracket_contains(lower: Decimal, upper: Decimal, rate: Decimal) -> bool:
    """True when `rate` falls in [lower, upper) (or equals 100 when upper is 100)."""
    return lower <= rate < upper or (upper == HUNDRED and rate == HUNDRED and lower <= rate)


def brackets_overlap(
    a: tuple[Decimal, Decimal], b: tuple[Decimal, Decimal]
) -> tuple[Decimal, Decimal] | None:
    """The shared range of two brackets as (from, to), or None when no rate falls in both."""
    lower, upper = max(a[0], b[0]), min(a[1], b[1])
    if lower < upper or (a[1] == HUNDRED and b[1] == HUNDRED):
        return lower, upper
    return None


def overlap_message(other_name: str, shared: tuple[Decimal, Decimal]) -> str:
    return f"Tiers overlap: {other_name} covers {shared[0]:.2f}–{shared[1]:.2f} %"


def _percent(value: Any) -> Decimal | None:
    """A Decimal with two places, None for empty; raises ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError from None
    if not number.is_finite() or number != number.quantize(TWO_PLACES, rounding="ROUND_HALF_UP"):
        raise ValueError
    return number.quantize(TWO_PLACES)


def tier_validate(data: dict[str, Any], *, others: Iterable[Bracket]) -> dict[str, Any]:
    """Every field of a tier cleaned, or ValidationFailed with each field's message; `data` is complete."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    others = list(others)

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field, limit in TEXT_LIMITS.items():
        text = str(data.get(field) or "").strip()
        if len(text) > limit:
            err(field, f"Keep this under {limit + 1} characters.")
        cleaned[field] = text
    if not cleaned["name"]:
        err("name", REQUIRED)
    elif any(o.name.casefold() == cleaned["name"].casefold() for o in others):
        err("name", f"A tier named {cleaned['name']} already exists.")
    cleaned["long_description"] = sanitize_rich_text(str(data.get("long_description") or ""))

    color = str(data.get("color") or "").strip()
    if not COLOR_RE.match(color):
        err("color", MSG_COLOR)
    cleaned["color"] = color.lower()
    icon = str(data.get("icon") or "").strip()
    if icon not in ICONS:
        err("icon", MSG_ICON)
    cleaned["icon"] = icon

    for field in BOOL_FIELDS:
        value = data.get(field, False)
        if value is None:
            value = False
        if not isinstance(value, bool):
            err(field, "Must be true or false.")
            value = False
        cleaned[field] = value

    numbers: dict[str, Decimal | None] = {}
    for field in ("lower_bound", "upper_bound", "discount_percent", "penalty_percent"):
        try:
            numbers[field] = _percent(data.get(field))
        except ValueError:
            numbers[field] = None
            err(field, MSG_NUMBER)

    # bracket
    if cleaned["applies_to_new_customers"]:
        cleaned["lower_bound"] = cleaned["upper_bound"] = None  # the flag disables the bounds
        holder = next((o for o in others if o.applies_to_new_customers), None)
        if holder is not None:
            err(
                "applies_to_new_customers",
                f"Only one tier can apply to new customers: {holder.name} already does.",
            )
    else:
        lower, upper = numbers["lower_bound"], numbers["upper_bound"]
        for field, value in (("lower_bound", lower), ("upper_bound", upper)):
            if value is None and field not in errors:
                err(field, MSG_BOUND_REQUIRED)
            elif value is not None and not ZERO <= value <= HUNDRED:
                err(field, MSG_BOUND_RANGE)
        if "lower_bound" not in errors and "upper_bound" not in errors:
            if upper < lower:
                err("upper_bound", MSG_UPPER_BELOW_LOWER)
            else:
                for other in others:
                    if other.applies_to_new_customers or other.lower is None or other.upper is None:
                        continue
                    shared = brackets_overlap((lower, upper), (other.lower, other.upper))
                    if shared is not None:
                        message = overlap_message(other.name, shared)
                        err("lower_bound", message)
                        err("upper_bound", message)
                        break
        cleaned["lower_bound"], cleaned["upper_bound"] = lower, upper

    # rewards and penalties
    cleaned["discount_percent"] = None
    if cleaned["discount_enabled"] and "discount_percent" not in errors:
        value = numbers["discount_percent"]
        if value is None:
            err("discount_percent", MSG_DISCOUNT_REQUIRED)
        elif not ZERO < value <= HUNDRED:
            err("discount_percent", MSG_PERCENT_RANGE)
        cleaned["discount_percent"] = value
    cleaned["penalty_percent"] = None
    if not cleaned["penalty_enabled"]:
        if cleaned["penalty_matches_return_rate"]:
            err("penalty_matches_return_rate", MSG_MATCH_WITHOUT_PENALTY)
    elif not cleaned["penalty_matches_return_rate"] and "penalty_percent" not in errors:
        value = numbers["penalty_percent"]
        if value is None:
            err("penalty_percent", MSG_PENALTY_REQUIRED)
        elif not ZERO < value <= HUNDRED:
            err("penalty_percent", MSG_PERCENT_RANGE)
        cleaned["penalty_percent"] = value

    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    return cleaned


# --- selectors ----------------------------------------------------------------------------------------------


def tiers_for(*, tenant: Tenant) -> QuerySet[ReturnTier]:
    """The tenant's tiers in display order."""
    return ReturnTier.objects.filter(tenant=tenant).order_by("position", "id")


def tier_get(*, tenant: Tenant, public_id: str) -> ReturnTier:
    """One of the tenant's tiers; another tenant's id is NotFound."""
    tier = ReturnTier.objects.filter(tenant=tenant, public_id=public_id).first()
    if tier is None:
        raise NotFound("No such return tier.")
    return tier


def tier_values(tier: ReturnTier) -> dict[str, Any]:
    return {field: getattr(tier, field) for field in TIER_FIELDS}


def _brackets(tenant: Tenant, *, exclude_id: int | None = None) -> list[Bracket]:
    rows = ReturnTier.objects.filter(tenant=tenant).exclude(pk=exclude_id)
    return [Bracket(t.name, t.applies_to_new_customers, t.lower_bound, t.upper_bound) for t in rows]


# --- services -----------------------------------------------------------------------------------------------


def _lock(tenant: Tenant) -> None:
    """Serialise ladder writes per tenant so two saves cannot both pass the overlap check."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()


def _check_unknown(data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(TIER_FIELDS))
    if unknown:
        raise ValidationFailed("Some fields are invalid.", fields={f: ["Unknown field."] for f in unknown})


def _save(tier: ReturnTier) -> None:
    try:
        with transaction.atomic():
            tier.save()
    except IntegrityError:  # the unique constraints, when a concurrent write won the race
        raise ValidationFailed.on(
            "name", "A tier with this name or the new-customer flag already exists."
        ) from None


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [str(before[k]), str(after[k])] for k in TIER_FIELDS if before.get(k) != after.get(k)}


def tier_create(*, tenant: Tenant, actor: Any, data: dict[str, Any]) -> ReturnTier:
    """Validate and add a tier at the bottom of the display order."""
    _check_unknown(data)
    defaults = {"color": "#f59e0b", "icon": "star"}
    with transaction.atomic():
        _lock(tenant)
        cleaned = tier_validate({**defaults, **data}, others=_brackets(tenant))
        last = ReturnTier.objects.filter(tenant=tenant).aggregate(m=Max("position"))["m"]
        tier = ReturnTier(tenant=tenant, position=(last + 1) if last is not None else 0, **cleaned)
        _save(tier)
        audit_record(
            tenant=tenant,
            actor=actor,
            action="return_tier.created",
            summary=f"Return tier {tier.name} created",
            changes=_changes(dict.fromkeys(TIER_FIELDS), cleaned),
        )
    return tier


def tier_update(*, tier: ReturnTier, actor: Any, data: dict[str, Any]) -> ReturnTier:
    """Validate the tier with `data` merged over its current values and save it (nothing on refusal)."""
    _check_unknown(data)
    with transaction.atomic():
        _lock(tier.tenant)
        current = ReturnTier.objects.get(pk=tier.pk)
        before = tier_values(current)
        cleaned = tier_validate({**before, **data}, others=_brackets(current.tenant, exclude_id=current.pk))
        changes = _changes(before, cleaned)
        for field, value in cleaned.items():
            setattr(current, field, value)
        if changes:
            _save(current)
            audit_record(
                tenant=current.tenant,
                actor=actor,
                action="return_tier.updated",
                summary=f"Return tier {current.name} updated",
                changes=changes,
            )
    return current


def tiers_delete(*, tenant: Tenant, actor: Any, public_ids: list[str]) -> int:
    """Delete the tenant's tiers with these ids (all or none); customers in them keep no tier until the next
    recalculation."""
    ids = list(dict.fromkeys(public_ids))
    if not ids:
        raise ValidationFailed.on("ids", "Choose at least one tier.")
    with transaction.atomic():
        _lock(tenant)
        found = list(ReturnTier.objects.filter(tenant=tenant, public_id__in=ids))
        if len(found) != len(ids):
            raise NotFound("No such return tier.")
        for tier in found:
            audit_record(
                tenant=tenant,
                actor=actor,
                action="return_tier.deleted",
                summary=f"Return tier {tier.name} deleted",
                changes={"name": [tier.name, None]},
            )
        ReturnTier.objects.filter(pk__in=[t.pk for t in found]).delete()
    return len(found)


def tiers_reorder(*, tenant: Tenant, actor: Any, order: list[str]) -> list[ReturnTier]:
    """Put the listed tiers first, in that order, the rest after them as they were (display only)."""
    ids = list(dict.fromkeys(order))
    with transaction.atomic():
        _lock(tenant)
        tiers = list(tiers_for(tenant=tenant))
        by_id = {t.public_id: t for t in tiers}
        if any(i not in by_id for i in ids):
            raise NotFound("No such return tier.")
        ordered = [by_id[i] for i in ids] + [t for t in tiers if t.public_id not in set(ids)]
        before = [t.name for t in tiers]
        for position, tier in enumerate(ordered):
            if tier.position != position:
                tier.position = position
                tier.save(update_fields=["position", "updated_at"])
        after = [t.name for t in ordered]
        if after != before:
            audit_record(
                tenant=tenant,
                actor=actor,
                action="return_tier.reordered",
                summary="Return tiers reordered",
                changes={"order": [before, after]},
            )
    return ordered


def tier_move(*, tier: ReturnTier, actor: Any, direction: str) -> list[ReturnTier]:
    """Move a tier one place up or down the display order (the keyboard fallback for drag-and-drop)."""
    ids = list(tiers_for(tenant=tier.tenant).values_list("public_id", flat=True))
    index = ids.index(tier.public_id)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    return tiers_reorder(tenant=tier.tenant, actor=actor, order=ids)
