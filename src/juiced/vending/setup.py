"""Vending set-up services: customers, locations, meters, tariffs (versioned), accounts and vendors.

Every function takes keyword arguments, validates `data` field by field (ValidationFailed with `fields`),
owns its transaction and records account history (`account_record`) for each account it changes. The
caller checks the role permission (`access.require(...)`); rules that depend on a value (a meter's token
count, its secret key) check it here.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.db.models.functions import Length
from django.utils import timezone

from juiced.core.errors import InvalidState, PermissionDenied, ValidationFailed
from juiced.notifications.services import E164, normalize_phone
from juiced.tenants.models import Membership, Tenant
from juiced.vending import tariffs as tariff_maths
from juiced.vending.history import account_record
from juiced.vending.models import (
    Account,
    AccountNote,
    AccountStatus,
    Location,
    MasterAccount,
    Meter,
    Tariff,
    TariffKind,
    TariffVersion,
    TokenStandard,
    VendingCustomer,
    Vendor,
)
from juiced.vending.tokens import meter_secret_set

Errors = dict[str, list[str]]
REQUIRED = "This field is required."
MAX_BP = 10_000
OPENPAYGO_MAX_STARTING_CODE = 2**32 - 1
ACCOUNT_NUMBER_FIRST = 100_001
TERMS_FIELDS = (
    "kind",
    "flat_rate",
    "blocks",
    "tou",
    "fixed_per_purchase",
    "fixed_per_day",
    "tax_bp",
    "minimum_purchase",
)


# --- field cleaners: each reads one field of `data`, records a message in `errors` or returns the value ----


class FieldCleaner:
    """Reads `data` for a create (`partial=False`: required fields must be there) or an update."""

    def __init__(self, data: Mapping[str, Any], *, allowed: set[str], partial: bool):
        self.data = data
        self.partial = partial
        self.errors: Errors = {field: ["Unknown field."] for field in data if field not in allowed}
        self.cleaned: dict[str, Any] = {}

    def present(self, field: str) -> bool:
        return field in self.data

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def text(self, field: str, *, required: bool = False, max_length: int = 200) -> None:
        if not self.present(field) and (self.partial or not required):
            return
        value = self.data.get(field)
        value = "" if value is None else value
        if not isinstance(value, str):
            self.fail(field, "Must be a string.")
            return
        value = value.strip()
        if required and not value:
            self.fail(field, REQUIRED)
        elif len(value) > max_length:
            self.fail(field, f"Keep this under {max_length + 1} characters.")
        else:
            self.cleaned[field] = value

    def boolean(self, field: str) -> None:
        if self.present(field):
            value = self.data[field]
            if isinstance(value, bool):
                self.cleaned[field] = value
            else:
                self.fail(field, "Must be true or false.")

    def integer(
        self,
        field: str,
        *,
        minimum: int = 0,
        maximum: int | None = None,
        nullable: bool = False,
        unit: str = "",
    ) -> None:
        if not self.present(field):
            return
        value = self.data[field]
        if value is None or value == "":
            if nullable:
                self.cleaned[field] = None
            else:
                self.fail(field, REQUIRED)
            return
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, f"Enter a whole number{unit}.")
        elif value < minimum:
            self.fail(field, f"Must be at least {minimum}.")
        elif maximum is not None and value > maximum:
            self.fail(field, f"Must be at most {maximum}.")
        else:
            self.cleaned[field] = value

    def phone(self, field: str) -> None:
        if not self.present(field):
            return
        value = normalize_phone(str(self.data.get(field) or "").strip())
        if value and not E164.match(value):
            self.fail(field, "Enter the number in international format, e.g. +254700000001.")
        else:
            self.cleaned[field] = value

    def email(self, field: str) -> None:
        if not self.present(field):
            return
        value = str(self.data.get(field) or "").strip().lower()
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                self.fail(field, "Enter a valid e-mail address.")
                return
        self.cleaned[field] = value

    def raise_if_invalid(self) -> dict[str, Any]:
        if self.errors:
            raise ValidationFailed("Some fields are invalid.", fields=self.errors)
        return self.cleaned


def tenant_of(access: Any) -> Tenant:
    return access if isinstance(access, Tenant) else access.tenant


def actor_of(access: Any) -> Any:
    return getattr(access, "user", None)


def apply_changes(instance: Model, cleaned: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set the cleaned values on `instance`; return {field: [old, new]} for the ones that changed."""
    changes: dict[str, list[Any]] = {}
    for field, value in cleaned.items():
        old = getattr(instance, field)
        if old != value:
            changes[field] = [old, value]
            setattr(instance, field, value)
    return changes


