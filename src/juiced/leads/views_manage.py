"""Dashboard pages for bids, leads and submissions, under /manage/<tenant>/ (@staff_view reads `tenant`).

- a customer's Bids tab (bids.view; changes bids.edit) and Leads tab (leads.view)
- the leads list and lead page with the flow log and Reprocess (leads.reprocess)
- submissions list and detail (leads.view)

The bid pages are shared with the portal through `BidScope` (which customer, which URLs, who may edit);
every change goes through leads/bids.py and every read through leads/selectors.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError, PermissionDenied
from juiced.customers.selectors import customer_statuses
from juiced.leads import allocation, bids, geo, selectors
from juiced.leads.forms_bids import BidCreateForm, BidEditForm, LeadFilterForm, SubmissionFilterForm
from juiced.leads.models import Lead, LeadType, Source
from juiced.leads.tenant_settings import lead_settings_for
from juiced.returns import selectors as return_selectors
from juiced.returns import services as return_services
from juiced.returns.models import ReturnRequest
from juiced.returns.services import RETURNABLE
from juiced.web.access import add_domain_errors, staff_view
from juiced.web.views.pages import render_page_or_partial, wants_partial

PER_PAGE = 50
BID_ACTIONS = ("pause", "resume", "archive")


@dataclass(frozen=True)
class BidScope:
    kind: str  # "customer" (dashboard tab) or "portal"
    tenant: Any
    customer: Any
    base_url: str  # the bid list; a bid is base_url + public id + "/"
    options_url: str  # county options and lead type terms
    can_edit: bool
    locked: bool  # the portal while the tenant locks bids
    limits_enabled: bool
    via_portal: bool

    @property
    def currency(self) -> str:
        return self.customer.wallet.currency


def bid_scope_for_customer(request: HttpRequest, customer_id: str) -> BidScope:
    access = request.access
    customer = access.customer(customer_id, permission="bids.view")
    tenant = access.tenant
    return BidScope(
        kind="customer",
        tenant=tenant,
        customer=customer,
        base_url=f"/manage/{tenant.slug}/customers/{customer.public_id}/bids/",
        options_url=f"/manage/{tenant.slug}/bids/",
        can_edit=access.can("bids.edit"),
        locked=False,
        limits_enabled=lead_settings_for(tenant).bid_limits_enabled,
        via_portal=False,
    )


def _scope_context(request: HttpRequest, scope: BidScope, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"scope": scope, "customer": scope.customer, "currency": scope.currency}
    if scope.kind == "customer":
        context |= {"access": request.access, "statuses": customer_statuses(scope.customer), "tab": "bids"}
    return context | extra


def _require_edit(scope: BidScope) -> None:
    if scope.locked:
        bids.portal_guard(tenant=scope.tenant)
    if not scope.can_edit:
        raise PermissionDenied("Your role does not allow changing bids.")


def bid_list_page(request: HttpRequest, scope: BidScope, template: str) -> HttpResponse:
    """The bid table and, for editors, the create form (POST creates)."""
    lead_types = selectors.biddable_lead_types(tenant=scope.tenant)
    form = BidCreateForm(request.POST or None, lead_types=lead_types, limits_enabled=scope.limits_enabled)
    if request.method == "POST":
        try:
            _require_edit(scope)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(scope.base_url)
        if form.is_valid():
            try:
                bid = bids.bid_create(
                    tenant=scope.tenant, customer=scope.customer, actor=request.user,
                    data=form.service_data(), via_portal=scope.via_portal,
                )  # fmt: skip
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(
                    request, f"Bid placed: {bid.lead_type.name}, {selectors.bid_location_label(bid)}."
                )
                return redirect(scope.base_url)
    rows = selectors.bid_rows(tenant=scope.tenant, bids=selectors.customer_bids(customer=scope.customer))
    context = _scope_context(request, scope, rows=rows, form=form, lead_types=lead_types)
    return render(request, template, context, status=422 if form.errors else 200)


def bid_detail_page(request: HttpRequest, scope: BidScope, bid_id: str, template: str) -> HttpResponse:
    """One bid: its statuses, the edit form (amount and limits) and its history."""
    bid = selectors.customer_bid(customer=scope.customer, public_id=bid_id)
    form = BidEditForm(
        request.POST or None, initial=BidEditForm.initial_for(bid), limits_enabled=scope.limits_enabled
    )
    if request.method == "POST":
        try:
            _require_edit(scope)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(scope.base_url + bid.public_id + "/")
        if form.is_valid():
            try:
                bids.bid_update(
                    bid=bid, actor=request.user, data=form.service_data(), via_portal=scope.via_portal
                )
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, "Bid saved.")
                return redirect(scope.base_url + bid.public_id + "/")
    row = selectors.bid_rows(tenant=scope.tenant, bids=[bid])[0]
    context = _scope_context(
        request, scope, row=row, bid=bid, form=form, history=selectors.bid_history(bid=bid)
    )
    return render(request, template, context, status=422 if form.errors else 200)


def bid_action(request: HttpRequest, scope: BidScope, bid_id: str, action: str) -> HttpResponse:
    """Pause, resume or archive; htmx gets the table row back, a plain form a redirect."""
    bid = selectors.customer_bid(customer=scope.customer, public_id=bid_id)
    error = ""
    try:
        _require_edit(scope)
        service = {"pause": bids.bid_pause, "resume": bids.bid_resume, "archive": bids.bid_archive}[action]
        bid = service(bid=bid, actor=request.user, via_portal=scope.via_portal)
    except DomainError as exc:
        error = exc.message
    if wants_partial(request):
        bid = selectors.customer_bid(customer=scope.customer, public_id=bid_id)
        row = selectors.bid_rows(tenant=scope.tenant, bids=[bid])[0]
        context = _scope_context(request, scope, row=row, error=error)
        return render(request, "leads/manage/_bid_row.html", context, status=409 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, {"pause": "Bid paused.", "resume": "Bid resumed.", "archive": "Bid archived."}[action]
        )
    return redirect(scope.base_url)


def county_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the counties of ?state= (for the county select)."""
    state = geo.normalize_state(request.GET.get("state", ""))
    counties = geo.counties_by_state().get(state, []) if state else []
    return render(request, "leads/manage/_county_options.html", {"counties": counties, "state": state})


