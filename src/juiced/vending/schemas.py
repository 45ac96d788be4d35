"""Request and response shapes of /api/manage/vending/…, and the plain dicts the responses are built from.

Money is integer cents plus the tenant's lowercase `currency`; tariff rates are millicents per kWh; energy
is Wh (plus a `…_kwh` decimal string where people read it). Records are named by public ids. The meter's
secret key is write-only: no response carries it (`has_secret_key` says whether one is set).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import StrictBool, StrictInt

from juiced.api.schemas import StrictInput
from juiced.vending.models import (
    Account,
    Batch,
    Location,
    MasterAccount,
    Meter,
    Sale,
    Tariff,
    TariffVersion,
    Token,
    VendingCustomer,
    Vendor,
)

# --- requests -----------------------------------------------------------------------------------------------


class CustomerPatchIn(StrictInput):
    name: str | None = None
    phone: str | None = None
    phone_alt: str | None = None
    email: str | None = None
    id_number: str | None = None
    address: str | None = None
    receipt_sms: StrictBool | None = None
    receipt_email: StrictBool | None = None
    language: str | None = None
    discount_bp: StrictInt | None = None
    notes: str | None = None


class CustomerCreateIn(CustomerPatchIn):
    name: str


class LocationPatchIn(StrictInput):
    loc_id: str | None = None
    address_1: str | None = None
    address_2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    notes: str | None = None


class LocationCreateIn(LocationPatchIn):
    loc_id: str
    address_1: str


class MeterPatchIn(StrictInput):
    """Token settings (key, starting code, count) of an existing meter need vending.tokens.manage + reason."""

    serial_number: str | None = None
    com: str | None = None
    vending_enabled: StrictBool | None = None
    openpaygo_secret_key: str | None = None
    openpaygo_starting_code: StrictInt | None = None
    token_count: StrictInt | None = None
    restricted_digit_set: StrictBool | None = None
    extended_tokens: StrictBool | None = None
    energy_step_kwh: Decimal | None = None
    notes: str | None = None
    reason: str | None = None


class MeterCreateIn(MeterPatchIn):
    serial_number: str
    openpaygo_secret_key: str


class TariffTermsIn(StrictInput):
    kind: Literal["flat", "blocks", "tou"] | None = None
    flat_rate: StrictInt | None = None
    blocks: list[dict[str, Any]] | None = None
    tou: list[dict[str, Any]] | None = None
    fixed_per_purchase: StrictInt | None = None
    fixed_per_day: StrictInt | None = None
    tax_bp: StrictInt | None = None
    minimum_purchase: StrictInt | None = None
    note: str | None = None


class TariffPatchIn(TariffTermsIn):
    """Name, description, is_active edit the tariff; a term field adds a version (sales keep theirs)."""

    name: str | None = None
    description: str | None = None
    is_active: StrictBool | None = None


class TariffCreateIn(TariffPatchIn):
    name: str
    kind: Literal["flat", "blocks", "tou"]


class QuoteIn(StrictInput):
    amount: StrictInt
    account: str | None = None


class AccountPatchIn(StrictInput):
    number: str | None = None
    customer: str | None = None
    location: str | None = None
    meter: str | None = None
    tariff: str | None = None
    master: str | None = None
    arrears_recovery_bp: StrictInt | None = None
    minimum_purchase: StrictInt | None = None
    maximum_purchase: StrictInt | None = None


class AccountCreateIn(AccountPatchIn):
    customer: str
    location: str
    meter: str
    tariff: str


class NoteIn(StrictInput):
    note: str = ""


class MasterPatchIn(StrictInput):
    name: str | None = None
    tariff: str | None = None
    arrears_recovery_bp: StrictInt | None = None
    minimum_purchase: StrictInt | None = None
    maximum_purchase: StrictInt | None = None
    notes: str | None = None
    accounts: list[str] | None = None


class MasterCreateIn(MasterPatchIn):
    name: str


class SynchronizeIn(StrictInput):
    fields: list[str]
    dry_run: StrictBool = False


class QuickPayIn(StrictInput):
    amount: StrictInt
    payment_kind: Literal["cash", "card", "cheque", "mobile_money", "wallet", "free_issue"]
    tendered: StrictInt | None = None
    reference: str = ""
    note: str = ""


class ReverseIn(StrictInput):
    reason: str


class ManagementTokenIn(StrictInput):
    token_type: Literal["ADD_TIME", "SET_TIME", "DISABLE_PAYG", "COUNTER_SYNC"]
    value: StrictInt | None = None
    reason: str


class DecodeIn(StrictInput):
    token: str


class VendorPatchIn(StrictInput):
    name: str | None = None
    limit_per_sale: StrictInt | None = None
    limit_per_day: StrictInt | None = None
    is_active: StrictBool | None = None


class VendorCreateIn(VendorPatchIn):
    user: str
    name: str


# --- representations ----------------------------------------------------------------------------------------


def kwh(wh: int) -> str:
    """1500 → "1.5"; 100 → "0.1"; 2000 → "2" (a decimal string, exact)."""
    return format((Decimal(wh) / 1000).normalize(), "f")


def currency_of(row: Any) -> str:
    return row.tenant.currency.lower()


def customer_object(customer: VendingCustomer) -> dict[str, Any]:
    fields = ("name", "phone", "phone_alt", "email", "id_number", "address", "receipt_sms", "receipt_email")
    return {
        "id": customer.public_id,
        "object": "vending_customer",
        **{field: getattr(customer, field) for field in fields},
        "language": customer.language,
        "discount_bp": customer.discount_bp,
        "notes": customer.notes,
        "created": customer.created_at,
        "updated": customer.updated_at,
    }


def location_object(location: Location) -> dict[str, Any]:
    fields = ("loc_id", "address_1", "address_2", "city", "region", "postal_code", "country", "notes")
    coordinates = {
        field: None if getattr(location, field) is None else str(getattr(location, field))
        for field in ("latitude", "longitude")
    }
    return {
        "id": location.public_id,
        "object": "location",
        **{field: getattr(location, field) for field in fields},
        **coordinates,
        "created": location.created_at,
        "updated": location.updated_at,
    }


def meter_object(meter: Meter) -> dict[str, Any]:
    return {
        "id": meter.public_id,
        "object": "meter",
        "serial_number": meter.serial_number,
        "com": meter.com,
        "vending_enabled": meter.vending_enabled,
        "token_standard": meter.token_standard,
        "has_secret_key": bool(meter.openpaygo_secret_key),
        "openpaygo_starting_code": meter.openpaygo_starting_code,
        "token_count": meter.token_count,
        "restricted_digit_set": meter.restricted_digit_set,
        "extended_tokens": meter.extended_tokens,
        "energy_step_wh": meter.energy_step_wh,
        "energy_step_kwh": kwh(meter.energy_step_wh),
        "notes": meter.notes,
        "created": meter.created_at,
        "updated": meter.updated_at,
    }


def version_object(version: TariffVersion) -> dict[str, Any]:
    return {
        "id": version.public_id,
        "object": "tariff_version",
        "number": version.number,
        "kind": version.kind,
        "flat_rate": version.flat_rate,
        "blocks": version.blocks,
        "tou": version.tou,
        "fixed_per_purchase": version.fixed_per_purchase,
        "fixed_per_day": version.fixed_per_day,
        "tax_bp": version.tax_bp,
        "minimum_purchase": version.minimum_purchase,
        "note": version.note,
        "created": version.created_at,
    }


def tariff_object(tariff: Tariff, *, versions: list[TariffVersion] | None = None) -> dict[str, Any]:
    return {
        "id": tariff.public_id,
        "object": "tariff",
        "name": tariff.name,
        "description": tariff.description,
        "is_active": tariff.is_active,
        "current_version": version_object(tariff.current_version) if tariff.current_version_id else None,
        "versions": None if versions is None else [version_object(v) for v in versions],
        "currency": currency_of(tariff),
        "created": tariff.created_at,
    }


def _ref(row: Any, **fields: str) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": row.public_id, **{name: getattr(row, attr) for name, attr in fields.items()}}


def account_object(account: Account) -> dict[str, Any]:
    tariff = account.tariff
    return {
        "id": account.public_id,
        "object": "account",
        "number": account.number,
        "status": account.status,
        "customer": _ref(account.customer, name="name", phone="phone", email="email"),
        "location": _ref(account.location, loc_id="loc_id", address_1="address_1"),
        "meter": _ref(account.meter, serial_number="serial_number", vending_enabled="vending_enabled"),
        "tariff": {
            "id": tariff.public_id,
            "name": tariff.name,
            "version": tariff.current_version.number if tariff.current_version_id else None,
        },
        "master": _ref(account.master, name="name"),
        "arrears_recovery_bp": account.arrears_recovery_bp,
        "minimum_purchase": account.minimum_purchase,
        "maximum_purchase": account.maximum_purchase,
        "wallet_balance": account.wallet_balance,
        "deposit_balance": account.deposit_balance,
        "arrears_balance": account.arrears_balance,
        "carry_mc": account.carry_mc,
        "currency": currency_of(account),
        "last_purchase": account.last_purchase_at,
        "activated": account.activated_at,
        "deactivated": account.deactivated_at,
        "created": account.created_at,
        "updated": account.updated_at,
    }


def master_object(master: MasterAccount, *, accounts: list[Account] | None = None) -> dict[str, Any]:
    return {
        "id": master.public_id,
        "object": "master_account",
        "name": master.name,
        "tariff": _ref(master.tariff, name="name"),
        "arrears_recovery_bp": master.arrears_recovery_bp,
        "minimum_purchase": master.minimum_purchase,
        "maximum_purchase": master.maximum_purchase,
        "notes": master.notes,
        "accounts": None if accounts is None else [{"id": a.public_id, "number": a.number} for a in accounts],
        "currency": currency_of(master),
        "created": master.created_at,
        "updated": master.updated_at,
    }


def _plain(value: Any) -> Any:
    return getattr(value, "public_id", value)


def synchronization_object(rows: list[dict[str, Any]], *, fields: list[str], dry_run: bool) -> dict[str, Any]:
    return {
        "object": "synchronization",
        "dry_run": dry_run,
        "fields": fields,
        "accounts": [
            {
                "id": row["account"].public_id,
                "number": row["account"].number,
                "changes": {f: [_plain(old), _plain(new)] for f, (old, new) in row["changes"].items()},
            }
            for row in rows
        ],
        "changed": sum(1 for row in rows if row["changes"]),
    }


def token_object(token: Token) -> dict[str, Any]:
    return {
        "id": token.public_id,
        "object": "token",
        "token": token.token,
        "count": token.count,
        "token_type": token.token_type,
        "value": token.value,
        "energy_wh": token.energy_wh,
        "energy_kwh": kwh(token.energy_wh),
        "status": token.status,
        "reason": token.reason,
        "created": token.created_at,
    }


def sale_object(sale: Sale, *, tokens: list[Token]) -> dict[str, Any]:
    """The sale (or reversal) from its row alone: a replayed Quick Pay answers with exactly this body."""
    money = ("amount", "tendered", "change_due", "arrears_share", "fixed_charges", "tax", "discount")
    return {
        "id": sale.public_id,
        "object": "sale",
        "kind": sale.kind,
        "account": {"id": sale.account.public_id, "number": sale.account.number},
        "meter": {"id": sale.meter.public_id, "serial_number": sale.meter.serial_number},
        "tariff_version": {
            "id": sale.tariff_version.public_id,
            "tariff": sale.tariff_version.tariff.public_id,
            "number": sale.tariff_version.number,
        },
        "payment_kind": sale.payment_kind,
        "payment_reference": sale.payment_reference,
        **{field: getattr(sale, field) for field in money},
        "energy_money": sale.energy_money,
        "energy_wh": sale.energy_wh,
        "energy_kwh": kwh(abs(sale.energy_wh)) if sale.energy_wh >= 0 else "-" + kwh(-sale.energy_wh),
        "carry_in_mc": sale.carry_in_mc,
        "carry_out_mc": sale.carry_out_mc,
        "breakdown": sale.breakdown,
        "tokens": [token_object(t) for t in tokens],
        "vendor": sale.vendor.public_id if sale.vendor_id else None,
        "batch": sale.batch.public_id if sale.batch_id else None,
        "reverses": sale.reverses.public_id if sale.reverses_id else None,
        "note": sale.note,
        "actor": sale.actor_label,
        "currency": currency_of(sale),
        "created": sale.created_at,
    }


def vendor_object(vendor: Vendor) -> dict[str, Any]:
    return {
        "id": vendor.public_id,
        "object": "vendor",
        "user": {"id": vendor.user.public_id, "email": vendor.user.email, "name": vendor.user.name},
        "name": vendor.name,
        "limit_per_sale": vendor.limit_per_sale,
        "limit_per_day": vendor.limit_per_day,
        "is_active": vendor.is_active,
        "currency": currency_of(vendor),
        "created": vendor.created_at,
    }


def batch_object(batch: Batch) -> dict[str, Any]:
    """A closed batch with its frozen totals; an open one summed now (its stored totals stay empty)."""
    if batch.status == "closed":
        totals, sales_count, total = batch.totals, batch.sales_count, batch.total
    else:
        from juiced.vending.batches import batch_totals

        totals, sales_count, total = batch_totals(batch)
    return {
        "id": batch.public_id,
        "object": "batch",
        "vendor": batch.vendor.public_id,
        "number": batch.number,
        "business_date": batch.business_date,
        "status": batch.status,
        "opened": batch.opened_at,
        "closed": batch.closed_at,
        "closed_by": batch.closed_by.email if batch.closed_by_id else None,
        "totals": totals,
        "sales_count": sales_count,
        "total": total,
        "currency": currency_of(batch),
    }


# --- response schemas (OpenAPI; the dicts above are what they validate) -------------------------------------


class ListOut(Schema):
    object: Literal["list"]
    page: int
    per_page: int
    total: int
    has_more: bool
    data: list[dict[str, Any]]


class CustomerOut(Schema):
    id: str
    object: Literal["vending_customer"]
    name: str
    phone: str
    phone_alt: str
    email: str
    id_number: str
    address: str
    receipt_sms: bool
    receipt_email: bool
    language: str
    discount_bp: int
    notes: str
    created: datetime
    updated: datetime


class LocationOut(Schema):
    id: str
    object: Literal["location"]
    loc_id: str
    address_1: str
    address_2: str
    city: str
    region: str
    postal_code: str
    country: str
    latitude: str | None
    longitude: str | None
    notes: str
    created: datetime
    updated: datetime


class MeterOut(Schema):
    id: str
    object: Literal["meter"]
    serial_number: str
    com: str
    vending_enabled: bool
    token_standard: str
    has_secret_key: bool
    openpaygo_starting_code: int | None
    token_count: int
    restricted_digit_set: bool
    extended_tokens: bool
    energy_step_wh: int
    energy_step_kwh: str
    notes: str
    created: datetime
    updated: datetime


class TariffVersionOut(Schema):
    id: str
    object: Literal["tariff_version"]
    number: int
    kind: str
    flat_rate: int | None
    blocks: list[dict[str, Any]]
    tou: list[dict[str, Any]]
    fixed_per_purchase: int
    fixed_per_day: int
    tax_bp: int
    minimum_purchase: int
    note: str
    created: datetime


class TariffOut(Schema):
    id: str
    object: Literal["tariff"]
    name: str
    description: str
    is_active: bool
    current_version: TariffVersionOut | None
    versions: list[TariffVersionOut] | None
    currency: str
    created: datetime


class AccountOut(Schema):
    id: str
    object: Literal["account"]
    number: str
    status: str
    customer: dict[str, Any]
    location: dict[str, Any]
    meter: dict[str, Any]
    tariff: dict[str, Any]
    master: dict[str, Any] | None
    arrears_recovery_bp: int
    minimum_purchase: int | None
    maximum_purchase: int | None
    wallet_balance: int
    deposit_balance: int
    arrears_balance: int
    carry_mc: int
    currency: str
    last_purchase: datetime | None
    activated: datetime | None
    deactivated: datetime | None
    created: datetime
    updated: datetime


class MasterOut(Schema):
    id: str
    object: Literal["master_account"]
    name: str
    tariff: dict[str, Any] | None
    arrears_recovery_bp: int
    minimum_purchase: int | None
    maximum_purchase: int | None
    notes: str
    accounts: list[dict[str, Any]] | None
    currency: str
    created: datetime
    updated: datetime


class SynchronizationOut(Schema):
    object: Literal["synchronization"]
    dry_run: bool
    fields: list[str]
    accounts: list[dict[str, Any]]
    changed: int


class QuoteOut(Schema):
    object: Literal["quote"]
    tariff: str
    tariff_version: int
    account: str | None
    currency: str
    amount: int
    arrears_share: int
    fixed_charges: int
    tax: int
    discount: int
    energy_money: int
    energy_wh: int
    energy_kwh: str
    carry_in_mc: int
    carry_out_mc: int
    lines: list[dict[str, Any]]


class TokenOut(Schema):
    id: str
    object: Literal["token"]
    token: str
    count: int
    token_type: str
    value: int | None
    energy_wh: int
    energy_kwh: str
    status: str
    reason: str
    created: datetime


class SaleOut(Schema):
    id: str
    object: Literal["sale"]
    kind: str
    account: dict[str, Any]
    meter: dict[str, Any]
    tariff_version: dict[str, Any]
    payment_kind: str
    payment_reference: str
    amount: int
    tendered: int
    change_due: int
    arrears_share: int
    fixed_charges: int
    tax: int
    discount: int
    energy_money: int
    energy_wh: int
    energy_kwh: str
    carry_in_mc: int
    carry_out_mc: int
    breakdown: dict[str, Any] | list[Any]
    tokens: list[TokenOut]
    vendor: str | None
    batch: str | None
    reverses: str | None
    note: str
    actor: str
    currency: str
    created: datetime


class DecodeOut(Schema):
    object: Literal["decoded_token"]
    meter: str
    token_type: str
    value: int | None
    count: int
    energy_wh: int
    energy_kwh: str
    matches: str | None
    status: str | None


class VendorOut(Schema):
    id: str
    object: Literal["vendor"]
    user: dict[str, Any]
    name: str
    limit_per_sale: int | None
    limit_per_day: int | None
    is_active: bool
    currency: str
    created: datetime


class BatchOut(Schema):
    id: str
    object: Literal["batch"]
    vendor: str
    number: int
    business_date: date
    status: str
    opened: datetime
    closed: datetime | None
    closed_by: str | None
    totals: dict[str, int]
    sales_count: int
    total: int
    currency: str
