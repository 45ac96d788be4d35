"""/api/manage/vending/…: accounts, customers, locations, meters, tariffs, masters, Quick Pay and tokens.

Thin handlers: resolve the caller's StaffAccess, check the role permission, load rows through the
tenant-scoped selectors (another tenant's id is a 404), call one service, answer with a plain dict
(`juiced.vending.schemas`). Domain errors become `{"error": {"code", "message", "fields"}}` in
`juiced.api.errors`.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Header, Query, Router
from ninja.responses import NinjaJSONEncoder, Status
from pydantic import ValidationError as PydanticValidationError

from juiced.api.auth import access_of
from juiced.api.errors import validation_fields
from juiced.api.representations import MAX_PER_PAGE, page_of
from juiced.api.schemas import ErrorOut
from juiced.core.errors import ValidationFailed
from juiced.core.tenancy import StaffAccess
from juiced.vending import masters, sales, selectors, setup
from juiced.vending import schemas as s
from juiced.vending.batches import batch_close
from juiced.vending.tariffs import QuoteRequest, Terms, quote
from juiced.vending.tokens import token_decode, token_issue_management

router = Router(tags=["vending"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
Page = Query(1, ge=1)
PerPage = Query(25, ge=1, le=MAX_PER_PAGE)


def _access(request: HttpRequest, permission: str) -> StaffAccess:
    access = access_of(request)
    access.require(permission)
    return access


def _data(payload: Any) -> dict[str, Any]:
    return payload.model_dump(exclude_unset=True)


def _list(queryset, *, page: int, per_page: int, represent) -> dict[str, Any]:
    rows, meta = page_of(queryset, page=page, per_page=per_page)
    return {**meta, "data": [represent(row) for row in rows]}


def _optional_note(request: HttpRequest) -> str:
    """The `note` of an optional JSON body ({} or no body at all means none)."""
    if not request.body.strip() or request.content_type != "application/json":
        return ""
    try:
        return s.NoteIn.model_validate_json(request.body).note.strip()
    except PydanticValidationError as exc:
        raise ValidationFailed("Some fields are invalid.", fields=validation_fields(exc.errors())) from exc


# --- accounts -----------------------------------------------------------------------------------------------


def _account(access: StaffAccess, account_id: str):
    return selectors.account_get(access, account_id)


@router.get("/accounts", response={200: s.ListOut, **ERRORS}, summary="List accounts")
def list_accounts(
    request: HttpRequest,
    q: str = "",
    status: Literal["pending", "active", "inactive"] | None = None,
    page: int = Page,
    per_page: int = PerPage,
):
    """Search by account number, customer name, phone, Loc ID or meter serial; filter by status."""
    access = _access(request, "vending.view")
    accounts = selectors.account_list(access, status=status or "", q=q)
    return _list(accounts, page=page, per_page=per_page, represent=s.account_object)


@router.post("/accounts", response={201: s.AccountOut, **ERRORS}, summary="Create an account")
def create_account(request: HttpRequest, payload: s.AccountCreateIn):
    """A pending account (activate it to sell); `number` is generated when left out."""
    access = _access(request, "vending.accounts.manage")
    account = setup.account_create(access=access, data=_data(payload))
    return Status(201, s.account_object(_account(access, account.public_id)))


@router.get("/accounts/{account_id}", response={200: s.AccountOut, **ERRORS}, summary="Get an account")
def get_account(request: HttpRequest, account_id: str):
    """By public id (acc_…) or account number."""
    return s.account_object(_account(_access(request, "vending.view"), account_id))


@router.patch("/accounts/{account_id}", response={200: s.AccountOut, **ERRORS}, summary="Update an account")
def update_account(request: HttpRequest, account_id: str, payload: s.AccountPatchIn):
    access = _access(request, "vending.accounts.manage")
    account = setup.account_update(access=access, account=_account(access, account_id), data=_data(payload))
    return s.account_object(_account(access, account.public_id))


@router.post(
    "/accounts/{account_id}/activate", response={200: s.AccountOut, **ERRORS}, summary="Activate an account"
)
def activate_account(request: HttpRequest, account_id: str):
    """Body optional (`{"note"}`). Refused (422 on `meter`) while the meter is on another active account;
    409 if already active."""
    access = _access(request, "vending.accounts.manage")
    note = _optional_note(request)
    account = setup.account_activate(access=access, account=_account(access, account_id), note=note)
    return s.account_object(_account(access, account.public_id))


@router.post(
    "/accounts/{account_id}/deactivate",
    response={200: s.AccountOut, **ERRORS},
    summary="Deactivate an account",
)
def deactivate_account(request: HttpRequest, account_id: str, payload: s.NoteIn):
    """A `note` is required (kept on the account's Notes tab)."""
    access = _access(request, "vending.accounts.manage")
    account = setup.account_deactivate(access=access, account=_account(access, account_id), note=payload.note)
    return s.account_object(_account(access, account.public_id))


def _sale_response(sale, *, status: int, replayed: bool = False) -> JsonResponse:
    # A new sale carries its tokens (quick_pay leaves them in the prefetch cache): no query for them.
    tokens = sorted(sale.tokens.all(), key=lambda token: token.count)
    response = JsonResponse(s.sale_object(sale, tokens=tokens), status=status, encoder=NinjaJSONEncoder)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.post(
    "/accounts/{account_id}/quick-pay", response={201: s.SaleOut, **ERRORS}, summary="Sell energy (Quick Pay)"
)
def quick_pay(
    request: HttpRequest,
    account_id: str,
    payload: s.QuickPayIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Amount → arrears share → fixed charges → tax → energy → token(s); all sales final. Send an
    Idempotency-Key: a replay answers with the first sale and `Idempotent-Replayed: true`; the same key with
    another body is a 409 idempotency_key_reused."""
    access = _access(request, "vending.sell")
    sale, replayed = sales.quick_pay(
        access=access,
        account=sales.account_to_sell(access, account_id),
        amount=payload.amount,
        payment_kind=payload.payment_kind,
        tendered=payload.tendered,
        reference=payload.reference,
        note=payload.note,
        idempotency_key=idempotency_key,
    )
    return _sale_response(sale, status=201, replayed=replayed)


# --- sales --------------------------------------------------------------------------------------------------


@router.get("/sales/{sale_id}", response={200: s.SaleOut, **ERRORS}, summary="Get a sale")
def get_sale(request: HttpRequest, sale_id: str):
    sale = selectors.sale_get(_access(request, "vending.view"), sale_id)
    return s.sale_object(sale, tokens=list(sale.tokens.all()))


@router.post("/sales/{sale_id}/reverse", response={201: s.SaleOut, **ERRORS}, summary="Reverse a sale")
def reverse_sale(
    request: HttpRequest,
    sale_id: str,
    payload: s.ReverseIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """A new reversal row (amounts negated), the tokens void, the customer told; 409 if already reversed."""
    access = _access(request, "vending.reverse")
    sale = selectors.sale_get(access, sale_id)
    reversal = sales.sale_reverse(
        access=access, sale=sale, reason=payload.reason, idempotency_key=idempotency_key
    )
    return _sale_response(selectors.sale_get(access, reversal.public_id), status=201)


# --- customers, locations, meters ---------------------------------------------------------------------------


@router.get("/customers", response={200: s.ListOut, **ERRORS}, summary="List vending customers")
def list_customers(request: HttpRequest, q: str = "", page: int = Page, per_page: int = PerPage):
    customers = selectors.customer_list(_access(request, "vending.view"), q=q)
    return _list(customers, page=page, per_page=per_page, represent=s.customer_object)


@router.post("/customers", response={201: s.CustomerOut, **ERRORS}, summary="Create a vending customer")
def create_customer(request: HttpRequest, payload: s.CustomerCreateIn):
    access = _access(request, "vending.accounts.manage")
    return Status(201, s.customer_object(setup.customer_create(access=access, data=_data(payload))))


@router.get(
    "/customers/{customer_id}", response={200: s.CustomerOut, **ERRORS}, summary="Get a vending customer"
)
def get_customer(request: HttpRequest, customer_id: str):
    return s.customer_object(selectors.customer_get(_access(request, "vending.view"), customer_id))


@router.patch(
    "/customers/{customer_id}", response={200: s.CustomerOut, **ERRORS}, summary="Update a vending customer"
)
def update_customer(request: HttpRequest, customer_id: str, payload: s.CustomerPatchIn):
    access = _access(request, "vending.accounts.manage")
    customer = selectors.customer_get(access, customer_id)
    return s.customer_object(setup.customer_update(access=access, customer=customer, data=_data(payload)))


@router.get("/locations", response={200: s.ListOut, **ERRORS}, summary="List locations")
def list_locations(request: HttpRequest, q: str = "", page: int = Page, per_page: int = PerPage):
    locations = selectors.location_list(_access(request, "vending.view"), q=q)
    return _list(locations, page=page, per_page=per_page, represent=s.location_object)


@router.post("/locations", response={201: s.LocationOut, **ERRORS}, summary="Create a location")
def create_location(request: HttpRequest, payload: s.LocationCreateIn):
    """`loc_id` is unique per tenant whatever the letter case."""
    access = _access(request, "vending.accounts.manage")
    return Status(201, s.location_object(setup.location_create(access=access, data=_data(payload))))


@router.get("/locations/{location_id}", response={200: s.LocationOut, **ERRORS}, summary="Get a location")
def get_location(request: HttpRequest, location_id: str):
    """By public id (loc_…) or Loc ID."""
    return s.location_object(selectors.location_get(_access(request, "vending.view"), location_id))


@router.patch(
    "/locations/{location_id}", response={200: s.LocationOut, **ERRORS}, summary="Update a location"
)
def update_location(request: HttpRequest, location_id: str, payload: s.LocationPatchIn):
    access = _access(request, "vending.accounts.manage")
    location = selectors.location_get(access, location_id)
    return s.location_object(setup.location_update(access=access, location=location, data=_data(payload)))


@router.get("/meters", response={200: s.ListOut, **ERRORS}, summary="List meters")
def list_meters(request: HttpRequest, q: str = "", page: int = Page, per_page: int = PerPage):
    meters = selectors.meter_list(_access(request, "vending.view"), q=q)
    return _list(meters, page=page, per_page=per_page, represent=s.meter_object)


@router.post("/meters", response={201: s.MeterOut, **ERRORS}, summary="Create a meter")
def create_meter(request: HttpRequest, payload: s.MeterCreateIn):
    """`openpaygo_secret_key` (32 hex characters) is stored encrypted and never returned."""
    access = _access(request, "vending.accounts.manage")
    return Status(201, s.meter_object(setup.meter_create(access=access, data=_data(payload))))


@router.get("/meters/{meter_id}", response={200: s.MeterOut, **ERRORS}, summary="Get a meter")
def get_meter(request: HttpRequest, meter_id: str):
    """By public id (mtr_…) or serial number."""
    return s.meter_object(selectors.meter_get(_access(request, "vending.view"), meter_id))


@router.patch("/meters/{meter_id}", response={200: s.MeterOut, **ERRORS}, summary="Update a meter")
def update_meter(request: HttpRequest, meter_id: str, payload: s.MeterPatchIn):
    """Key, starting code and token count need vending.tokens.manage and a `reason`; the count only grows."""
    access = _access(request, "vending.accounts.manage")
    meter = selectors.meter_get(access, meter_id)
    return s.meter_object(setup.meter_update(access=access, meter=meter, data=_data(payload)))


@router.post(
    "/meters/{meter_id}/tokens", response={201: s.TokenOut, **ERRORS}, summary="Issue a management token"
)
def issue_token(request: HttpRequest, meter_id: str, payload: s.ManagementTokenIn):
    """ADD_TIME / SET_TIME with `value` in energy steps; DISABLE_PAYG / COUNTER_SYNC without; a `reason`."""
    access = _access(request, "vending.tokens.manage")
    meter = selectors.meter_get(access, meter_id)
    token = token_issue_management(
        access=access, meter=meter, token_type=payload.token_type, value=payload.value, reason=payload.reason
    )
    return Status(201, s.token_object(token))


@router.post("/meters/{meter_id}/decode", response={200: s.DecodeOut, **ERRORS}, summary="Decode a token")
def decode_token(request: HttpRequest, meter_id: str, payload: s.DecodeIn):
    """What a token a customer reads out carried (type, value, count, energy) and which issued token it is."""
    meter = selectors.meter_get(_access(request, "vending.view"), meter_id)
    decoded = token_decode(meter=meter, token=payload.token)
    return {
        "object": "decoded_token",
        "meter": meter.public_id,
        **{
            key: decoded.get(key)
            for key in ("token_type", "value", "count", "energy_wh", "matches", "status")
        },
        "energy_kwh": s.kwh(decoded["energy_wh"]),
    }


# --- tariffs ------------------------------------------------------------------------------------------------


@router.get("/tariffs", response={200: s.ListOut, **ERRORS}, summary="List tariffs")
def list_tariffs(request: HttpRequest, page: int = Page, per_page: int = PerPage):
    tariffs = selectors.tariff_list(_access(request, "vending.view"))
    return _list(tariffs, page=page, per_page=per_page, represent=s.tariff_object)


def _tariff_with_versions(access: StaffAccess, tariff_id: str) -> dict[str, Any]:
    tariff = selectors.tariff_get(access, tariff_id)
    return s.tariff_object(tariff, versions=list(selectors.tariff_versions(tariff)))


@router.post("/tariffs", response={201: s.TariffOut, **ERRORS}, summary="Create a tariff")
def create_tariff(request: HttpRequest, payload: s.TariffCreateIn):
    """Its version 1: kind flat (flat_rate), blocks or tou; rates in millicents per kWh."""
    access = _access(request, "vending.tariffs.manage")
    tariff = setup.tariff_create(access=access, data=_data(payload))
    return Status(201, _tariff_with_versions(access, tariff.public_id))


@router.get("/tariffs/{tariff_id}", response={200: s.TariffOut, **ERRORS}, summary="Get a tariff")
def get_tariff(request: HttpRequest, tariff_id: str):
    """With every version, newest first."""
    return _tariff_with_versions(_access(request, "vending.view"), tariff_id)


@router.patch("/tariffs/{tariff_id}", response={200: s.TariffOut, **ERRORS}, summary="Update a tariff")
def update_tariff(request: HttpRequest, tariff_id: str, payload: s.TariffPatchIn):
    """Term fields add a new version from the current one (sales keep the version they used)."""
    access = _access(request, "vending.tariffs.manage")
    tariff = setup.tariff_update(
        access=access, tariff=selectors.tariff_get(access, tariff_id), data=_data(payload)
    )
    return _tariff_with_versions(access, tariff.public_id)


@router.post("/tariffs/{tariff_id}/quote", response={200: s.QuoteOut, **ERRORS}, summary="Tariff calculator")
def quote_tariff(request: HttpRequest, tariff_id: str, payload: s.QuoteIn):
    """What `amount` buys now: on an `account` (its arrears, month's energy, days since last purchase and
    carry), else on the tariff alone. Nothing is sold."""
    access = _access(request, "vending.view")
    tariff = selectors.tariff_get(access, tariff_id)
    if tariff.current_version_id is None:
        raise ValidationFailed.on("tariff", "This tariff has no terms yet.")
    account = None
    if payload.account:
        account = selectors.account_get(access, payload.account)
        if account.tariff_id != tariff.pk:
            raise ValidationFailed.on(
                "account", f"Account {account.number} is on tariff {account.tariff.name}; quote that tariff."
            )
        result = sales.quote_for_account(account=account, amount=payload.amount)
    else:
        terms = Terms.from_version(tariff.current_version)
        result = quote(
            QuoteRequest(amount=payload.amount, terms=terms, local_time=timezone.localtime().time())
        )
    return {
        "object": "quote",
        "tariff": tariff.public_id,
        "tariff_version": tariff.current_version.number,
        "account": account.public_id if account else None,
        "currency": s.currency_of(tariff),
        **result.as_dict(),
        "energy_kwh": s.kwh(result.energy_wh),
    }


# --- master accounts ----------------------------------------------------------------------------------------


def _master_out(access: StaffAccess, master_id: str) -> dict[str, Any]:
    master = selectors.master_get(access, master_id)
    return s.master_object(master, accounts=list(selectors.account_list(access, master=master)))


@router.get("/master-accounts", response={200: s.ListOut, **ERRORS}, summary="List master accounts")
def list_masters(request: HttpRequest, page: int = Page, per_page: int = PerPage):
    masters_ = selectors.master_list(_access(request, "vending.view"))
    return _list(masters_, page=page, per_page=per_page, represent=s.master_object)


@router.post("/master-accounts", response={201: s.MasterOut, **ERRORS}, summary="Create a master account")
def create_master(request: HttpRequest, payload: s.MasterCreateIn):
    """`accounts` (ids) are linked, not copied."""
    access = _access(request, "vending.accounts.manage")
    master = masters.master_create(access=access, data=_data(payload))
    return Status(201, _master_out(access, master.public_id))


@router.get(
    "/master-accounts/{master_id}", response={200: s.MasterOut, **ERRORS}, summary="Get a master account"
)
def get_master(request: HttpRequest, master_id: str):
    return _master_out(_access(request, "vending.view"), master_id)


@router.patch(
    "/master-accounts/{master_id}", response={200: s.MasterOut, **ERRORS}, summary="Update a master account"
)
def update_master(request: HttpRequest, master_id: str, payload: s.MasterPatchIn):
    """Changes the master only; linked accounts change on Synchronize. `accounts` replaces the links."""
    access = _access(request, "vending.accounts.manage")
    master = selectors.master_get(access, master_id)
    masters.master_update(access=access, master=master, data=_data(payload))
    return _master_out(access, master_id)


@router.post(
    "/master-accounts/{master_id}/synchronize",
    response={200: s.SynchronizationOut, **ERRORS},
    summary="Synchronize linked accounts",
)
def synchronize_master(request: HttpRequest, master_id: str, payload: s.SynchronizeIn):
    """Push the chosen `fields` (tariff, arrears_recovery_bp, minimum_purchase, maximum_purchase) to every
    linked account; `dry_run` only previews. Each changed account records "synchronized" in its history."""
    access = _access(request, "vending.accounts.manage")
    master = selectors.master_get(access, master_id)
    if payload.dry_run:
        rows = masters.master_sync_preview(master=master, fields=payload.fields)
    else:
        rows = masters.master_sync_apply(access=access, master=master, fields=payload.fields)
    return s.synchronization_object(rows, fields=payload.fields, dry_run=payload.dry_run)


# --- vendors and batches ------------------------------------------------------------------------------------


@router.get("/vendors", response={200: s.ListOut, **ERRORS}, summary="List vendors")
def list_vendors(request: HttpRequest, page: int = Page, per_page: int = PerPage):
    vendors = selectors.vendor_list(_access(request, "vending.vendors.manage"))
    return _list(vendors, page=page, per_page=per_page, represent=s.vendor_object)


@router.post("/vendors", response={201: s.VendorOut, **ERRORS}, summary="Create a vendor")
def create_vendor(request: HttpRequest, payload: s.VendorCreateIn):
    """A staff member (`user` id) who sells, with optional limits per sale and per day in cents."""
    access = _access(request, "vending.vendors.manage")
    vendor = setup.vendor_create(access=access, data=_data(payload))
    return Status(201, s.vendor_object(selectors.vendor_get(access, vendor.public_id)))


@router.patch("/vendors/{vendor_id}", response={200: s.VendorOut, **ERRORS}, summary="Update a vendor")
def update_vendor(request: HttpRequest, vendor_id: str, payload: s.VendorPatchIn):
    """Name, limits (null removes a limit), active flag."""
    access = _access(request, "vending.vendors.manage")
    vendor = setup.vendor_update(
        access=access, vendor=selectors.vendor_get(access, vendor_id), data=_data(payload)
    )
    return s.vendor_object(selectors.vendor_get(access, vendor.public_id))


def _own_or_all(access: StaffAccess, vendor_id: str):
    """A cashier sees their own vendor's batches; seeing everyone's needs vending.batches.view_all."""
    vendor = selectors.vendor_get(access, vendor_id)
    if vendor.user_id != access.user.pk:
        access.require("vending.batches.view_all")
    return vendor


@router.get(
    "/vendors/{vendor_id}/batches", response={200: s.ListOut, **ERRORS}, summary="List a vendor's batches"
)
def list_batches(request: HttpRequest, vendor_id: str, page: int = Page, per_page: int = PerPage):
    """Newest first; a closed batch carries its frozen totals by payment kind."""
    vendor = _own_or_all(_access(request, "vending.view"), vendor_id)
    return _list(selectors.batch_list(vendor), page=page, per_page=per_page, represent=s.batch_object)


@router.post(
    "/vendors/{vendor_id}/batches/{batch_id}/close",
    response={200: s.BatchOut, **ERRORS},
    summary="Close a batch",
)
def close_batch(request: HttpRequest, vendor_id: str, batch_id: str):
    """Totals the batch by payment kind and freezes it; 409 if it is already closed."""
    access = _access(request, "vending.sell")
    vendor = _own_or_all(access, vendor_id)
    batch = batch_close(access=access, batch=selectors.batch_get(access, batch_id, vendor=vendor))
    return s.batch_object(selectors.batch_get(access, batch.public_id))
