"""A lead as the outside world sees it: webhook variables, notification variables, event data.

Plain dicts built from a saved Lead (with its lead type loaded); no writes. Shapes follow
webhooks/payloads.py `sample_lead` (customer webhook templates) and notifications/catalog.py (the
"lead" namespace), so a template written against the samples renders a real lead the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.text import slugify

from juiced.leads.fields import BASE_KEYS

# Lead data key → the name webhook templates use (payloads.sample_lead spells the address lines without "_").
WEBHOOK_BASE_NAMES = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "address_1": "address1",
    "address_2": "address2",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "county": "county",
}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def lead_type_key(name: str) -> str:
    """A template-friendly key of a lead type's name: "Auto insurance" → "auto_insurance"."""
    return slugify(name).replace("-", "_")


def _base(lead: Any, key: str) -> str:
    data = lead.data or {}
    if key == "zip":
        return _text(data.get("zip") or lead.zip_code)
    if key == "state":
        return _text(data.get("state") or lead.state)
    if key == "county":
        return _text(data.get("county") or lead.county)
    return _text(data.get(key))


def lead_variables(lead: Any, *, currency: str | None = None) -> dict[str, Any]:
    """The lead as customer webhook templates see it (same keys as payloads.sample_lead)."""
    lead_type = lead.lead_type if lead.lead_type_id else None
    values: dict[str, Any] = {"public_id": lead.public_id}
    for key, name in WEBHOOK_BASE_NAMES.items():
        values[name] = _base(lead, key)
    values["lead_type"] = (
        {"key": lead_type_key(lead_type.name), "name": lead_type.name} if lead_type else None
    )
    values["price"] = lead.price
    values["currency"] = (currency or lead.tenant.currency).lower()
    values["created"] = _iso(lead.created_at)
    values["details"] = {key: value for key, value in (lead.data or {}).items() if key not in BASE_KEYS}
    return values


def notification_lead(lead: Any) -> dict[str, Any]:
    """The notification catalog's "lead" variables (price in cents; the renderer formats it)."""
    first, last = _base(lead, "first_name"), _base(lead, "last_name")
    return {
        "public_id": lead.public_id,
        "full_name": " ".join(part for part in (first, last) if part),
        "first_name": first,
        "last_name": last,
        "email": _base(lead, "email"),
        "phone": _base(lead, "phone"),
        "address_1": _base(lead, "address_1"),
        "address_2": _base(lead, "address_2"),
        "city": _base(lead, "city"),
        "state": _base(lead, "state"),
        "zip": _base(lead, "zip"),
        "lead_type": lead.lead_type.name if lead.lead_type_id else "",
        "price": lead.price,
    }


def lead_event_data(lead: Any, *, currency: str | None = None) -> dict[str, Any]:
    """A tenant webhook's `data` for lead.* events: public ids, status, cents with the currency."""
    return {
        "lead": {
            "public_id": lead.public_id,
            "uuid": str(lead.uuid),
            "status": lead.status,
            "is_test": lead.is_test,
            "lead_type": lead.lead_type.public_id if lead.lead_type_id else None,
            "lead_type_name": lead.lead_type.name if lead.lead_type_id else None,
            "source": lead.source.public_id,
            "customer": lead.customer.public_id if lead.customer_id else None,
            "bid": lead.bid.public_id if lead.bid_id else None,
            "price": lead.price,
            "payout": lead.payout,
            "currency": (currency or lead.tenant.currency).lower(),
            "state": lead.state,
            "county": lead.county,
            "zip": lead.zip_code,
            "created": _iso(lead.created_at),
            "assigned": _iso(lead.assigned_at),
        }
    }
