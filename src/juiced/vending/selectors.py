"""Vending reads: tenant-scoped look-ups (another tenant's row is NotFound), lists and the account search.

Every function takes the tenant, or anything with a `.tenant` (a StaffAccess). Lists return querysets with
their related rows joined, so a page of them costs a constant number of queries (paginate with
`juiced.api.representations.page_of` or a Paginator).
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from juiced.core.errors import NotFound
from juiced.tenants.models import Tenant
from juiced.vending.models import (
    Account,
    AccountStatus,
    Batch,
    Location,
    MasterAccount,
    Meter,
    Sale,
    Tariff,
    Token,
    VendingCustomer,
    Vendor,
)

ACCOUNT_RELATED = ("customer", "location", "meter", "tariff", "tariff__current_version", "master")
SEARCH_LIMIT = 20


def _tenant(scope: Any) -> Tenant:
    return scope if isinstance(scope, Tenant) else scope.tenant


def _one(queryset: QuerySet, message: str, **lookup: Any) -> Any:
    found = queryset.filter(**lookup).first()
    if found is None:
        raise NotFound(message)
    return found


# --- accounts ---------------------------------------------------------------------------------------------


def account_list(
    scope: Any, *, status: str = "", q: str = "", master: MasterAccount | None = None
) -> QuerySet:
    """The tenant's accounts by number, optionally by status, master or a search text."""
    accounts = Account.objects.filter(tenant=_tenant(scope)).select_related(*ACCOUNT_RELATED)
    if status:
        accounts = accounts.filter(status=status)
    if master is not None:
        accounts = accounts.filter(master=master)
    if q.strip():
        accounts = accounts.filter(_search_filter(q.strip()))
    return accounts.order_by("number", "id")


def account_get(scope: Any, public_id_or_number: str) -> Account:
    """An account by public id (acc_…) or by its number, within the tenant."""
    key = (public_id_or_number or "").strip()
    accounts = Account.objects.filter(tenant=_tenant(scope)).select_related(*ACCOUNT_RELATED)
    lookup = {"public_id": key} if key.startswith("acc_") else {"number__iexact": key}
    return _one(accounts, "No such account.", **lookup)


def account_to_sell(scope: Any, public_id_or_number: str) -> Account:
    """The account row alone (Quick Pay locks and loads what it needs itself): one small query."""
    key = (public_id_or_number or "").strip()
    lookup = {"public_id": key} if key.startswith("acc_") else {"number__iexact": key}
    return _one(Account.objects.filter(tenant=_tenant(scope)), "No such account.", **lookup)


def _phone_digits(q: str) -> str:
    """The digits of a phone-like query ("+254 700-000 001" → "254700000001"), or "" if it is not one."""
    if not re.fullmatch(r"[\d\s+().-]+", q):
        return ""
    digits = re.sub(r"\D", "", q)
    return digits if len(digits) >= 4 else ""


def _phone_match(digits: str, prefix: str = "") -> Q:
    """Numbers containing the digits; a national number typed with its trunk 0 ("0700 000 001") also
    matches the stored international one ("+254700000001"), as customers read their number out."""
    phone, alt = f"{prefix}phone__contains", f"{prefix}phone_alt__contains"
    match = Q(**{phone: digits}) | Q(**{alt: digits})
    national = digits.lstrip("0")
    if national != digits and len(national) >= 6:
        match |= Q(**{phone: national}) | Q(**{alt: national})
    return match


def _search_filter(q: str) -> Q:
    match = (
        Q(number__icontains=q)
        | Q(customer__name__icontains=q)
        | Q(location__loc_id__icontains=q)
        | Q(meter__serial_number__icontains=q)
    )
    digits = _phone_digits(q)
    if digits:
        match |= _phone_match(digits, "customer__")
    return match


