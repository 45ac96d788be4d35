"""Quick Pay (amount → confirmation with the breakdown → receipt with the tokens), reversals, and the
cashiers' batches.

The confirmation page carries a hidden idempotency key generated when it renders: posting it twice (a
double click, a refresh, the back button) replays the first sale instead of selling again.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError
from juiced.vending import selectors
from juiced.vending.batches import batch_close as close
from juiced.vending.batches import batch_totals, vendor_for
from juiced.vending.forms import (
    QUICK_PAY_LABEL,
    QUICK_PAY_PERMISSION,
    QuickPayForm,
    ReasonForm,
    VendorLimitsForm,
    cents_or_none,
    money_text,
)
from juiced.vending.models import PaymentKind
from juiced.vending.sales import quick_pay as sell
from juiced.vending.sales import quick_pay_quote
from juiced.vending.sales import sale_reverse as reverse
from juiced.vending.setup import vendor_update
from juiced.vending.views import VIEW, account_context, account_for, base_url, vending_context
from juiced.web.access import add_domain_errors, staff_view

SELL = "vending.sell"


def _payment_kind(request: HttpRequest, kind: str) -> str:
    if kind not in QUICK_PAY_PERMISSION:
        raise Http404("No such payment kind.")
    request.access.require(QUICK_PAY_PERMISSION[kind])
    return kind


def _pay_page(request: HttpRequest, account: Any, form: QuickPayForm, status: int = 200) -> HttpResponse:
    context = account_context(
        request,
        account,
        "overview",
        form=form,
        kind=form.payment_kind,
        kind_label=QUICK_PAY_LABEL[form.payment_kind],
    )
    return render(request, "juiced/vending/quick_pay.html", context, status=status)


@staff_view(SELL)
def quick_pay(request: HttpRequest, account_id: str, kind: str) -> HttpResponse:
    """GET: the amount form. POST: quote it and show the confirmation (nothing is sold yet)."""

    kind = _payment_kind(request, kind)
    account = account_for(request, account_id)
    if request.method != "POST":
        return _pay_page(request, account, QuickPayForm(payment_kind=kind))
    form = QuickPayForm(request.POST, payment_kind=kind)
    if form.is_valid():
        values = form.service_kwargs()
        try:
            quote = quick_pay_quote(
                access=request.access, account=account, amount=values["amount"], payment_kind=kind
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            change_due = (values["tendered"] or 0) - values["amount"] if kind == "cash" else 0
            context = account_context(
                request,
                account,
                "overview",
                form=form,
                kind=kind,
                kind_label=QUICK_PAY_LABEL[kind],
                quote=quote,
                values=values,
                change_due=change_due,
                amount_text=money_text(values["amount"]),
                tendered_text=money_text(values["tendered"]),
                idempotency_key=f"web-{uuid.uuid4().hex}",
            )
            return render(request, "juiced/vending/quick_pay_confirm.html", context)
    return _pay_page(request, account, form, status=422)


@require_POST
@staff_view(SELL)
def quick_pay_confirm(request: HttpRequest, account_id: str, kind: str) -> HttpResponse:
    """Sell: the same idempotency key always answers with the first sale's receipt."""

    kind = _payment_kind(request, kind)
    account = account_for(request, account_id)
    form = QuickPayForm(request.POST, payment_kind=kind)
    key = (request.POST.get("idempotency_key") or "").strip()
    if form.is_valid() and key:
        try:
            sale, replayed = sell(
                access=request.access, account=account, idempotency_key=key, **form.service_kwargs()
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            if replayed:
                messages.info(
                    request, "This sale was already made; here is its receipt (nothing was sold twice)."
                )
            return redirect(f"{base_url(request)}/sales/{sale.public_id}/")
    elif form.is_valid():
        form.add_error(None, "The confirmation expired; check the amount and confirm again.")
    return _pay_page(request, account, form, status=422)


@staff_view(SELL)
def cart(request: HttpRequest, account_id: str) -> HttpResponse:
    """The shopping-cart icon: the same as the Cash button."""
    account = account_for(request, account_id)
    return redirect(f"{base_url(request)}/accounts/{account.public_id}/pay/cash/")


@staff_view(VIEW)
def receipt(request: HttpRequest, sale_id: str) -> HttpResponse:
    """The printable receipt: breakdown and the token(s) in groups of three digits."""
    try:
        sale = selectors.sale_get(request.access.tenant, sale_id)
    except DomainError as exc:
        raise Http404(exc.message) from None
    account = sale.account
    context = account_context(
        request, account, "vends", sale=sale, tokens=list(sale.tokens.all()), reverse_form=ReasonForm()
    )
    context["can_reverse"] = request.access.can("vending.reverse")
    return render(request, "juiced/vending/receipt.html", context)


@require_POST
@staff_view("vending.reverse")
def sale_reverse(request: HttpRequest, sale_id: str) -> HttpResponse:
    """Reverse a sale with a reason: money and energy come back by new rows, the token is voided."""

    try:
        sale = selectors.sale_get(request.access.tenant, sale_id)
    except DomainError as exc:
        raise Http404(exc.message) from None
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            reversal = reverse(
                access=request.access,
                sale=sale,
                reason=form.cleaned_data["reason"],
                idempotency_key=f"web-reverse-{sale.public_id}",
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Sale reversed ({reversal.public_id}); the customer is told.")
            return redirect(f"{base_url(request)}/accounts/{sale.account.public_id}/vends/")
    context = account_context(
        request, sale.account, "vends", sale=sale, tokens=list(sale.tokens.all()), reverse_form=form
    )
    context["can_reverse"] = True
    return render(request, "juiced/vending/receipt.html", context, status=422)


# --- cashiers' batches ------------------------------------------------------------------------------


def _batch_context(request: HttpRequest, batch: Any) -> dict[str, Any]:
    """A batch's sales and totals by payment kind (open: summed now; closed: the frozen totals)."""

    sales = list(selectors.sale_list(request.access, batch=batch))
    if batch.status == "closed":
        totals, total = dict(batch.totals), batch.total
    else:
        totals, _count, total = batch_totals(batch)
    return {
        "batch": batch,
        "sales": sales,
        "totals": [(PaymentKind(kind).label, cents) for kind, cents in sorted(totals.items())],
        "grand_total": total,
    }


@staff_view(SELL)
def my_batch(request: HttpRequest) -> HttpResponse:
    """The cashier's page: today's open batch with totals by payment kind, and Close batch. Reading it
    opens nothing: a batch opens with the cashier's first sale."""

    vendor = vendor_for(access=request.access)
    if vendor is None:
        return render(request, "juiced/vending/vendor_missing.html", vending_context(request), status=404)
    batches = selectors.batch_list(vendor)
    batch = batches.filter(status="open").first()
    closed = list(batches.filter(status="closed")[:10])
    current = _batch_context(request, batch) if batch else {}
    context = vending_context(request, vendor=vendor, closed=closed, **current)
    return render(request, "juiced/vending/my_batch.html", context)


@require_POST
@staff_view(SELL)
def batch_close(request: HttpRequest, batch_id: str) -> HttpResponse:
    """Close a batch: the cashier their own; a supervisor anyone's."""
    from juiced.vending.batches import vendor_for

    own = None if request.access.can("vending.batches.view_all") else vendor_for(access=request.access)
    if own is None and not request.access.can("vending.batches.view_all"):
        raise Http404("No such batch.")
    try:
        batch = selectors.batch_get(request.access.tenant, batch_id, vendor=own)
    except DomainError as exc:
        raise Http404(exc.message) from None
    try:
        close(access=request.access, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Batch {batch.number} closed.")
    return redirect(f"{base_url(request)}/batches/{batch.public_id}/")


@staff_view(SELL)
def batch_page(request: HttpRequest, batch_id: str) -> HttpResponse:

    own = None if request.access.can("vending.batches.view_all") else vendor_for(access=request.access)
    if own is None and not request.access.can("vending.batches.view_all"):
        raise Http404("No such batch.")
    try:
        batch = selectors.batch_get(request.access.tenant, batch_id, vendor=own)
    except DomainError as exc:
        raise Http404(exc.message) from None
    return render(
        request, "juiced/vending/batch.html", vending_context(request, **_batch_context(request, batch))
    )


@staff_view("vending.batches.view_all")
def vendors(request: HttpRequest) -> HttpResponse:
    """Supervisor: every vendor with their open batch and recent closed batches."""
    rows = []
    for vendor in selectors.vendor_list(request.access.tenant):
        rows.append({"vendor": vendor, "batches": list(selectors.batch_list(vendor)[:5])})
    return render(request, "juiced/vending/vendors.html", vending_context(request, rows=rows))


@staff_view("vending.vendors.manage")
def vendor_edit(request: HttpRequest, vendor_id: str) -> HttpResponse:
    """Supervisor: a vendor's limits per sale and per day, and whether they may sell."""

    try:
        vendor = selectors.vendor_get(request.access.tenant, vendor_id)
    except DomainError as exc:
        raise Http404(exc.message) from None
    initial = {
        "limit_per_sale": money_text(vendor.limit_per_sale),
        "limit_per_day": money_text(vendor.limit_per_day),
        "is_active": vendor.is_active,
    }
    form = VendorLimitsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = {
                "limit_per_sale": cents_or_none(form, "limit_per_sale"),
                "limit_per_day": cents_or_none(form, "limit_per_day"),
                "is_active": form.cleaned_data.get("is_active", False),
            }
            if not form.errors:
                try:
                    vendor_update(access=request.access, vendor=vendor, data=data)
                except DomainError as exc:
                    add_domain_errors(form, exc)
                else:
                    messages.success(request, f"{vendor.name}: limits saved.")
                    return redirect(f"{base_url(request)}/vendors/")
    # A closed batch has its frozen total; the open one is summed now (its stored total is still 0).
    batches = [
        (batch, batch.total if batch.status == "closed" else batch_totals(batch)[2])
        for batch in selectors.batch_list(vendor)[:20]
    ]
    context = vending_context(request, vendor=vendor, form=form, batches=batches)
    return render(request, "juiced/vending/vendor.html", context, status=status)
