"""What a webhook sends: event envelopes, customer payload templates, and sample data.

Customer payload templates are JSON text with `{{ variable }}` placeholders. Our renderer never evaluates
anything: it looks each dotted name up in a plain dict and substitutes the JSON encoding of the value. A
placeholder written where a JSON value goes (`"id": {{ lead.public_id }}`) becomes that value (a string
gets its quotes, a number stays a number, a missing value is null); a placeholder inside a JSON string
(`"name": "{{ lead.first_name }} {{ lead.last_name }}"`) is replaced by the escaped text. The result must be
valid JSON, and an unknown variable is refused when the template is saved.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from juiced.core.errors import ValidationFailed
from juiced.core.ids import new_public_id
from juiced.leads.fields import BASE_KEYS, FieldSpec
from juiced.leads.representations import lead_type_key

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")
OPEN_VARIABLE_PREFIXES = ("lead.details.",)  # custom lead fields: any name, null when absent
MAX_TEMPLATE_LENGTH = 20_000
TEMPLATE_FIELD = "payload_template"

# --- sample data ------------------------------------------------------------------------------------------

# "Send test" fills a lead of one of the tenant's real lead types: that type's name, the ten base fields
# with fixed sample values, and the category's custom fields under `details` with a plausible value per
# field type (the shape `leads.representations.lead_variables` gives a real lead). No type chosen (or a
# tenant without lead types) gives the generic sample: base fields only.
GENERIC_SAMPLE_TYPE_NAME = "Generic lead"
SAMPLE_LEAD_ID = "lead_01j0000000000000000sample"
SAMPLE_BASE_VALUES: dict[str, str] = {
    "first_name": "Jane",
    "last_name": "Sample",
    "email": "jane.sample@example.com",
    "phone": "+15555550123",
    "address1": "123 Main St",
    "address2": "Apt 4",
    "city": "Springfield",
    "state": "IL",
    "zip": "62701",
    "county": "Sangamon",
}


@dataclass(frozen=True)
class SampleLeadType:
    """What a sample lead needs of a lead type: its name and its category's custom fields."""

    name: str
    fields: tuple[FieldSpec, ...] = ()


def sample_value(spec: FieldSpec) -> Any:
    """A plausible value of a custom field, in the normalised form ingestion stores (leads/fields.py)."""
    kind = spec.field_type
    if kind in ("select", "multi_select"):
        if not spec.options:
            return [] if kind == "multi_select" else ""
        return list(spec.options[:2]) if kind == "multi_select" else spec.options[0]
    fixed: dict[str, Any] = {
        "number": 3,
        "currency": "1500.00",
        "boolean": True,
        "date": "2026-01-15",
        "email": "sample@example.com",
        "phone": "5555550123",
        "zip": "62701",
        "state": "IL",
        "url": "https://example.com",
    }
    if kind in fixed:
        return fixed[kind]
    return f"Sample {spec.label or spec.key}"


def sample_lead(lead_type: SampleLeadType | None = None, *, currency: str = "usd") -> dict[str, Any]:
    """A lead as webhook templates see it, filled with sample values of `lead_type` (generic when None)."""
    name = lead_type.name if lead_type else GENERIC_SAMPLE_TYPE_NAME
    fields = lead_type.fields if lead_type else ()
    return {
        "public_id": SAMPLE_LEAD_ID,
        **SAMPLE_BASE_VALUES,
        "lead_type": {"key": lead_type_key(name), "name": name},
        "price": 2500,
        "currency": currency.lower(),
        "created": "2026-01-01T12:00:00Z",
        "details": {spec.key: sample_value(spec) for spec in fields if spec.key not in BASE_KEYS},
    }


def customer_variables(customer: Any) -> dict[str, Any]:
    return {
        "public_id": customer.public_id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
    }


def customer_webhook_context(
    *, customer: Any, event: str, event_id: str, context: dict[str, Any]
) -> dict[str, Any]:
    """A customer webhook's variables: the caller's context plus customer, event and flat lead aliases."""
    values: dict[str, Any] = {
        "event": event,
        "event_id": event_id,
        "customer": customer_variables(customer),
        "customer_public_id": customer.public_id,
        **context,
    }
    lead = context.get("lead")
    if isinstance(lead, dict):
        values.setdefault("lead_public_id", lead.get("public_id"))
        for field in ("first_name", "last_name", "email", "phone"):
            values.setdefault(field, lead.get(field))
    return values


def sample_context(
    *, customer: Any, lead_type: SampleLeadType | None = None, currency: str = "usd"
) -> dict[str, Any]:
    lead = sample_lead(lead_type, currency=currency)
    return customer_webhook_context(
        customer=customer, event="lead.assigned", event_id="evt_sample", context={"lead": lead}
    )


# --- the template renderer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placeholder:
    start: int
    end: int
    path: str
    in_string: bool


def placeholders(template: str) -> list[Placeholder]:
    """Every `{{ name }}` in `template`, noting whether it sits inside a JSON string literal."""
    found: list[Placeholder] = []
    in_string = False
    escaped = False
    i = 0
    while i < len(template):
        match = PLACEHOLDER.match(template, i) if template.startswith("{{", i) else None
        if match:
            found.append(Placeholder(match.start(), match.end(), match.group(1), in_string))
            i = match.end()
            continue
        char = template[i]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        i += 1
    return found