def _record_on_accounts(accounts, *, access: Any, action: str, summary: str, changes: dict) -> None:
    for account in accounts:
        account_record(
            account=account, actor=actor_of(access), action=action, summary=summary, changes=changes
        )


def _save_or_field_error(instance: Model, *, field: str, message: str) -> None:
    """Save; a unique constraint lost to a concurrent writer becomes the same field error as the check."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationFailed.on(field, message) from exc


# --- customers ----------------------------------------------------------------------------------------------

CUSTOMER_FIELDS = {
    "name",
    "phone",
    "phone_alt",
    "email",
    "id_number",
    "address",
    "receipt_sms",
    "receipt_email",
    "language",
    "discount_bp",
    "notes",
}


def _clean_customer(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    c = FieldCleaner(data, allowed=CUSTOMER_FIELDS, partial=partial)
    c.text("name", required=True)
    c.phone("phone")
    c.phone("phone_alt")
    c.email("email")
    c.text("id_number", max_length=60)
    c.text("address", max_length=300)
    c.boolean("receipt_sms")
    c.boolean("receipt_email")
    c.text("language", max_length=10)
    c.integer("discount_bp", maximum=MAX_BP, unit=" of basis points (15 % is 1500)")
    c.text("notes", max_length=5000)
    return c.raise_if_invalid()


@transaction.atomic
def customer_create(*, access: Any, data: Mapping[str, Any]) -> VendingCustomer:
    """Create a vending customer (phones in E.164, e-mail lower-cased)."""
    cleaned = _clean_customer(data, partial=False)
    return VendingCustomer.objects.create(tenant=tenant_of(access), **cleaned)


@transaction.atomic
def customer_update(*, access: Any, data: Mapping[str, Any], customer: VendingCustomer) -> VendingCustomer:
    """Change a vending customer's details, preferences or discount; history on each of their accounts."""
    cleaned = _clean_customer(data, partial=True)
    changes = apply_changes(customer, cleaned)
    if changes:
        customer.save()
        _record_on_accounts(
            customer.accounts.all(),
            access=access,
            action="customer_updated",
            summary=f"Customer {customer.name} updated: {', '.join(changes)}.",
            changes=changes,
        )
    return customer


# --- locations ----------------------------------------------------------------------------------------------

LOCATION_FIELDS = {
    "loc_id",
    "address_1",
    "address_2",
    "city",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "notes",
}


def _coordinate(c: FieldCleaner, field: str, limit: int) -> None:
    if not c.present(field):
        return
    value = c.data[field]
    if value is None or value == "":
        c.cleaned[field] = None
        return
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        c.fail(field, "Enter a number of degrees.")
        return
    if not -limit <= number <= limit:
        c.fail(field, f"Must be between -{limit} and {limit}.")
    else:
        c.cleaned[field] = number


