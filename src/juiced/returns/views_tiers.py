"""The Returns settings page (/manage/<tenant>/disputes): Return Settings on top, the Return Tiers table
below with a create/edit modal, drag-and-drop order (with Move up / Move down), bulk delete, Recalculate
and the latest recalculation's progress; and the portal's read-only "all tiers" list (/app/returns/tiers/).

Everyone with returns.view sees the page; only return_tiers.manage (Admin) gets the controls. Views are
thin: forms shape input, tiers.py / settings.py decide and audit.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError, ValidationFailed
from juiced.returns import tiers
from juiced.returns.forms_tiers import ReturnSettingsForm, TierForm
from juiced.returns.models import CustomerTier, TierRecalculation
from juiced.returns.settings import return_settings_for, return_settings_update, settings_values
from juiced.web.access import add_domain_errors, portal_view, staff_view

VIEW = "returns.view"
MANAGE = "return_tiers.manage"
RECALC_CONFIRM = "All customers will have their tier recalculated. Are you sure you want to do this?"


def _page_url(request: HttpRequest) -> str:
    return f"/manage/{request.access.tenant.slug}/disputes"


def _done(request: HttpRequest) -> HttpResponse:
    """After a change: htmx gets told to reload the page, a plain form post is redirected."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _page_url(request)
        return response
    return redirect(_page_url(request))


def latest_recalculation(tenant: Any) -> TierRecalculation | None:
    return TierRecalculation.objects.filter(tenant=tenant).order_by("-created_at", "-id").first()


def _table_context(request: HttpRequest) -> dict[str, Any]:
    tenant = request.access.tenant
    return {
        "tiers": list(tiers.tiers_for(tenant=tenant)),
        "can_manage": request.access.can(MANAGE),
        "base": _page_url(request),
    }


def _page(request: HttpRequest, settings_form: ReturnSettingsForm, status: int = 200) -> HttpResponse:
    tenant = request.access.tenant
    context = {
        **_table_context(request),
        "settings_form": settings_form,
        "settings": settings_values(return_settings_for(tenant)),
        "recalculation": latest_recalculation(tenant),
        "recalc_confirm": RECALC_CONFIRM,
    }
    return render(request, "returns/settings/disputes.html", context, status=status)