def lead_type_terms(request: HttpRequest, tenant: Any, currency: str) -> HttpResponse:
    """The scopes enabled for ?lead_type= with their price terms (min/max/step or fixed)."""
    lead_type = selectors.lead_type_for_bids(tenant=tenant, public_id=request.GET.get("lead_type", ""))
    terms = []
    if lead_type is not None:
        for lt, pricing in selectors.biddable_lead_types(tenant=tenant):
            if lt.pk == lead_type.pk:
                terms = pricing
    selected = request.GET.get("scope", "")
    context = {"lead_type": lead_type, "terms": terms, "currency": currency, "selected": selected}
    return render(request, "leads/manage/_lead_type_terms.html", context)


# --- dashboard entry points: bids --------------------------------------------------------------------


@staff_view("bids.view")
def customer_bids(request: HttpRequest, customer_id: str) -> HttpResponse:
    return bid_list_page(request, bid_scope_for_customer(request, customer_id), "leads/manage/bids.html")


@staff_view("bids.view")
def customer_bid(request: HttpRequest, customer_id: str, bid_id: str) -> HttpResponse:
    return bid_detail_page(
        request, bid_scope_for_customer(request, customer_id), bid_id, "leads/manage/bid.html"
    )


@require_POST
@staff_view("bids.edit")
def customer_bid_action(request: HttpRequest, customer_id: str, bid_id: str, action: str) -> HttpResponse:
    return bid_action(request, bid_scope_for_customer(request, customer_id), bid_id, action)


@staff_view("bids.view")
def manage_county_options(request: HttpRequest) -> HttpResponse:
    return county_options(request)


@staff_view("bids.view")
def manage_lead_type_terms(request: HttpRequest) -> HttpResponse:
    tenant = request.access.tenant
    return lead_type_terms(request, tenant, tenant.currency)


# --- leads -------------------------------------------------------------------------------------------


def _lead_filters(form: LeadFilterForm) -> selectors.LeadFilters:
    return selectors.LeadFilters(**form.filters())


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _attach_pending_returns(customer: Any, leads: list[Lead]) -> None:
    """Set `lead.pending_return` (the open return request or None) on each lead, in one query."""
    pending = return_selectors.customer_returns(customer=customer).filter(
        status=ReturnRequest.Status.PENDING, lead_id__in=[lead.pk for lead in leads]
    )
    by_lead = {request.lead_id: request for request in pending}
    for lead in leads:
        lead.pending_return = by_lead.get(lead.pk)