def _clean_location(data: Mapping[str, Any], *, partial: bool, tenant: Tenant, location=None) -> dict:
    c = FieldCleaner(data, allowed=LOCATION_FIELDS, partial=partial)
    c.text("loc_id", required=True, max_length=40)
    c.text("address_1", required=True)
    for field in ("address_2", "city", "region"):
        c.text(field, max_length=200 if field == "address_2" else 100)
    c.text("postal_code", max_length=20)
    c.text("country", max_length=2)
    if c.cleaned.get("country"):
        c.cleaned["country"] = c.cleaned["country"].upper()
        if not re.fullmatch(r"[A-Z]{2}", c.cleaned["country"]):
            c.fail("country", "Use the two-letter country code (ISO 3166-1), e.g. KE.")
    _coordinate(c, "latitude", 90)
    _coordinate(c, "longitude", 180)
    c.text("notes", max_length=5000)
    loc_id = c.cleaned.get("loc_id")
    if loc_id:
        taken = Location.objects.filter(tenant=tenant, loc_id__iexact=loc_id)
        if location is not None:
            taken = taken.exclude(pk=location.pk)
        if taken.exists():
            c.fail("loc_id", f"Loc ID {loc_id} is already in use.")
    return c.raise_if_invalid()


@transaction.atomic
def location_create(*, access: Any, data: Mapping[str, Any]) -> Location:
    """Create a location; its Loc ID is unique per tenant whatever the letter case."""
    tenant = tenant_of(access)
    cleaned = _clean_location(data, partial=False, tenant=tenant)
    location = Location(tenant=tenant, **cleaned)
    _save_or_field_error(location, field="loc_id", message=f"Loc ID {location.loc_id} is already in use.")
    return location


@transaction.atomic
def location_update(*, access: Any, data: Mapping[str, Any], location: Location) -> Location:
    """Change a location; history on each account at it."""
    cleaned = _clean_location(data, partial=True, tenant=location.tenant, location=location)
    changes = apply_changes(location, cleaned)
    if changes:
        _save_or_field_error(location, field="loc_id", message=f"Loc ID {location.loc_id} is already in use.")
        _record_on_accounts(
            location.accounts.all(),
            access=access,
            action="location_updated",
            summary=f"Location {location.loc_id} updated: {', '.join(changes)}.",
            changes=changes,
        )
    return location


# --- meters -------------------------------------------------------------------------------------------------

METER_FIELDS = {
    "serial_number",
    "com",
    "vending_enabled",
    "token_standard",
    "openpaygo_secret_key",
    "openpaygo_starting_code",
    "token_count",
    "restricted_digit_set",
    "extended_tokens",
    "energy_step_kwh",
    "energy_step_wh",
    "notes",
    "reason",
}
# Changing these on an existing meter can make its tokens unreadable or reuse counts: vending.tokens.manage
# and a reason.
METER_TOKEN_FIELDS = ("openpaygo_secret_key", "openpaygo_starting_code", "token_count")


def energy_step_wh_from_kwh(value: Any) -> int:
    """ "0.1" / 0.1 / Decimal("0.1") kWh → 100 Wh; ValueError unless a positive whole number of Wh."""
    try:
        kwh = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("Enter the energy per token step in kWh, e.g. 0.1.") from exc
    wh = kwh * 1000
    if not kwh.is_finite() or wh <= 0 or wh != wh.to_integral_value():
        raise ValueError("Enter a positive number of kWh with at most 3 decimals (whole Wh), e.g. 0.1.")
    return int(wh)