@staff_view(VIEW)
def disputes(request: HttpRequest) -> HttpResponse:
    """GET the page; POST (Admin) updates the Return Settings."""
    tenant = request.access.tenant
    initial = ReturnSettingsForm.initial_from(settings_values(return_settings_for(tenant)))
    if request.method != "POST":
        return _page(request, ReturnSettingsForm(initial=initial))
    request.access.require(MANAGE)
    form = ReturnSettingsForm(request.POST, initial=initial)
    if form.is_valid():
        try:
            return_settings_update(tenant=tenant, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Return settings updated.")
            return redirect(_page_url(request))
    return _page(request, form, status=422)


def _tier_form_response(request: HttpRequest, form: TierForm, tier: Any, status: int = 200) -> HttpResponse:
    base = _page_url(request)
    action = f"{base}/tiers/{tier.public_id}/" if tier else f"{base}/tiers/new"
    context = {"form": form, "tier": tier, "action": action, "base": base}
    if request.htmx:  # the modal; htmx swaps only 2xx answers, so errors come back as 200 too
        return render(request, "returns/tiers/_modal.html", context)
    return render(request, "returns/tiers/tier_page.html", context, status=status)


def _tier_save(request: HttpRequest, tier: Any) -> HttpResponse:
    form = TierForm(request.POST)
    if form.is_valid():
        try:
            if tier is None:
                saved = tiers.tier_create(
                    tenant=request.access.tenant, actor=request.user, data=form.service_data()
                )
                messages.success(request, f"Return tier {saved.name} created.")
            else:
                saved = tiers.tier_update(tier=tier, actor=request.user, data=form.service_data())
                messages.success(request, f"Return tier {saved.name} saved.")
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            return _done(request)
    return _tier_form_response(request, form, tier, status=422)


@staff_view(MANAGE)
def tier_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _tier_save(request, None)
    return _tier_form_response(request, TierForm(initial={"color": "#f59e0b", "icon": "star"}), None)


@staff_view(MANAGE)
def tier_edit(request: HttpRequest, tier_id: str) -> HttpResponse:
    tier = tiers.tier_get(tenant=request.access.tenant, public_id=tier_id)
    if request.method == "POST":
        return _tier_save(request, tier)
    return _tier_form_response(
        request, TierForm(initial=TierForm.initial_from(tiers.tier_values(tier))), tier
    )


def _table(request: HttpRequest) -> HttpResponse:
    if request.htmx:
        return render(request, "returns/tiers/_table.html", _table_context(request))
    return redirect(_page_url(request))


@require_POST
@staff_view(MANAGE)
def tier_order(request: HttpRequest) -> HttpResponse:
    """The new display order from the drag-and-drop script (`order` repeated, top to bottom)."""
    tiers.tiers_reorder(tenant=request.access.tenant, actor=request.user, order=request.POST.getlist("order"))
    return _table(request)


@require_POST
@staff_view(MANAGE)
def tier_move(request: HttpRequest, tier_id: str) -> HttpResponse:
    """Move up / Move down: the keyboard-accessible fallback for dragging."""
    tier = tiers.tier_get(tenant=request.access.tenant, public_id=tier_id)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    tiers.tier_move(tier=tier, actor=request.user, direction=direction)
    return _table(request)


@require_POST
@staff_view(MANAGE)
def tiers_delete(request: HttpRequest) -> HttpResponse:
    ids = request.POST.getlist("ids")
    try:
        count = tiers.tiers_delete(tenant=request.access.tenant, actor=request.user, public_ids=ids)
    except ValidationFailed as exc:
        messages.error(request, exc.fields.get("ids", [exc.message])[0])
    else:
        noun = "tier" if count == 1 else "tiers"
        messages.success(
            request,
            f"Deleted {count} return {noun}. Their customers have no tier until the next recalculation.",
        )
    return _done(request)


def _progress(request: HttpRequest, status: int = 200) -> HttpResponse:
    context = {"recalculation": latest_recalculation(request.access.tenant), "base": _page_url(request)}
    return render(request, "returns/tiers/_progress.html", context, status=status)


@staff_view(VIEW)
def recalculation_progress(request: HttpRequest) -> HttpResponse:
    """The latest run's progress (polled every 2 s by htmx while it is queued or running)."""
    return _progress(request)


@require_POST
@staff_view(MANAGE)
def tier_recalculate(request: HttpRequest) -> HttpResponse:
    """Queue a recalculation of every customer's tier (the job belongs to returns.recalc)."""
    from juiced.returns.recalc import recalculation_request

    try:
        recalculation_request(tenant=request.access.tenant, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Recalculation queued: every customer's tier will be recalculated.")
    if request.htmx:
        return _progress(request)
    return redirect(_page_url(request))


# --- portal ---------------------------------------------------------------------------------------------


@portal_view("returns.view")
def portal_tiers(request: HttpRequest) -> HttpResponse:
    """Every tier in display order with its benefits, and the buyer's own rate and standing."""
    customer = request.portal.customer
    tenant = request.portal.tenant
    found = return_settings_for(tenant)
    standing = CustomerTier.objects.filter(customer=customer).select_related("tier").first()
    ignored = bool(getattr(customer, "return_tiers_disabled", False))
    context = {
        "tiers": list(tiers.tiers_for(tenant=tenant)),
        "tiers_enabled": found.tiers_enabled and not ignored,
        "standing": standing,
        "my_tier": standing.tier if standing and not ignored else None,
        "return_rate": standing.return_rate if standing else None,
        "policy_url": found.policy_url,
    }
    return render(request, "returns/tiers/portal_tiers.html", context)