def variable_paths(values: dict[str, Any], prefix: str = "") -> set[str]:
    """Every dotted name usable in a template for `values` (objects and their fields)."""
    paths: set[str] = set()
    for key, value in values.items():
        path = prefix + key
        paths.add(path)
        if isinstance(value, dict):
            paths |= variable_paths(value, path + ".")
    return paths


def _lookup(values: dict[str, Any], path: str) -> Any:
    current: Any = values
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, cls=DjangoJSONEncoder)


def template_render(template: str, values: dict[str, Any]) -> str:
    """Substitute every placeholder with the JSON-escaped value; no other evaluation takes place."""
    out: list[str] = []
    position = 0
    for placeholder in placeholders(template):
        out.append(template[position : placeholder.start])
        value = _lookup(values, placeholder.path)
        if placeholder.in_string:
            out.append(json.dumps(_as_text(value))[1:-1])
        else:
            out.append(json.dumps(value, cls=DjangoJSONEncoder))
        position = placeholder.end
    out.append(template[position:])
    return "".join(out)


def _template_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={TEMPLATE_FIELD: [message]})


def _stray_tag(template: str) -> str:
    """The first `{{ … }}` that is not a plain variable, or any `{% … %}` tag; "" when there is none."""
    matched = {p.start for p in placeholders(template)}
    for match in re.finditer(r"\{\{.*?(\}\}|$)|\{%.*?(%\}|$)", template, flags=re.S):
        if match.start() not in matched:
            return match.group(0)[:60]
    return ""


def template_check(template: str, *, sample: dict[str, Any]) -> None:
    """Refuse unknown variables and a template whose rendering (with `sample`) is not valid JSON."""
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise _template_error(f"Keep the template under {MAX_TEMPLATE_LENGTH:,} characters.")
    stray = _stray_tag(template)
    if stray:
        raise _template_error(
            f"{stray!r} is not a variable: write variables like {{{{ lead.first_name }}}} "
            "(filters, tags and expressions are not supported)."
        )
    known = variable_paths(sample)
    unknown = sorted(
        {
            p.path
            for p in placeholders(template)
            if p.path not in known and not p.path.startswith(OPEN_VARIABLE_PREFIXES)
        }
    )
    if unknown:
        names = ", ".join(unknown)
        raise _template_error(f"Unknown variable{'s' if len(unknown) > 1 else ''}: {names}.")
    rendered = template_render(template, sample)
    try:
        json.loads(rendered)
    except json.JSONDecodeError as exc:
        raise _template_error(
            f"The payload is not valid JSON once filled in: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})."
        ) from None


DEFAULT_CUSTOMER_TEMPLATE = """{
  "event": {{ event }},
  "event_id": {{ event_id }},
  "customer_public_id": {{ customer.public_id }},
  "lead": {{ lead }}
}"""


def customer_payload(template: str, values: dict[str, Any]) -> str:
    """The body a customer webhook sends: its template filled in, or the default payload when empty."""
    return template_render(template.strip() or DEFAULT_CUSTOMER_TEMPLATE, values)


# --- tenant event envelopes and data ----------------------------------------------------------------------


def event_id_new() -> str:
    return new_public_id("evt")


def event_envelope(*, event_id: str, event: str, data: dict[str, Any]) -> str:
    """`{"id", "type", "created", "data"}` as compact JSON (datetimes as ISO 8601)."""
    envelope = {"id": event_id, "type": event, "created": int(time.time()), "data": data}
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"))


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def customer_data(
    customer: Any, *, change: str = "created", changed: list[str] | None = None
) -> dict[str, Any]:
    """The `data` of customer.created / customer.updated (`change` is the kind of update)."""
    return {
        "object": {
            "id": customer.public_id,
            "object": "customer",
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "address1": customer.address1,
            "address2": customer.address2,
            "city": customer.city,
            "state": customer.state,
            "zip_code": customer.zip_code,
            "paused": customer.is_paused,
            "archived": customer.archived_at is not None,
            "is_onboarded": customer.is_onboarded,
            "can_access_bidding": customer.can_access_bidding,
            "created": _iso(customer.created_at),
            "updated": _iso(customer.updated_at),
        },
        "change": change,
        "changed_fields": sorted(changed or []),
    }


def transaction_data(txn: Any, *, customer_public_id: str, currency: str) -> dict[str, Any]:
    """The `data` of transaction.created: cents and a lowercase currency, public ids only."""
    return {
        "object": {
            "id": txn.public_id,
            "object": "transaction",
            "customer": customer_public_id,
            "event": txn.event,
            "amount": txn.amount,
            "held_delta": txn.held_delta,
            "currency": currency.lower(),
            "balance_after": txn.balance_after,
            "available_after": txn.balance_after - txn.held_after,
            "description": txn.description,
            "related": {"type": txn.related_type, "id": txn.related_id} if txn.related_type else None,
            "created": _iso(txn.created_at),
        }
    }


def sample_event_data(*, lead_type: SampleLeadType | None, currency: str) -> dict[str, Any]:
    return {"test": True, "lead": sample_lead(lead_type, currency=currency)}