def _clean_meter(data: Mapping[str, Any], *, partial: bool, tenant: Tenant, meter=None) -> dict:
    c = FieldCleaner(data, allowed=METER_FIELDS, partial=partial)
    c.text("serial_number", required=True, max_length=60)
    c.text("com", max_length=100)
    c.boolean("vending_enabled")
    if c.present("token_standard") and c.data["token_standard"] not in TokenStandard.values:
        c.fail("token_standard", "Only OpenPAYGO Token is supported (STS is an extension point).")
    if c.present("openpaygo_secret_key") or not partial:
        key = str(c.data.get("openpaygo_secret_key") or "").strip().lower()
        if not re.fullmatch(r"[0-9a-f]{32}", key):
            c.fail("openpaygo_secret_key", "Enter the meter's secret key: 32 hexadecimal characters.")
        else:
            c.cleaned["openpaygo_secret_key"] = key
    c.integer("openpaygo_starting_code", maximum=OPENPAYGO_MAX_STARTING_CODE)
    c.integer("token_count", maximum=2**31 - 1)
    c.boolean("restricted_digit_set")
    c.boolean("extended_tokens")
    for field in ("energy_step_kwh", "energy_step_wh"):
        if c.present(field):
            try:
                raw = c.data[field]
                step = energy_step_wh_from_kwh(raw) if field == "energy_step_kwh" else int(raw)
                if step <= 0 or (field == "energy_step_wh" and isinstance(raw, bool | float)):
                    raise ValueError("Enter a positive whole number of Wh.")
                c.cleaned["energy_step_wh"] = step
            except (TypeError, ValueError) as exc:
                c.fail(field, str(exc) if "Enter" in str(exc) else "Enter a positive number.")
    c.text("notes", max_length=5000)
    c.text("reason", max_length=300)
    serial = c.cleaned.get("serial_number")
    if serial:
        taken = Meter.objects.filter(tenant=tenant, serial_number__iexact=serial)
        if meter is not None:
            taken = taken.exclude(pk=meter.pk)
        if taken.exists():
            c.fail("serial_number", f"Meter {serial} already exists.")
    return c.raise_if_invalid()


def _meter_token_rules(*, access: Any, meter: Meter, cleaned: dict[str, Any]) -> None:
    """An existing meter's key, starting code and count change only with vending.tokens.manage and a reason;
    the count never goes back (a count used twice would let an old token load again)."""
    touched = [
        f
        for f in METER_TOKEN_FIELDS
        if f in cleaned and (f == "openpaygo_secret_key" or cleaned[f] != getattr(meter, f))
    ]
    if not touched:
        return
    if not getattr(access, "can", lambda _p: True)("vending.tokens.manage"):
        raise PermissionDenied("Changing a meter's token settings needs the token management permission.")
    if not cleaned.get("reason"):
        raise ValidationFailed.on("reason", "Give a reason for changing the meter's token settings.")
    if "token_count" in cleaned and cleaned["token_count"] < meter.token_count:
        raise ValidationFailed.on(
            "token_count",
            f"The count can only move forward (it is {meter.token_count}); counts are never reused.",
        )


def _set_secret(meter: Meter, key_hex: str) -> None:
    """Store the key encrypted (validated as 32 hex characters above)."""
    meter_secret_set(meter=meter, secret_hex=key_hex)


@transaction.atomic
def meter_create(*, access: Any, data: Mapping[str, Any]) -> Meter:
    """Create an OpenPAYGO meter; the secret key is stored encrypted, a starting code drawn if not given."""
    tenant = tenant_of(access)
    cleaned = _clean_meter(data, partial=False, tenant=tenant)
    key = cleaned.pop("openpaygo_secret_key")
    cleaned.pop("reason", None)
    cleaned.setdefault("openpaygo_starting_code", secrets.randbelow(10**9))
    meter = Meter(tenant=tenant, **cleaned)
    _set_secret(meter, key)
    _save_or_field_error(meter, field="serial_number", message=f"Meter {meter.serial_number} already exists.")
    return meter


@transaction.atomic
def meter_update(*, access: Any, data: Mapping[str, Any], meter: Meter) -> Meter:
    """Change a meter; token settings need vending.tokens.manage and a reason; history on its accounts."""
    meter = Meter.objects.select_for_update().get(pk=meter.pk)
    cleaned = _clean_meter(data, partial=True, tenant=meter.tenant, meter=meter)
    _meter_token_rules(access=access, meter=meter, cleaned=cleaned)
    reason = cleaned.pop("reason", "")
    key = cleaned.pop("openpaygo_secret_key", None)
    changes = apply_changes(meter, cleaned)
    if key is not None:
        _set_secret(meter, key)
        changes["openpaygo_secret_key"] = ["(secret)", "(new secret)"]
    if changes:
        _save_or_field_error(
            meter, field="serial_number", message=f"Meter {meter.serial_number} already exists."
        )
        summary = f"Meter {meter.serial_number} updated: {', '.join(changes)}." + (
            f" {reason}" if reason else ""
        )
        _record_on_accounts(
            meter.accounts.all(), access=access, action="meter_updated", summary=summary, changes=changes
        )
    return meter


