"""Lead field schema and payload validation: pure functions over plain values (no ORM).

A category's schema is a list of `FieldSpec`. `validate_payload` checks a ping or post payload against it
and returns the normalised values plus field-level messages in Juiced's wording ("The email field must be
a valid email address."). Unknown keys are kept as text (Juiced accepts additional properties); a field
added to a category later is simply absent from older leads, which stay valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import urlsplit

from juiced.leads import geo

Stage = Literal["ping", "post"]

FIELD_TYPES = (
    "text", "number", "email", "phone", "zip", "state", "date", "boolean",
    "select", "multi_select", "currency", "url",
)  # fmt: skip

# The base fields every category has (SPEC §4), in display order: key, label, type.
BASE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("first_name", "First name", "text"),
    ("last_name", "Last name", "text"),
    ("email", "Email", "email"),
    ("phone", "Phone", "phone"),
    ("address_1", "Address 1", "text"),
    ("address_2", "Address 2", "text"),
    ("city", "City", "text"),
    ("state", "State", "state"),
    ("zip", "ZIP code", "zip"),
    ("county", "County", "text"),
)
BASE_KEYS = frozenset(key for key, _label, _type in BASE_FIELDS)
# Keys of the API envelope, never lead data.
RESERVED_KEYS = frozenset({"ping_id", "bid_id", "is_test"})
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TEXT = 1000

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    field_type: str = "text"
    options: tuple[str, ...] = ()
    required_for_ping: bool = False
    required_for_post: bool = False
    deliverable: bool = True


@dataclass
class Validated:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def normalize_value(spec: FieldSpec, raw: Any, *, allow_test_zip: bool = False) -> tuple[Any, str | None]:
    """(normalised value, error message or None) for one present, non-blank value."""
    name = spec.key
    kind = spec.field_type
    if kind in ("text", "email", "phone", "zip", "state", "url", "select", "date") and not isinstance(
        raw, str | int | float
    ):
        return None, f"The {name} field must be a string."
    if kind == "text":
        text = str(raw).strip()
        if len(text) > MAX_TEXT:
            return None, f"The {name} field must not be greater than {MAX_TEXT} characters."
        return text, None
    if kind == "email":
        text = str(raw).strip().lower()
        if not _EMAIL.match(text) or len(text) > 254:
            return None, f"The {name} field must be a valid email address."
        return text, None
    if kind == "phone":
        digits = re.sub(r"\D", "", str(raw))
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) != 10:
            return None, f"The {name} field must be a valid 10-digit phone number."
        return digits, None
    if kind == "zip":
        text = str(raw).strip()
        if allow_test_zip and text in geo.TEST_ZIPS:
            return text, None
        zip5 = geo.normalize_zip(text)
        if not zip5 or geo.place_for_zip(zip5) is None:
            return None, "The postal code is not valid for this account's operating countries."
        return zip5, None
    if kind == "state":
        code = geo.normalize_state(str(raw))
        if not code:
            return None, f"The {name} field must be a valid US state."
        return code, None
    if kind == "date":
        try:
            return date.fromisoformat(str(raw).strip()).isoformat(), None
        except ValueError:
            return None, f"The {name} field must be a valid date (YYYY-MM-DD)."
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "y", "on"):
            return True, None
        if text in ("0", "false", "no", "n", "off"):
            return False, None
        return None, f"The {name} field must be true or false."
    if kind in ("number", "currency"):
        if isinstance(raw, bool):
            return None, f"The {name} field must be a number."
        try:
            number = Decimal(str(raw).strip().replace(",", "").lstrip("$"))
        except InvalidOperation:
            return None, f"The {name} field must be a number."
        if not number.is_finite():
            return None, f"The {name} field must be a number."
        if kind == "currency":
            if number != number.quantize(Decimal("0.01")):
                return None, f"The {name} field must have at most 2 decimal places."
            return str(number.quantize(Decimal("0.01"))), None
        return (int(number) if number == number.to_integral_value() else float(number)), None
    if kind == "url":
        text = str(raw).strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(text) > 2000:
            return None, f"The {name} field must be a valid URL."
        return text, None
    if kind == "select":
        text = str(raw).strip()
        match = _option(spec.options, text)
        if match is None:
            return None, f"The selected {name} is invalid."
        return match, None
    if kind == "multi_select":
        items = raw if isinstance(raw, list) else [part for part in str(raw).split(",")]
        chosen: list[str] = []
        for item in items:
            match = _option(spec.options, str(item).strip())
            if match is None:
                return None, f"The selected {name} is invalid."
            if match not in chosen:
                chosen.append(match)
        return chosen, None
    return str(raw), None


def _option(options: tuple[str, ...], text: str) -> str | None:
    for option in options:
        if option.casefold() == text.casefold():
            return option
    return None


def validate_payload(
    specs: list[FieldSpec], payload: dict[str, Any], *, stage: Stage, allow_test_zip: bool = False
) -> Validated:
    """Check and normalise `payload` for a ping or a post. Envelope keys (ping_id, bid_id, is_test) are
    skipped; unknown keys are kept as trimmed text. `zip` is always required (Juiced's API)."""
    result = Validated()
    by_key = {spec.key: spec for spec in specs}
    for spec in specs:
        raw = payload.get(spec.key)
        required = spec.required_for_ping if stage == "ping" else spec.required_for_post
        if spec.key == "zip":
            required = True
        if _is_blank(raw):
            if required:
                result.errors[spec.key] = [f"The {spec.key} field is required."]
            continue
        value, error = normalize_value(spec, raw, allow_test_zip=allow_test_zip)
        if error:
            result.errors[spec.key] = [error]
        else:
            result.values[spec.key] = value
    for key, raw in payload.items():
        if key in by_key or key in RESERVED_KEYS or _is_blank(raw):
            continue
        if not isinstance(key, str) or len(key) > 64:
            continue
        if isinstance(raw, dict | list):
            result.errors[key] = [f"The {key} field must be a string."]
            continue
        text = str(raw).strip()
        if len(text) > MAX_TEXT:
            result.errors[key] = [f"The {key} field must not be greater than {MAX_TEXT} characters."]
            continue
        result.values[key] = raw if isinstance(raw, bool | int | float) else text
    return result


def base_field_specs() -> list[FieldSpec]:
    """The base schema with its defaults: zip required everywhere, names/email/phone required to post."""
    required_post = {"first_name", "last_name", "email", "phone", "zip"}
    return [
        FieldSpec(key=key, label=label, field_type=kind, required_for_ping=key == "zip",
                  required_for_post=key in required_post)
        for key, label, kind in BASE_FIELDS
    ]  # fmt: skip