def accounts_search(scope: Any, q: str, *, limit: int = SEARCH_LIMIT) -> list[Account]:
    """Accounts matching an account number, customer name, phone, Loc ID or meter serial; exact matches first.

    One query (the related rows are joined).
    """
    q = (q or "").strip()
    if not q:
        return []
    exact = Q(number__iexact=q) | Q(location__loc_id__iexact=q) | Q(meter__serial_number__iexact=q)
    exact |= Q(customer__name__iexact=q)
    digits = _phone_digits(q)
    if digits:
        exact |= Q(customer__phone=f"+{digits}") | Q(customer__phone_alt=f"+{digits}")
    accounts = (
        Account.objects.filter(tenant=_tenant(scope))
        .filter(_search_filter(q))
        .select_related(*ACCOUNT_RELATED)
        .annotate(
            rank=Case(When(exact, then=Value(0)), default=Value(1), output_field=IntegerField()),
            inactive=Case(
                When(status=AccountStatus.ACTIVE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("rank", "inactive", "number", "id")
    )
    return list(accounts[:limit])


# --- customers, locations, meters, tariffs, masters ------------------------------------------------------


def customer_list(scope: Any, *, q: str = "") -> QuerySet:
    customers = VendingCustomer.objects.filter(tenant=_tenant(scope))
    q = q.strip()
    if q:
        match = Q(name__icontains=q) | Q(email__icontains=q) | Q(id_number__iexact=q)
        digits = _phone_digits(q)
        if digits:
            match |= _phone_match(digits)
        customers = customers.filter(match)
    return customers.order_by("name", "id")


def customer_get(scope: Any, public_id: str) -> VendingCustomer:
    return _one(
        VendingCustomer.objects.filter(tenant=_tenant(scope)), "No such customer.", public_id=public_id
    )


def location_list(scope: Any, *, q: str = "") -> QuerySet:
    locations = Location.objects.filter(tenant=_tenant(scope))
    if q.strip():
        q = q.strip()
        locations = locations.filter(
            Q(loc_id__icontains=q) | Q(address_1__icontains=q) | Q(city__icontains=q)
        )
    return locations.order_by("loc_id", "id")


def location_get(scope: Any, public_id_or_loc_id: str) -> Location:
    """A location by public id (loc_…) or by its Loc ID (any letter case)."""
    key = (public_id_or_loc_id or "").strip()
    locations = Location.objects.filter(tenant=_tenant(scope))
    found = locations.filter(public_id=key).first() or locations.filter(loc_id__iexact=key).first()
    if found is None:
        raise NotFound("No such location.")
    return found


def meter_list(scope: Any, *, q: str = "") -> QuerySet:
    meters = Meter.objects.filter(tenant=_tenant(scope))
    if q.strip():
        meters = meters.filter(Q(serial_number__icontains=q.strip()) | Q(com__icontains=q.strip()))
    return meters.order_by("serial_number", "id")


def meter_get(scope: Any, public_id_or_serial: str) -> Meter:
    """A meter by public id (mtr_…) or by its serial number (any letter case)."""
    key = (public_id_or_serial or "").strip()
    meters = Meter.objects.filter(tenant=_tenant(scope))
    found = meters.filter(public_id=key).first() or meters.filter(serial_number__iexact=key).first()
    if found is None:
        raise NotFound("No such meter.")
    return found


def meter_active_account(meter: Meter) -> Account | None:
    return Account.objects.filter(meter=meter, status=AccountStatus.ACTIVE).select_related("customer").first()


def tariff_list(scope: Any, *, active_only: bool = False) -> QuerySet:
    tariffs = Tariff.objects.filter(tenant=_tenant(scope)).select_related("current_version")
    if active_only:
        tariffs = tariffs.filter(is_active=True)
    return tariffs.order_by("name", "id")


def tariff_get(scope: Any, public_id: str) -> Tariff:
    tariffs = Tariff.objects.filter(tenant=_tenant(scope)).select_related("current_version")
    return _one(tariffs, "No such tariff.", public_id=public_id)


def tariff_versions(tariff: Tariff) -> QuerySet:
    return tariff.versions.order_by("-number")


def master_list(scope: Any) -> QuerySet:
    return MasterAccount.objects.filter(tenant=_tenant(scope)).select_related("tariff").order_by("name", "id")


def master_get(scope: Any, public_id: str) -> MasterAccount:
    masters = MasterAccount.objects.filter(tenant=_tenant(scope)).select_related("tariff")
    return _one(masters, "No such master account.", public_id=public_id)


# --- sales, vendors, batches --------------------------------------------------------------------------------

SALE_RELATED = ("account", "account__customer", "meter", "tariff_version", "vendor", "batch", "reverses")


def _sales(scope: Any) -> QuerySet:
    tokens = Prefetch("tokens", queryset=Token.objects.order_by("count"))
    return Sale.objects.filter(tenant=_tenant(scope)).select_related(*SALE_RELATED).prefetch_related(tokens)


def sale_get(scope: Any, public_id: str) -> Sale:
    """A sale or reversal with its account, meter, tariff version, vendor, batch and tokens (by count)."""
    return _one(_sales(scope), "No such sale.", public_id=public_id)


def sale_list(scope: Any, *, account: Account | None = None, batch: Batch | None = None) -> QuerySet:
    sales = _sales(scope)
    if account is not None:
        sales = sales.filter(account=account)
    if batch is not None:
        sales = sales.filter(batch=batch)
    return sales.order_by("-created_at", "-id")


def vendor_list(scope: Any) -> QuerySet:
    return Vendor.objects.filter(tenant=_tenant(scope)).select_related("user").order_by("name", "id")


def vendor_get(scope: Any, public_id: str) -> Vendor:
    return _one(vendor_list(scope), "No such vendor.", public_id=public_id)


def batch_list(vendor: Vendor) -> QuerySet:
    return Batch.objects.filter(vendor=vendor).select_related("vendor", "closed_by").order_by("-number")


def batch_get(scope: Any, public_id: str, *, vendor: Vendor | None = None) -> Batch:
    batches = Batch.objects.filter(tenant=_tenant(scope)).select_related(
        "vendor", "vendor__user", "closed_by"
    )
    if vendor is not None:
        batches = batches.filter(vendor=vendor)
    return _one(batches, "No such batch.", public_id=public_id)