# --- tariffs ------------------------------------------------------------------------------------------------

TARIFF_FIELDS = {"name", "description", "is_active"}


def _clean_tariff(data: Mapping[str, Any], *, partial: bool, tenant: Tenant, tariff=None) -> dict:
    c = FieldCleaner(data, allowed=TARIFF_FIELDS | set(TERMS_FIELDS) | {"note"}, partial=partial)
    for field in set(TERMS_FIELDS) | {"note"}:
        c.errors.pop(field, None)
    c.text("name", required=True, max_length=120)
    c.text("description", max_length=2000)
    c.boolean("is_active")
    name = c.cleaned.get("name")
    if name:
        taken = Tariff.objects.filter(tenant=tenant, name__iexact=name)
        if tariff is not None:
            taken = taken.exclude(pk=tariff.pk)
        if taken.exists():
            c.fail("name", f"A tariff named {name} already exists.")
    return c.raise_if_invalid()


def _version_terms(version: TariffVersion | None) -> dict[str, Any]:
    if version is None:
        return {}
    return {field: getattr(version, field) for field in TERMS_FIELDS}


def _clean_terms(data: Mapping[str, Any], *, base: dict[str, Any]) -> dict[str, Any]:
    """Merge the given terms over `base` (the current version's) and validate them with the tariff maths."""
    merged = {**base, **{f: data[f] for f in TERMS_FIELDS if f in data}}
    kind = merged.get("kind")
    if kind not in TariffKind.values:
        raise ValidationFailed.on("kind", "Choose flat, blocks or tou.")
    if data.get("kind") and base.get("kind") and data["kind"] != base["kind"]:
        # A new kind starts from its own terms: the other kind's rates do not carry over.
        for field in ("flat_rate", "blocks", "tou"):
            if field not in data:
                merged.pop(field, None)
    terms = {f: v for f, v in merged.items() if f != "kind" and v is not None}
    cleaned = tariff_maths.tariff_terms_validate(kind, terms)
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > 300:
        raise ValidationFailed.on("note", "A short note (at most 300 characters).")
    return {**cleaned, "kind": kind, "note": note.strip()}


def _version_create(*, access: Any, tariff: Tariff, terms: dict[str, Any]) -> TariffVersion:
    number = (tariff.current_version.number if tariff.current_version_id else 0) + 1
    fields = {f: terms[f] for f in (*TERMS_FIELDS, "note") if f in terms}
    fields.setdefault("blocks", [])
    fields.setdefault("tou", [])
    version = TariffVersion.objects.create(
        tenant_id=tariff.tenant_id, tariff=tariff, number=number, created_by=actor_of(access), **fields
    )
    tariff.current_version = version
    tariff.save(update_fields=["current_version"])
    return version


@transaction.atomic
def tariff_create(*, access: Any, data: Mapping[str, Any]) -> Tariff:
    """Create a tariff and its version 1 (kind, rates, fixed charges, tax, minimum purchase)."""
    tenant = tenant_of(access)
    errors: Errors = {}
    cleaned: dict[str, Any] = {}
    terms: dict[str, Any] = {}
    for clean in (
        lambda: cleaned.update(_clean_tariff(data, partial=False, tenant=tenant)),
        lambda: terms.update(_clean_terms(data, base={})),
    ):
        try:
            clean()
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    tariff = Tariff(tenant=tenant, **cleaned)
    _save_or_field_error(tariff, field="name", message=f"A tariff named {tariff.name} already exists.")
    _version_create(access=access, tariff=tariff, terms=terms)
    return tariff