def customer_leads_context(request: HttpRequest, customer: Any) -> dict[str, Any]:
    """The Leads tab: the filter form, one page of the customer's leads, each with its pending return."""
    tenant = request.access.tenant
    form = LeadFilterForm(
        request.GET or None,
        sources=list(Source.objects.filter(tenant=tenant)),
        keep=("status", "source", "since", "until", "min_price", "max_price", "test"),
    )
    leads = selectors.lead_list(tenant=tenant, filters=_lead_filters(form), customer=customer)
    page = Paginator(leads, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    _attach_pending_returns(customer, page.object_list)
    return {
        "customer": customer, "access": request.access, "statuses": customer_statuses(customer),
        "tab": "leads",
        "filter_form": form, "page": page, "currency": customer.wallet.currency,
        "filter_query": _query_without_page(request), "show_customer": False,
        "returns_column": True, "customer_base": f"/manage/{tenant.slug}/customers/{customer.public_id}/",
        "can_decide": request.access.can("returns.decide"),
        "returns_enabled": return_services.settings_for(tenant).returns_enabled,
        "returnable": RETURNABLE,
    }  # fmt: skip


@staff_view("leads.view")
def customer_leads(request: HttpRequest, customer_id: str) -> HttpResponse:
    """The customer's leads with filters (source, date range, price) and, per lead, its return."""
    customer = request.access.customer(customer_id, permission="leads.view")
    return render_page_or_partial(
        request,
        "leads/manage/customer_leads.html",
        "leads/manage/_lead_table.html",
        customer_leads_context(request, customer),
    )


@staff_view("leads.view")
def lead_list(request: HttpRequest) -> HttpResponse:
    """Every lead of the tenant with filters (status, type, source, customer, dates, test) and pages."""
    tenant = request.access.tenant
    form = LeadFilterForm(
        request.GET or None,
        lead_types=list(LeadType.objects.filter(tenant=tenant)),
        sources=list(Source.objects.filter(tenant=tenant)),
    )
    leads = selectors.lead_list(tenant=tenant, filters=_lead_filters(form))
    page = Paginator(leads, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "access": request.access, "filter_form": form, "page": page, "currency": tenant.currency,
        "filter_query": _query_without_page(request), "show_customer": True,
    }  # fmt: skip
    return render_page_or_partial(
        request, "leads/manage/leads.html", "leads/manage/_lead_table.html", context
    )


@staff_view("leads.view")
def lead_detail(request: HttpRequest, lead_id: str) -> HttpResponse:
    """Every field (deliverable marked), status history, the flow log, the charge and Reprocess."""
    tenant = request.access.tenant
    lead = selectors.lead_get(tenant=tenant, public_id=lead_id)
    context = {
        "access": request.access,
        "lead": lead,
        "currency": tenant.currency,
        "fields": selectors.lead_field_values(lead=lead),
        "history": lead.status_changes.all(),
        "runs": selectors.flow_log(lead=lead),
        "submissions": selectors.lead_submissions(lead=lead),
        "can_reprocess": request.access.can("leads.reprocess") and selectors.can_reprocess(lead),
    }
    return render(request, "leads/manage/lead.html", context)


@require_POST
@staff_view("leads.reprocess")
def lead_reprocess(request: HttpRequest, lead_id: str) -> HttpResponse:
    tenant = request.access.tenant
    lead = selectors.lead_get(tenant=tenant, public_id=lead_id)
    try:
        result = allocation.lead_reprocess(lead=lead, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Lead reprocessed: {result.status.replace('_', ' ')}.")
    return redirect(f"/manage/{tenant.slug}/leads/{lead.public_id}/")


# --- submissions -------------------------------------------------------------------------------------


@staff_view("leads.view")
def submission_list(request: HttpRequest) -> HttpResponse:
    tenant = request.access.tenant
    form = SubmissionFilterForm(request.GET or None, sources=list(Source.objects.filter(tenant=tenant)))
    filters = selectors.SubmissionFilters(**form.filters())
    page = Paginator(selectors.submission_list(tenant=tenant, filters=filters), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "access": request.access,
        "filter_form": form,
        "page": page,
        "filter_query": _query_without_page(request),
    }
    return render_page_or_partial(
        request, "leads/manage/submissions.html", "leads/manage/_submission_table.html", context
    )


@staff_view("leads.view")
def submission_detail(request: HttpRequest, submission_id: str) -> HttpResponse:
    tenant = request.access.tenant
    submission = selectors.submission_get(tenant=tenant, public_id=submission_id)
    context = {
        "access": request.access,
        "submission": submission,
        "payload_json": json.dumps(submission.payload, indent=2, sort_keys=True),
        "response_json": json.dumps(submission.response, indent=2, sort_keys=True),
    }
    return render(request, "leads/manage/submission.html", context)
