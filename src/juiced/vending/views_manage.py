"""Vending lists and manage screens: accounts (and creating one), customers, locations, meters (with
management tokens and decode), tariffs (versions; Admin adds one) and master accounts (Synchronize).

Everyone with vending.view reads; vending.accounts.manage edits; tariffs need vending.tariffs.manage;
management tokens and decode need vending.tokens.manage. The setup services validate and write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError
from juiced.vending import masters, selectors, setup
from juiced.vending.forms import (
    AccountCreateForm,
    CustomerForm,
    DecodeForm,
    LocationForm,
    ManagementTokenForm,
    MasterForm,
    MeterForm,
    SyncForm,
    TariffForm,
    TariffVersionForm,
)
from juiced.vending.models import AccountStatus
from juiced.vending.tokens import token_decode, token_issue_management
from juiced.vending.views import MANAGE, VIEW, base_url, vending_context
from juiced.web.access import add_domain_errors, staff_view

TARIFFS = "vending.tariffs.manage"
TOKENS = "vending.tokens.manage"


def _found(getter: Callable[..., Any], request: HttpRequest, key: str) -> Any:
    try:
        return getter(request.access.tenant, key)
    except DomainError as exc:
        raise Http404(exc.message) from None


def _list_page(request: HttpRequest, template: str, rows: Any, **extra: Any) -> HttpResponse:
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    q = request.GET.get("q", "")
    return render(request, template, vending_context(request, page=page, q=q, **extra))


def _save(
    request: HttpRequest,
    form: forms.Form,
    write: Callable[[dict[str, Any]], Any],
    done: Callable[[Any], str],
    message: str,
) -> Any:
    """Validate the form, call the service, show its field errors; a URL to go to when it worked."""
    if not form.is_valid():
        return None
    data = form.service_data()
    if form.errors:
        return None
    try:
        saved = write(data)
    except DomainError as exc:
        add_domain_errors(form, exc)
        return None
    messages.success(request, message)
    return done(saved)


# --- accounts -------------------------------------------------------------------------------------------


@staff_view(VIEW)
def accounts(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    rows = selectors.account_list(
        request.access, status=status if status in AccountStatus.values else "", q=request.GET.get("q", "")
    )
    return _list_page(
        request, "juiced/vending/lists/accounts.html", rows, status=status, statuses=AccountStatus.choices
    )


def _create_choices(request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    scope = request.access
    return {
        "customer": [
            (c.public_id, f"{c.name} {c.phone}".strip()) for c in selectors.customer_list(scope)[:500]
        ],
        "location": [
            (loc.public_id, f"{loc.loc_id} · {loc.address_1}") for loc in selectors.location_list(scope)[:500]
        ],
        "meter": [
            (m.public_id, f"{m.serial_number} {m.com}".strip()) for m in selectors.meter_list(scope)[:500]
        ],
        "tariff": [(t.public_id, t.name) for t in selectors.tariff_list(scope, active_only=True)],
        "master": [(m.public_id, m.name) for m in selectors.master_list(scope)],
    }


@staff_view(MANAGE)
def account_create(request: HttpRequest) -> HttpResponse:
    """Create an account: pick a customer (or type a new one), a location, a meter and a tariff."""
    form = AccountCreateForm(request.POST or None, choices=_create_choices(request))

    def write(data: dict[str, Any]) -> Any:
        name = (form.cleaned_data.get("new_customer_name") or "").strip()
        phone = (form.cleaned_data.get("new_customer_phone") or "").strip()
        new_customer = {"name": name, "phone": phone} if name else None
        return setup.account_create(access=request.access, data=data, new_customer=new_customer)

    if request.method == "POST":
        url = _save(
            request,
            form,
            write,
            lambda a: f"{base_url(request)}/accounts/{a.public_id}/",
            "Account created (pending activation).",
        )
        if url:
            return redirect(url)
    return render(
        request,
        "juiced/vending/manage/account_new.html",
        vending_context(request, form=form),
        status=422 if form.is_bound else 200,
    )


# --- customers, locations -------------------------------------------------------------------------------


@staff_view(VIEW)
def customers(request: HttpRequest) -> HttpResponse:
    rows = selectors.customer_list(request.access, q=request.GET.get("q", ""))
    return _list_page(request, "juiced/vending/lists/customers.html", rows)


def _edit_screen(
    request: HttpRequest,
    *,
    kind: str,
    form: forms.Form,
    write: Callable[[dict[str, Any]], Any],
    done: Callable[[Any], str],
    message: str,
    template: str = "juiced/vending/manage/edit.html",
    **extra: Any,
) -> HttpResponse:
    if request.method == "POST":
        url = _save(request, form, write, done, message)
        if url:
            return redirect(url)
    context = vending_context(request, form=form, kind=kind, **extra)
    return render(request, template, context, status=422 if form.is_bound else 200)


@staff_view(MANAGE)
def customer_new(request: HttpRequest) -> HttpResponse:
    return _edit_screen(
        request,
        kind="customer",
        form=CustomerForm(request.POST or None, initial={"receipt_sms": True, "receipt_email": True}),
        write=lambda data: setup.customer_create(access=request.access, data=data),
        done=lambda c: f"{base_url(request)}/customers/{c.public_id}/",
        message="Customer created.",
        title="New customer",
    )


@staff_view(VIEW)
def customer_manage(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _found(selectors.customer_get, request, customer_id)
    if request.method == "POST":
        request.access.require(MANAGE)
    form = CustomerForm(request.POST or None, initial=CustomerForm.initial_for(customer))
    return _edit_screen(
        request,
        kind="customer",
        form=form,
        write=lambda data: setup.customer_update(access=request.access, customer=customer, data=data),
        done=lambda c: f"{base_url(request)}/customers/{c.public_id}/",
        message="Customer saved.",
        title=customer.name,
        record=customer,
        accounts=list(customer.accounts.select_related("meter", "location")),
        can_edit=request.access.can(MANAGE),
    )


@staff_view(VIEW)
def locations(request: HttpRequest) -> HttpResponse:
    rows = selectors.location_list(request.access, q=request.GET.get("q", ""))
    return _list_page(request, "juiced/vending/lists/locations.html", rows)


@staff_view(MANAGE)
def location_new(request: HttpRequest) -> HttpResponse:
    return _edit_screen(
        request,
        kind="location",
        form=LocationForm(request.POST or None),
        write=lambda data: setup.location_create(access=request.access, data=data),
        done=lambda loc: f"{base_url(request)}/locations/{loc.public_id}/",
        message="Location created.",
        title="New location",
    )


@staff_view(VIEW)
def location_manage(request: HttpRequest, location_id: str) -> HttpResponse:
    location = _found(selectors.location_get, request, location_id)
    if request.method == "POST":
        request.access.require(MANAGE)
    return _edit_screen(
        request,
        kind="location",
        form=LocationForm(request.POST or None, initial=LocationForm.initial_for(location)),
        write=lambda data: setup.location_update(access=request.access, location=location, data=data),
        done=lambda loc: f"{base_url(request)}/locations/{loc.public_id}/",
        message="Location saved.",
        title=f"Location {location.loc_id}",
        record=location,
        accounts=list(location.accounts.select_related("customer")),
        can_edit=request.access.can(MANAGE),
    )


# --- meters -------------------------------------------------------------------------------------------


@staff_view(VIEW)
def meters(request: HttpRequest) -> HttpResponse:
    rows = selectors.meter_list(request.access, q=request.GET.get("q", ""))
    return _list_page(request, "juiced/vending/lists/meters.html", rows)


@staff_view(MANAGE)
def meter_new(request: HttpRequest) -> HttpResponse:
    return _edit_screen(
        request,
        kind="meter",
        form=MeterForm(request.POST or None, initial={"vending_enabled": True, "energy_step_kwh": "0.1"}),
        write=lambda data: setup.meter_create(access=request.access, data=data),
        done=lambda m: f"{base_url(request)}/meters/{m.public_id}/",
        message="Meter created.",
        title="New meter",
    )


def _meter_page(request: HttpRequest, meter: Any, *, status: int = 200, **forms_: Any) -> HttpResponse:
    can_tokens = request.access.can(TOKENS)
    context = vending_context(
        request,
        kind="meter",
        record=meter,
        title=f"Meter {meter.serial_number}",
        form=forms_.get("form") or MeterForm(initial=MeterForm.initial_for(meter)),
        token_form=forms_.get("token_form") or ManagementTokenForm(),
        decode_form=forms_.get("decode_form") or DecodeForm(),
        decoded=forms_.get("decoded"),
        issued=forms_.get("issued"),
        can_edit=request.access.can(MANAGE),
        can_tokens=can_tokens,
        account=selectors.meter_active_account(meter),
        tokens=list(meter.tokens.select_related("sale")[:50]) if can_tokens else [],
    )
    return render(request, "juiced/vending/manage/meter.html", context, status=status)


@staff_view(VIEW)
def meter_manage(request: HttpRequest, meter_id: str) -> HttpResponse:
    """Serial, Com, Vending Enabled/Disabled, token settings; management tokens and decode below."""
    meter = _found(selectors.meter_get, request, meter_id)
    if request.method != "POST":
        return _meter_page(request, meter)
    request.access.require(MANAGE)
    form = MeterForm(request.POST, initial=MeterForm.initial_for(meter))
    url = _save(
        request,
        form,
        lambda data: setup.meter_update(access=request.access, meter=meter, data=data),
        lambda m: f"{base_url(request)}/meters/{m.public_id}/",
        "Meter saved.",
    )
    return redirect(url) if url else _meter_page(request, meter, status=422, form=form)


@require_POST
@staff_view(TOKENS)
def meter_token(request: HttpRequest, meter_id: str) -> HttpResponse:
    """Issue a management token (ADD_TIME, SET_TIME, DISABLE_PAYG, COUNTER_SYNC) with a reason."""

    meter = _found(selectors.meter_get, request, meter_id)
    form = ManagementTokenForm(request.POST)
    issued = None
    if form.is_valid():
        try:
            issued = token_issue_management(
                access=request.access,
                meter=meter,
                token_type=form.cleaned_data["token_type"],
                value=form.cleaned_data.get("value"),
                reason=form.cleaned_data["reason"].strip(),
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
    if issued is None:
        return _meter_page(request, meter, status=422, token_form=form)
    return _meter_page(request, meter, issued=issued)


@require_POST
@staff_view(TOKENS)
def meter_decode(request: HttpRequest, meter_id: str) -> HttpResponse:
    """Decode a token a customer reads out: what it carried and which issued token it is."""

    meter = _found(selectors.meter_get, request, meter_id)
    form = DecodeForm(request.POST)
    decoded = None
    if form.is_valid():
        try:
            decoded = token_decode(meter=meter, token=form.cleaned_data["token"])
        except DomainError as exc:
            add_domain_errors(form, exc)
    if decoded is None:
        return _meter_page(request, meter, status=422, decode_form=form)
    return _meter_page(request, meter, decode_form=form, decoded=decoded)


# --- tariffs ------------------------------------------------------------------------------------------


@staff_view(VIEW)
def tariffs(request: HttpRequest) -> HttpResponse:
    rows = selectors.tariff_list(request.access)
    return _list_page(
        request, "juiced/vending/lists/tariffs.html", rows, can_edit=request.access.can(TARIFFS)
    )


@staff_view(TARIFFS)
def tariff_new(request: HttpRequest) -> HttpResponse:
    """A new tariff with its first version."""
    form = TariffForm(request.POST or None)
    version_form = TariffVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and version_form.is_valid():
        terms = version_form.service_data()
        if not version_form.errors:
            try:
                tariff = setup.tariff_create(access=request.access, data={**form.cleaned_data, **terms})
            except DomainError as exc:
                add_domain_errors(form if set(exc.fields) & set(form.fields) else version_form, exc)
            else:
                messages.success(request, f"Tariff {tariff.name} created.")
                return redirect(f"{base_url(request)}/tariffs/{tariff.public_id}/")
    context = vending_context(request, form=form, version_form=version_form)
    return render(
        request, "juiced/vending/manage/tariff_new.html", context, status=422 if form.is_bound else 200
    )


@staff_view(VIEW)
def tariff_manage(request: HttpRequest, tariff_id: str) -> HttpResponse:
    """The tariff's versions (newest first); Admin adds a version (existing sales keep theirs)."""
    tariff = _found(selectors.tariff_get, request, tariff_id)
    version_form = TariffVersionForm(
        request.POST or None, initial=TariffVersionForm.initial_for(tariff.current_version)
    )
    if request.method == "POST":
        request.access.require(TARIFFS)
        if version_form.is_valid():
            terms = version_form.service_data()
            if not version_form.errors:
                try:
                    version = setup.tariff_version_add(access=request.access, tariff=tariff, data=terms)
                except DomainError as exc:
                    add_domain_errors(version_form, exc)
                else:
                    messages.success(request, f"Version {version.number} is now current.")
                    return redirect(f"{base_url(request)}/tariffs/{tariff.public_id}/")
    context = vending_context(
        request,
        tariff=tariff,
        versions=list(selectors.tariff_versions(tariff)),
        version_form=version_form,
        can_edit=request.access.can(TARIFFS),
    )
    return render(
        request, "juiced/vending/manage/tariff.html", context, status=422 if version_form.is_bound else 200
    )