@transaction.atomic
def tariff_update(*, access: Any, tariff: Tariff, data: Mapping[str, Any]) -> Tariff:
    """Rename, describe or (de)activate a tariff; terms in `data` add a version (tariff_version_add)."""
    tariff = (
        Tariff.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=tariff.pk)
    )
    cleaned = _clean_tariff(data, partial=True, tenant=tariff.tenant, tariff=tariff)
    if apply_changes(tariff, cleaned):
        _save_or_field_error(tariff, field="name", message=f"A tariff named {tariff.name} already exists.")
    if any(f in data for f in TERMS_FIELDS):
        tariff_version_add(access=access, tariff=tariff, data=data)
        tariff.refresh_from_db()
    return tariff


@transaction.atomic
def tariff_version_add(*, access: Any, tariff: Tariff, data: Mapping[str, Any]) -> TariffVersion:
    """A change of terms: version number+1 from the current terms with `data` over them; sales keep theirs."""
    tariff = (
        Tariff.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=tariff.pk)
    )
    unknown = {f: ["Unknown field."] for f in data if f not in (*TERMS_FIELDS, "note", *TARIFF_FIELDS)}
    if unknown:
        raise ValidationFailed("Some fields are invalid.", fields=unknown)
    terms = _clean_terms(data, base=_version_terms(tariff.current_version))
    return _version_create(access=access, tariff=tariff, terms=terms)


# --- accounts -----------------------------------------------------------------------------------------------

ACCOUNT_FIELDS = {
    "number",
    "customer",
    "location",
    "meter",
    "tariff",
    "master",
    "arrears_recovery_bp",
    "minimum_purchase",
    "maximum_purchase",
}
RELATED_MODELS: dict[str, tuple[type[Model], str]] = {
    "customer": (VendingCustomer, "No such customer."),
    "location": (Location, "No such location."),
    "meter": (Meter, "No such meter."),
    "tariff": (Tariff, "No such tariff."),
    "master": (MasterAccount, "No such master account."),
}


def related_in_tenant(c: FieldCleaner, field: str, tenant: Tenant, *, nullable: bool = False) -> None:
    """A public id (or an instance) of the tenant's own row; another tenant's is simply not found."""
    if not c.present(field) and (c.partial or nullable):
        return
    model, missing = RELATED_MODELS[field]
    value = c.data.get(field)
    if value in (None, ""):
        if nullable:
            c.cleaned[field] = None
        else:
            c.fail(field, REQUIRED)
        return
    if isinstance(value, model):
        found = value if value.tenant_id == tenant.pk else None
    elif isinstance(value, str):
        found = model.objects.filter(tenant=tenant, public_id=value.strip()).first()
    else:
        found = None
    if found is None:
        c.fail(field, missing)
    else:
        c.cleaned[field] = found


def clean_purchase_limits(c: FieldCleaner, current: Account | MasterAccount | None) -> None:
    c.integer("minimum_purchase", nullable=True, unit=" of cents")
    c.integer("maximum_purchase", nullable=True, minimum=1, unit=" of cents")
    low = c.cleaned.get("minimum_purchase", getattr(current, "minimum_purchase", None))
    high = c.cleaned.get("maximum_purchase", getattr(current, "maximum_purchase", None))
    if low is not None and high is not None and low > high and "maximum_purchase" not in c.errors:
        c.fail("maximum_purchase", "The maximum purchase must not be below the minimum purchase.")


def _meter_free_for(meter: Meter, *, account: Account | None) -> bool:
    busy = Account.objects.filter(meter=meter, status=AccountStatus.ACTIVE)
    if account is not None:
        busy = busy.exclude(pk=account.pk)
    return not busy.exists()


