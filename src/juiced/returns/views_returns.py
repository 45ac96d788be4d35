"""Return request pages.

- Staff queue: /manage/<tenant>/returns/ (returns.view): filters, a request form on a buyer's behalf,
  approve/reject per row (htmx row swap) and bulk decisions (returns.decide).
- Portal: /app/returns/ (the customer's requests and return rate) and /app/returns/new/?lead=<id> (the form).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError, NotFound, ValidationFailed
from juiced.core.ids import is_public_id
from juiced.leads.models import Lead
from juiced.returns import selectors, services
from juiced.returns.forms_returns import (
    BulkForm,
    DecisionForm,
    QueueFilterForm,
    ReturnRequestForm,
    StaffReturnRequestForm,
)
from juiced.web.access import add_domain_errors, portal_view, staff_view

PER_PAGE = 50


def _queue_url(request: HttpRequest) -> str:
    return f"/manage/{request.access.tenant.slug}/returns/"


def _queue_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    tenant = request.access.tenant
    settings = services.settings_for(tenant)
    customers = [(c.public_id, c.name) for c in request.access.customers().order_by("name", "id")]
    filter_form = QueueFilterForm(request.GET or None, customers=customers, reasons=settings.reasons or [])
    rows = selectors.return_queue(tenant=tenant, filters=filter_form.filters())
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "access": request.access,
        "settings": settings,
        "filter_form": filter_form,
        "page": page,
        "currency": tenant.currency,
        "can_decide": request.access.can("returns.decide"),
        "queue_url": _queue_url(request),
    }
    return context | extra


@staff_view("returns.view")
def queue(request: HttpRequest) -> HttpResponse:
    """The staff queue (pending by default); an htmx filter change re-renders the table only."""
    if request.htmx and request.htmx.target == "returns-table":
        return render(request, "returns/requests/_queue_table.html", _queue_context(request))
    settings = services.settings_for(request.access.tenant)
    form = StaffReturnRequestForm(reasons=settings.reasons or [])
    return render(request, "returns/requests/queue.html", _queue_context(request, request_form=form))


@staff_view("returns.decide")
@require_POST
def staff_request(request: HttpRequest) -> HttpResponse:
    """Open a return on a buyer's behalf from the queue page."""
    settings = services.settings_for(request.access.tenant)
    form = StaffReturnRequestForm(request.POST, reasons=settings.reasons or [])
    if form.is_valid():
        try:
            created = services.return_request(
                tenant=request.access.tenant,
                lead_id=form.cleaned_data["lead"],
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Return {created.public_id} opened for lead {created.lead.public_id}.")
            return redirect(_queue_url(request))
    context = _queue_context(request, request_form=form)
    return render(request, "returns/requests/queue.html", context, status=422)


@staff_view("returns.decide")
@require_POST
def decide(request: HttpRequest, return_id: str, action: str) -> HttpResponse:
    """Approve or reject one request; htmx swaps the row, otherwise back to the queue."""
    tenant = request.access.tenant
    form = DecisionForm(request.POST)
    note = form.data.get("note", "")
    error = ""
    try:
        selectors.return_get(tenant=tenant, public_id=return_id)
        act = services.return_approve if action == "approve" else services.return_reject
        act(tenant=tenant, request_id=return_id, actor=request.user, note=note)
    except NotFound:
        raise Http404("No such return request.") from None
    except DomainError as exc:
        error = exc.message
    if request.htmx:
        row = selectors.return_get(tenant=tenant, public_id=return_id)
        context = {
            "row": row,
            "access": request.access,
            "currency": tenant.currency,
            "can_decide": True,
            "queue_url": _queue_url(request),
            "row_error": error,
        }
        return render(request, "returns/requests/_queue_row.html", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Return {return_id} {'approved' if action == 'approve' else 'rejected'}.")
    return redirect(_queue_url(request))


@staff_view("returns.decide")
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Approve or reject the selected rows; reports how many were done and why others were not."""
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect(_queue_url(request))
    try:
        result = services.return_bulk(
            tenant=request.access.tenant,
            action=form.cleaned_data["action"],
            request_ids=form.cleaned_data["ids"],
            actor=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        verb = "approved" if form.cleaned_data["action"] == "approve" else "rejected"
        messages.success(request, f"{len(result['done'])} return(s) {verb}.")
        for request_id, reason in result["failed"].items():
            messages.error(request, f"{request_id}: {reason}")
    back = request.POST.get("next", "")
    return redirect(back if back.startswith(_queue_url(request)) else _queue_url(request))


# --- portal ----------------------------------------------------------------------------------------------


@portal_view("returns.view")
def portal_list(request: HttpRequest) -> HttpResponse:
    customer = request.portal.customer
    rate, charged, returned = selectors.customer_return_rate(customer)
    page = Paginator(selectors.customer_returns(customer=customer), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "settings": services.settings_for(customer.tenant),
        "rate": rate,
        "charged": charged,
        "returned": returned,
        "currency": customer.tenant.currency,
        "can_request": request.portal.can("returns.request"),
    }
    return render(request, "returns/requests/portal_list.html", context)


@portal_view("returns.request")
def portal_new(request: HttpRequest) -> HttpResponse:
    """The request form for one of the customer's leads (?lead=<public id>)."""
    customer = request.portal.customer
    lead_id = request.GET.get("lead", "") or request.POST.get("lead", "")
    # A malformed id is simply not one of the customer's leads (a NUL byte made PostgreSQL raise).
    lead = (
        Lead.objects.select_related("lead_type", "category")
        .filter(tenant_id=customer.tenant_id, customer=customer, public_id=lead_id)
        .first()
        if is_public_id(lead_id, "lead")
        else None
    )
    if lead is None:
        raise Http404("No such lead.")
    settings = services.settings_for(customer.tenant)
    form = ReturnRequestForm(request.POST or None, reasons=settings.reasons or [])
    if request.method == "POST" and form.is_valid():
        try:
            services.return_request(
                tenant=customer.tenant,
                customer=customer,
                lead_id=lead.public_id,
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Your return request for lead {lead.public_id} was sent.")
            return redirect("/app/returns/")
    context = {
        "lead": lead,
        "form": form,
        "settings": settings,
        "currency": customer.tenant.currency,
        "closes": services.window_closes_at(lead=lead, settings=settings),
        "open_request": selectors.open_request_for(lead=lead),
    }
    return render(request, "returns/requests/portal_new.html", context, status=422 if form.errors else 200)
