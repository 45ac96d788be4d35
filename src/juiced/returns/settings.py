"""The tenant's Return Settings: read (created with defaults on first read) and update (Admin only)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.db import transaction

from juiced.core.audit import audit_record
from juiced.core.errors import ValidationFailed
from juiced.returns.models import ReturnSettings

SETTINGS_FIELDS = (
    "returns_enabled",
    "tiers_enabled",
    "policy_url",
    "return_window_days",
    "reasons",
    "rate_window_days",
)
_MODEL_FIELD = {"return_window_days": "window_days"}
MAX_REASONS = 30
MAX_WINDOW_DAYS = 365
MAX_RATE_WINDOW_DAYS = 3650


def return_settings_for(tenant: Any) -> ReturnSettings:
    """The tenant's ReturnSettings, created with the defaults on first read."""
    found, _created = ReturnSettings.objects.get_or_create(tenant=tenant)
    return found


def settings_values(found: ReturnSettings) -> dict[str, Any]:
    return {field: getattr(found, _MODEL_FIELD.get(field, field)) for field in SETTINGS_FIELDS}


def _int(value: Any, *, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ValueError
    number = int(str(value).strip())
    if not low <= number <= high:
        raise ValueError
    return number


def settings_validate(data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned subset of settings in `data`, or ValidationFailed naming each bad field."""
    errors: dict[str, list[str]] = {f: ["Unknown field."] for f in sorted(set(data) - set(SETTINGS_FIELDS))}
    cleaned: dict[str, Any] = {}
    for field in ("returns_enabled", "tiers_enabled"):
        if field in data:
            if not isinstance(data[field], bool):
                errors[field] = ["Must be true or false."]
            cleaned[field] = data[field]
    if "policy_url" in data:
        url = str(data["policy_url"] or "").strip()
        parsed = urlparse(url)
        if url and (parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500):
            errors["policy_url"] = ["Enter a full http(s) address, e.g. https://example.com/returns."]
        cleaned["policy_url"] = url
    if "return_window_days" in data:
        try:
            cleaned["return_window_days"] = _int(data["return_window_days"], low=1, high=MAX_WINDOW_DAYS)
        except (TypeError, ValueError):
            errors["return_window_days"] = [f"Enter a whole number of days from 1 to {MAX_WINDOW_DAYS}."]
    if "reasons" in data:
        value = data["reasons"]
        if isinstance(value, str):
            value = value.splitlines()
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            errors["reasons"] = ["Send a list of reasons."]
        else:
            reasons = list(dict.fromkeys(v.strip() for v in value if v.strip()))
            if not reasons:
                errors["reasons"] = ["Give at least one reason."]
            elif len(reasons) > MAX_REASONS:
                errors["reasons"] = [f"Keep it to {MAX_REASONS} reasons."]
            elif any(len(r) > 200 for r in reasons):
                errors["reasons"] = ["Keep each reason under 200 characters."]
            cleaned["reasons"] = reasons
    if "rate_window_days" in data:
        value = data["rate_window_days"]
        if value is None or (isinstance(value, str) and not value.strip()):
            cleaned["rate_window_days"] = None
        else:
            try:
                cleaned["rate_window_days"] = _int(value, low=1, high=MAX_RATE_WINDOW_DAYS)
            except (TypeError, ValueError):
                errors["rate_window_days"] = [
                    f"Enter a whole number of days from 1 to {MAX_RATE_WINDOW_DAYS},"
                    " or leave it empty for all time."
                ]
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    return cleaned


def return_settings_update(*, tenant: Any, actor: Any, data: dict[str, Any]) -> ReturnSettings:
    """Validate and save the given settings (nothing saved on refusal); audited."""
    cleaned = settings_validate(data)
    with transaction.atomic():
        found = return_settings_for(tenant)
        found = ReturnSettings.objects.select_for_update().get(pk=found.pk)
        before = settings_values(found)
        changes = {k: [before[k], v] for k, v in cleaned.items() if before[k] != v}
        for field, value in cleaned.items():
            setattr(found, _MODEL_FIELD.get(field, field), value)
        if changes:
            found.save()
            audit_record(
                tenant=tenant,
                actor=actor,
                action="return_settings.updated",
                summary="Return settings updated",
                changes=changes,
            )
    return found