def _clean_account(data: Mapping[str, Any], *, partial: bool, tenant: Tenant, account=None) -> dict:
    c = FieldCleaner(data, allowed=ACCOUNT_FIELDS, partial=partial)
    c.text("number", max_length=20)
    if c.cleaned.get("number"):
        number = c.cleaned["number"]
        if not re.fullmatch(r"[A-Za-z0-9-]+", number):
            c.fail("number", "Use letters, digits and dashes only.")
        else:
            taken = Account.objects.filter(tenant=tenant, number__iexact=number)
            if account is not None:
                taken = taken.exclude(pk=account.pk)
            if taken.exists():
                c.fail("number", f"Account {number} already exists.")
    elif "number" in c.cleaned:
        if partial:
            c.fail("number", "An account keeps a number.")
        del c.cleaned["number"]
    for field in ("customer", "location", "meter", "tariff"):
        related_in_tenant(c, field, tenant)
    related_in_tenant(c, "master", tenant, nullable=True)
    c.integer("arrears_recovery_bp", maximum=MAX_BP, unit=" of basis points (15 % is 1500)")
    clean_purchase_limits(c, account)
    meter = c.cleaned.get("meter")
    active = account is not None and account.status == AccountStatus.ACTIVE
    if meter is not None and (account is None or active) and not _meter_free_for(meter, account=account):
        if account is None or meter.pk != account.meter_id:
            c.fail("meter", f"Meter {meter.serial_number} is already on another active account.")
    return c.raise_if_invalid()