# --- master accounts ------------------------------------------------------------------------------------


@staff_view(MANAGE)
def master_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, "juiced/vending/lists/masters.html", selectors.master_list(request.access))


@staff_view(MANAGE)
def master_new(request: HttpRequest) -> HttpResponse:
    tariffs_ = list(selectors.tariff_list(request.access, active_only=True))
    return _edit_screen(
        request,
        kind="master",
        form=MasterForm(request.POST or None, tariffs=tariffs_),
        write=lambda data: masters.master_create(access=request.access, data=data),
        done=lambda m: f"{base_url(request)}/masters/{m.public_id}/",
        message="Master account created.",
        title="New master account",
    )


def _master_page(request: HttpRequest, master: Any, *, status: int = 200, **extra: Any) -> HttpResponse:
    tariffs_ = list(selectors.tariff_list(request.access, active_only=True))
    context = vending_context(
        request,
        master=master,
        form=extra.pop("form", None) or MasterForm(initial=MasterForm.initial_for(master), tariffs=tariffs_),
        sync_form=extra.pop("sync_form", None) or SyncForm(),
        linked=list(selectors.account_list(request.access, master=master)),
        **extra,
    )
    return render(request, "juiced/vending/manage/master.html", context, status=status)


@staff_view(MANAGE)
def master_manage(request: HttpRequest, master_id: str) -> HttpResponse:
    """Edit the master itself (linked accounts are not touched until Control → Synchronize)."""
    master = _found(selectors.master_get, request, master_id)
    if request.method != "POST":
        return _master_page(request, master)
    tariffs_ = list(selectors.tariff_list(request.access, active_only=True))
    form = MasterForm(request.POST, tariffs=tariffs_)
    url = _save(
        request,
        form,
        lambda data: masters.master_update(access=request.access, master=master, data=data),
        lambda m: f"{base_url(request)}/masters/{m.public_id}/",
        "Master account saved; linked accounts are unchanged until you synchronize.",
    )
    return redirect(url) if url else _master_page(request, master, status=422, form=form)


@require_POST
@staff_view(MANAGE)
def master_sync(request: HttpRequest, master_id: str) -> HttpResponse:
    """Control → Synchronize: "preview" shows each linked account's changes; "apply" writes them."""
    master = _found(selectors.master_get, request, master_id)
    form = SyncForm(request.POST)
    if not form.is_valid():
        return _master_page(request, master, status=422, sync_form=form)
    fields = form.cleaned_data["sync_fields"]
    try:
        if request.POST.get("apply"):
            result = masters.master_sync_apply(access=request.access, master=master, fields=fields)
            changed = sum(1 for row in result if row["changes"])
            messages.success(request, f"Synchronized {changed} of {len(result)} linked accounts.")
            return redirect(f"{base_url(request)}/masters/{master.public_id}/")
        preview = masters.master_sync_preview(master=master, fields=fields)
    except DomainError as exc:
        exc.fields = {"sync_fields": exc.fields.pop("fields")} if "fields" in exc.fields else exc.fields
        add_domain_errors(form, exc)
        return _master_page(request, master, status=422, sync_form=form)
    return _master_page(request, master, sync_form=form, preview=preview, chosen=fields)
