"""The buyer's bids and leads in the portal, under /app/ (@portal_view: the customer chosen in the switcher).

- /app/bids/ (bids.view): the customer's bids with status and position; create, edit, pause, archive for
  bids.manage unless the tenant locks bids; a "what would I pay" preview.
- /app/leads/ (leads.view): leads sold to this customer, deliverable fields only; detail; CSV export.
"""

from __future__ import annotations

import csv
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from juiced.core.errors import ValidationFailed
from juiced.core.money import cents_to_decimal
from juiced.leads import bids, geo, selectors
from juiced.leads.forms_bids import LeadFilterForm, PreviewForm
from juiced.leads.models import LeadType, Scope
from juiced.leads.tenant_settings import lead_settings_for
from juiced.leads.views_manage import (
    BidScope,
    bid_action,
    bid_detail_page,
    bid_list_page,
    county_options,
    lead_type_terms,
)
from juiced.web.access import add_domain_errors, portal_view
from juiced.web.views.pages import render_page_or_partial

PER_PAGE = 50


def _scope(request: HttpRequest) -> BidScope:
    portal = request.portal
    customer = portal.customer
    tenant = customer.tenant
    settings = lead_settings_for(tenant)
    return BidScope(
        kind="portal",
        tenant=tenant,
        customer=customer,
        base_url="/app/bids/",
        options_url="/app/bids/",
        can_edit=portal.can("bids.manage") and not settings.bid_lock,
        locked=settings.bid_lock,
        limits_enabled=settings.bid_limits_enabled,
        via_portal=True,
    )


@portal_view("bids.view")
def portal_bids(request: HttpRequest) -> HttpResponse:
    return bid_list_page(request, _scope(request), "leads/portal/bids.html")


@portal_view("bids.view")
def portal_bid(request: HttpRequest, bid_id: str) -> HttpResponse:
    return bid_detail_page(request, _scope(request), bid_id, "leads/portal/bid.html")


@require_POST
@portal_view("bids.manage")
def portal_bid_action(request: HttpRequest, bid_id: str, action: str) -> HttpResponse:
    return bid_action(request, _scope(request), bid_id, action)


@portal_view("bids.view")
def portal_county_options(request: HttpRequest) -> HttpResponse:
    return county_options(request)


@portal_view("bids.view")
def portal_lead_type_terms(request: HttpRequest) -> HttpResponse:
    customer = request.portal.customer
    return lead_type_terms(request, customer.tenant, customer.wallet.currency)


@portal_view("bids.view")
def portal_bid_preview(request: HttpRequest) -> HttpResponse:
    """What the buyer would pay now for a lead at a place with a given bid, against current rivals."""
    scope = _scope(request)
    lead_types = selectors.biddable_lead_types(tenant=scope.tenant)
    form = PreviewForm(request.GET or None, lead_types=lead_types)
    preview = None
    if request.GET and form.is_valid():
        try:
            preview = _preview(scope, form.cleaned_data)
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
    context = {"scope": scope, "customer": scope.customer, "form": form, "preview": preview,
               "currency": scope.currency}  # fmt: skip
    return render_page_or_partial(request, "leads/portal/preview.html", "leads/portal/_preview.html", context)


def _preview(scope: BidScope, data: dict[str, Any]) -> selectors.Preview:
    lead_type = LeadType.objects.filter(
        tenant=scope.tenant, public_id=data["lead_type"], archived_at__isnull=True
    ).first()
    if lead_type is None:
        raise ValidationFailed.on("lead_type", "No such lead type.")
    scope_value = data["scope"]
    pricing = selectors.pricing_map([lead_type.pk]).get((lead_type.pk, scope_value))
    if pricing is None or not pricing.enabled:
        label = Scope(scope_value).label.lower()
        raise ValidationFailed.on("scope", f"Bidding at {label} level is not enabled for {lead_type.name}.")
    message = bids.amount_error(
        pricing=pricing, amount=data["amount"], lead_type_name=lead_type.name, tenant=scope.tenant
    )
    if message:
        raise ValidationFailed.on("amount", message)
    state = geo.normalize_state(data.get("state") or "") if scope_value != Scope.NATIONWIDE else ""
    county = geo.county_in_state(state, data.get("county") or "") if scope_value == Scope.COUNTY else ""
    if scope_value != Scope.NATIONWIDE and not state:
        raise ValidationFailed.on("state", "Choose a state.")
    if scope_value == Scope.COUNTY and not county:
        raise ValidationFailed.on("county", "Choose a county of that state.")
    return selectors.preview_price(
        tenant=scope.tenant, customer=scope.customer, lead_type=lead_type, scope=scope_value, state=state,
        county=county, amount=data["amount"],
    )  # fmt: skip


# --- leads -------------------------------------------------------------------------------------------


def _my_leads(request: HttpRequest) -> tuple[Any, LeadFilterForm, Any]:
    customer = request.portal.customer
    form = LeadFilterForm(
        request.GET or None,
        lead_types=list(LeadType.objects.filter(tenant_id=customer.tenant_id)),
        keep=("lead_type", "since", "until", "min_price", "max_price"),
    )
    filters = selectors.LeadFilters(**form.filters(), test=True)
    leads = selectors.lead_list(tenant=customer.tenant, filters=filters, customer=customer).filter(
        status__in=selectors.SOLD_STATUSES
    )
    return customer, form, leads


@portal_view("leads.view")
def portal_leads(request: HttpRequest) -> HttpResponse:
    customer, form, leads = _my_leads(request)
    page = Paginator(leads, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"customer": customer, "filter_form": form, "page": page, "currency": customer.wallet.currency,
               "filter_query": query.urlencode()}  # fmt: skip
    return render_page_or_partial(
        request, "leads/portal/leads.html", "leads/portal/_lead_table.html", context
    )


@portal_view("leads.view")
def portal_lead(request: HttpRequest, lead_id: str) -> HttpResponse:
    customer = request.portal.customer
    lead = selectors.customer_lead(customer=customer, public_id=lead_id)
    context = {
        "customer": customer,
        "lead": lead,
        "currency": customer.wallet.currency,
        "fields": selectors.lead_field_values(lead=lead, deliverable_only=True),
    }
    return render(request, "leads/portal/lead.html", context)


@portal_view("leads.view")
def portal_leads_csv(request: HttpRequest) -> HttpResponse:
    """The filtered leads as CSV: id, received, lead type, price, then every deliverable field."""
    _customer, _form, leads = _my_leads(request)
    leads = list(leads[:10_000])
    columns = selectors.deliverable_columns(leads=leads)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="leads.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["lead_id", "received", "lead_type", "status", "price", *[key for key, _label in columns]]
    )
    deliverable = {key for key, _label in columns}
    for lead in leads:
        data = {k: v for k, v in lead.data.items() if k in deliverable}
        writer.writerow([
            lead.public_id,
            (lead.assigned_at or lead.created_at).isoformat(),
            lead.lead_type.name if lead.lead_type else "",
            lead.status,
            f"{cents_to_decimal(lead.price)}",
            *[_csv_value(data.get(key, "")) for key, _label in columns],
        ])  # fmt: skip
    return response


def _csv_value(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a leading =, +, - or @ is neutralised.
    risky = text[:1] in ("=", "@") or (text[:1] in ("+", "-") and not text[1:2].isdigit())
    return "'" + text if risky else text