def _next_account_number(tenant: Tenant) -> str:
    """The next number after the tenant's highest all-digit number of 6+ digits (100001 at first)."""
    last = (
        Account.objects.filter(tenant=tenant, number__regex=r"^[0-9]{6,}$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    return str(int(last) + 1 if last else ACCOUNT_NUMBER_FIRST)


@transaction.atomic
def account_create(
    *, access: Any, data: Mapping[str, Any], new_customer: Mapping[str, Any] | None = None
) -> Account:
    """A pending account joining customer, location, meter and tariff (number generated if absent).
    `new_customer` ({"name", "phone"}) is created with it when no customer is chosen: in the same
    transaction, so an account refused (meter taken, number used) leaves no stray customer behind."""
    if new_customer is not None and not data.get("customer"):
        data = {**data, "customer": customer_create(access=access, data=new_customer).public_id}
    tenant = tenant_of(access)
    # One account creation at a time per tenant: generated numbers never collide.
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    cleaned = _clean_account(data, partial=False, tenant=tenant)
    cleaned.setdefault("number", _next_account_number(tenant))
    account = Account(tenant=tenant, status=AccountStatus.PENDING, **cleaned)
    _save_or_field_error(account, field="number", message=f"Account {account.number} already exists.")
    account_record(
        account=account,
        actor=actor_of(access),
        action="created",
        summary=f"Account {account.number} created (pending activation).",
        changes={f: [None, v] for f, v in cleaned.items() if v is not None},
    )
    return account


def _locked_account(account: Account) -> Account:
    return Account.objects.select_for_update().select_related("meter", "tariff").get(pk=account.pk)


@transaction.atomic
def account_update(*, access: Any, account: Account, data: Mapping[str, Any]) -> Account:
    """Change an account's parts or settings; every change is in its history as {field: [old, new]}."""
    account = _locked_account(account)
    cleaned = _clean_account(data, partial=True, tenant=account.tenant, account=account)
    changes = apply_changes(account, cleaned)
    if changes:
        _save_or_field_error(
            account, field="meter", message="That meter is already on another active account."
        )
        account_record(
            account=account,
            actor=actor_of(access),
            action="updated",
            summary=f"Account {account.number} updated: {', '.join(changes)}.",
            changes=changes,
        )
    return account


def _note(*, access: Any, account: Account, body: str, action: str) -> None:
    if body:
        AccountNote.objects.create(
            tenant_id=account.tenant_id, account=account, author=actor_of(access), body=body, action=action
        )


@transaction.atomic
def account_activate(*, access: Any, account: Account, note: str = "") -> Account:
    """Pending or inactive → active; refused while the meter is on another active account."""
    account = _locked_account(account)
    if account.status == AccountStatus.ACTIVE:
        raise InvalidState(f"Account {account.number} is already active.")
    if not _meter_free_for(account.meter, account=account):
        raise ValidationFailed.on(
            "meter", f"Meter {account.meter.serial_number} is already on another active account."
        )
    old = account.status
    account.status = AccountStatus.ACTIVE
    account.activated_at = timezone.now()
    account.deactivated_at = None
    _save_or_field_error(account, field="meter", message="That meter is already on another active account.")
    note = (note or "").strip()
    _note(access=access, account=account, body=note, action="activate")
    account_record(
        account=account,
        actor=actor_of(access),
        action="activated",
        summary=f"Account {account.number} activated." + (f" {note}" if note else ""),
        changes={"status": [old, AccountStatus.ACTIVE]},
    )
    return account


@transaction.atomic
def account_deactivate(*, access: Any, account: Account, note: str = "") -> Account:
    """Active or pending → inactive, with a required note (on the Notes tab); no sales then."""
    note = (note or "").strip()
    if not note:
        raise ValidationFailed.on("note", "Say why the account is deactivated.")
    account = _locked_account(account)
    if account.status == AccountStatus.INACTIVE:
        raise InvalidState(f"Account {account.number} is already inactive.")
    old = account.status
    account.status = AccountStatus.INACTIVE
    account.deactivated_at = timezone.now()
    account.save()
    _note(access=access, account=account, body=note, action="deactivate")
    account_record(
        account=account,
        actor=actor_of(access),
        action="deactivated",
        summary=f"Account {account.number} deactivated: {note}",
        changes={"status": [old, AccountStatus.INACTIVE]},
    )
    return account


# --- vendors (cashiers) -------------------------------------------------------------------------------------

VENDOR_FIELDS = {"user", "name", "limit_per_sale", "limit_per_day", "is_active"}


def _clean_vendor(data: Mapping[str, Any], *, partial: bool, tenant: Tenant) -> dict:
    c = FieldCleaner(data, allowed=VENDOR_FIELDS, partial=partial)
    if partial and c.present("user"):
        c.fail("user", "A vendor's user cannot change; create a vendor for the other user.")
    elif not partial:
        user_id = str(c.data.get("user") or "").strip()
        membership = (
            Membership.objects.select_related("user").filter(tenant=tenant, user__public_id=user_id).first()
            if user_id
            else None
        )
        if membership is None:
            c.fail("user", REQUIRED if not user_id else "No such staff member.")
        elif Vendor.objects.filter(tenant=tenant, user=membership.user).exists():
            c.fail("user", f"{membership.user.email} already has a vendor.")
        else:
            c.cleaned["user"] = membership.user
    c.text("name", required=True, max_length=120)
    c.integer("limit_per_sale", nullable=True, minimum=1, unit=" of cents")
    c.integer("limit_per_day", nullable=True, minimum=1, unit=" of cents")
    c.boolean("is_active")
    return c.raise_if_invalid()


@transaction.atomic
def vendor_create(*, access: Any, data: Mapping[str, Any]) -> Vendor:
    """Make a staff member a vendor (cashier) with optional limits per sale and per day (cents)."""
    tenant = tenant_of(access)
    cleaned = _clean_vendor(data, partial=False, tenant=tenant)
    vendor = Vendor(tenant=tenant, **cleaned)
    _save_or_field_error(vendor, field="user", message="That user already has a vendor.")
    return vendor


@transaction.atomic
def vendor_update(*, access: Any, vendor: Vendor, data: Mapping[str, Any]) -> Vendor:
    """Change a vendor's name, limits or active flag."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    cleaned = _clean_vendor(data, partial=True, tenant=vendor.tenant)
    if apply_changes(vendor, cleaned):
        vendor.save()
    return vendor
