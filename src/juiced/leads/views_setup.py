"""Lead setup pages in the dashboard (/manage/<tenant>/setup/… and /manage/<tenant>/settings/leads/).

Function views resolve the tenant through @staff_view (another tenant's id is a 404, a role without the
permission gets 403), load records with setup_selectors and change them only through setup.py services.
The conditions builder, the field flag switches and the "test this lead type" box answer htmx requests
with just their partial; without JavaScript the same buttons post the whole form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError, ValidationFailed
from juiced.leads import matching, setup, setup_selectors
from juiced.leads.forms_setup import (
    CategoryForm,
    DuplicateRuleForm,
    FieldForm,
    LeadSettingsForm,
    LeadTypeCreateForm,
    LeadTypeForm,
    PricingForm,
    SourceForm,
    SourcePricingForm,
    add_service_errors,
    condition_rows,
    conditions_edit,
    conditions_from_post,
)
from juiced.leads.models import FieldType, LeadType
from juiced.leads.tenant_settings import lead_settings_for
from juiced.web.access import staff_view

TYPES = "lead_types.manage"
SOURCES = "sources.manage"
SECRET_SESSION_KEY = "source_credential_once"


def _base(request: HttpRequest) -> str:
    return f"/manage/{request.access.tenant.slug}/setup/"


def _status(form: Any) -> int:
    return 422 if form.errors else 200


# --- lead categories ------------------------------------------------------------------------------------


@staff_view(TYPES)
def categories(request: HttpRequest) -> HttpResponse:
    tenant = request.access.tenant
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category = setup.category_create(tenant=tenant, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Lead category {category.name} created with the base fields.")
            return redirect(f"{_base(request)}categories/{category.public_id}/")
    found = setup_selectors.categories(tenant=tenant, include_archived=True)
    context = {"categories": found, "form": form, "section": "categories"}
    return render(request, "leads/setup/categories.html", context, status=_status(form))


def _field_rows(category: Any) -> list[Any]:
    return list(setup_selectors.category_fields(category=category))


@staff_view(TYPES)
def category(request: HttpRequest, category_id: str) -> HttpResponse:
    tenant = request.access.tenant
    found = setup_selectors.category_get(tenant=tenant, public_id=category_id)
    here = f"{_base(request)}categories/{found.public_id}/"
    form = CategoryForm(
        request.POST or None,
        initial={"name": found.name, "description": found.description},
        prefix="category",
    )
    field_form = FieldForm(None, initial={"deliverable": True, "field_type": FieldType.TEXT}, prefix="field")
    if request.method == "POST" and form.is_valid():
        try:
            setup.category_update(category=found, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Lead category saved.")
            return redirect(here)
    return _category_page(request, found, form=form, field_form=field_form)


def _category_page(request: HttpRequest, found: Any, *, form: Any, field_form: Any) -> HttpResponse:
    tenant = request.access.tenant
    context = {
        "category": found,
        "form": form,
        "field_form": field_form,
        "fields": _field_rows(found),
        "lead_types": setup_selectors.lead_types(tenant=tenant, category=found, include_archived=True),
        "rules": setup_selectors.duplicate_rules(tenant=tenant, category=found),
        "section": "categories",
    }
    status = 422 if form.errors or field_form.errors else 200
    return render(request, "leads/setup/category.html", context, status=status)


@require_POST
@staff_view(TYPES)
def category_action(request: HttpRequest, category_id: str, action: str) -> HttpResponse:
    found = setup_selectors.category_get(tenant=request.access.tenant, public_id=category_id)
    if action == "archive":
        setup.category_archive(category=found, actor=request.user)
        messages.success(request, f"Lead category {found.name} archived.")
    else:
        setup.category_restore(category=found, actor=request.user)
        messages.success(request, f"Lead category {found.name} restored.")
    return redirect(f"{_base(request)}categories/{found.public_id}/")


@require_POST
@staff_view(TYPES)
def field_create(request: HttpRequest, category_id: str) -> HttpResponse:
    found = setup_selectors.category_get(tenant=request.access.tenant, public_id=category_id)
    field_form = FieldForm(request.POST, prefix="field")
    if field_form.is_valid():
        try:
            field = setup.category_field_create(
                category=found, actor=request.user, data=field_form.service_data()
            )
        except ValidationFailed as exc:
            add_service_errors(field_form, exc)
        else:
            messages.success(request, f"Field {field.key} added.")
            return redirect(f"{_base(request)}categories/{found.public_id}/#fields")
    form = CategoryForm(initial={"name": found.name, "description": found.description}, prefix="category")
    return _category_page(request, found, form=form, field_form=field_form)


@staff_view(TYPES)
def field_edit(request: HttpRequest, category_id: str, field_id: str) -> HttpResponse:
    found = setup_selectors.category_get(tenant=request.access.tenant, public_id=category_id)
    field = setup_selectors.category_field_get(category=found, public_id=field_id)
    form = FieldForm(request.POST or None, initial=FieldForm.initial_for(field), base=field.is_base)
    if request.method == "POST" and form.is_valid():
        try:
            setup.category_field_update(field=field, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Field {field.key} saved.")
            return redirect(f"{_base(request)}categories/{found.public_id}/#fields")
    context = {"category": found, "field": field, "form": form, "section": "categories"}
    return render(request, "leads/setup/field.html", context, status=_status(form))


@require_POST
@staff_view(TYPES)
def field_action(request: HttpRequest, category_id: str, field_id: str, action: str) -> HttpResponse:
    found = setup_selectors.category_get(tenant=request.access.tenant, public_id=category_id)
    field = setup_selectors.category_field_get(category=found, public_id=field_id)
    try:
        if action == "delete":
            setup.category_field_delete(field=field, actor=request.user)
            messages.success(request, f"Field {field.key} removed; leads already saved keep its values.")
        elif action in ("move-up", "move-down"):
            setup.category_field_move(field=field, actor=request.user, direction=action.removeprefix("move-"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{_base(request)}categories/{found.public_id}/#fields")


@require_POST
@staff_view(TYPES)
def field_toggle(request: HttpRequest, category_id: str, field_id: str, flag: str) -> HttpResponse:
    """Flip one flag of a field; htmx gets the row back, others the page."""
    found = setup_selectors.category_get(tenant=request.access.tenant, public_id=category_id)
    field = setup_selectors.category_field_get(category=found, public_id=field_id)
    if flag not in setup.FLAGS:
        raise Http404("No such flag.")
    error = ""
    try:
        field = setup.category_field_update(
            field=field, actor=request.user, data={flag: not getattr(field, flag)}
        )
    except ValidationFailed as exc:
        error = next(iter(exc.fields.values()))[0] if exc.fields else exc.message
    if request.htmx:
        context = {"category": found, "field": field, "row_error": error}
        return render(request, "leads/setup/_field_row.html", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    return redirect(f"{_base(request)}categories/{found.public_id}/#fields")


# --- lead types -----------------------------------------------------------------------------------------


@staff_view(TYPES)
def lead_types(request: HttpRequest) -> HttpResponse:
    tenant = request.access.tenant
    live = list(setup_selectors.categories(tenant=tenant))
    form = LeadTypeCreateForm(request.POST or None, categories=live)
    if request.method == "POST" and form.is_valid():
        chosen = next(c for c in live if c.public_id == form.cleaned_data["category"])
        try:
            created = setup.lead_type_create(category=chosen, actor=request.user, data=form.service_data())
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Lead type {created.name} created: add its conditions and bidding scopes."
            )
            return redirect(f"{_base(request)}lead-types/{created.public_id}/")
    context = {
        "lead_types": setup_selectors.lead_types(tenant=tenant, include_archived=True).order_by(
            "category__name", "archived_at", "position", "id"
        ),
        "form": form,
        "section": "lead-types",
    }
    return render(request, "leads/setup/lead_types.html", context, status=_status(form))


def _builder_context(category: Any, groups: list[list[dict[str, Any]]]) -> dict[str, Any]:
    fields = list(setup_selectors.category_fields(category=category))
    return {
        "groups": condition_rows(groups),
        "field_choices": [(f.key, f.label) for f in fields],
        "operators": list(matching.OPS.items()),
        "builder_url": f"/manage/{category.tenant.slug}/setup/categories/{category.public_id}/conditions/",
    }


@staff_view(TYPES)
def lead_type(request: HttpRequest, lead_type_id: str) -> HttpResponse:
    found = setup_selectors.lead_type_get(tenant=request.access.tenant, public_id=lead_type_id)
    here = f"{_base(request)}lead-types/{found.public_id}/"
    initial = {"name": found.name, "description": found.description, "is_fallback": found.is_fallback}
    form = LeadTypeForm(request.POST or None, initial=initial)
    groups = found.conditions or []
    if request.method == "POST":
        groups = conditions_from_post(request.POST)
        if request.POST.get("builder"):  # a builder button without JavaScript: redraw, save nothing
            groups = conditions_edit(groups, request.POST["builder"])
        elif form.is_valid():
            data = form.service_data() | {"conditions": groups}
            try:
                setup.lead_type_update(lead_type=found, actor=request.user, data=data)
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Lead type saved.")
                return redirect(here)
    return _lead_type_page(request, found, form=form, groups=groups)


def _lead_type_page(
    request: HttpRequest, found: LeadType, *, form: Any, groups: Any, pricing_form: Any = None
) -> HttpResponse:
    pricing = setup_selectors.lead_type_pricing(lead_type=found)
    pricing_form = pricing_form or PricingForm(pricing=pricing)
    context = {
        "lead_type": found,
        "category": found.category,
        "form": form,
        "pricing_form": pricing_form,
        "sample_fields": list(setup_selectors.category_fields(category=found.category)),
        "section": "lead-types",
        **_builder_context(found.category, groups),
    }
    status = 422 if form.errors or pricing_form.errors else 200
    return render(request, "leads/setup/lead_type.html", context, status=status)


@require_POST
@staff_view(TYPES)
def conditions_builder(request: HttpRequest, category_id: str) -> HttpResponse:
    """The htmx partial of the builder after an add/remove button (nothing is saved)."""
    found = setup_selectors.category_get(tenant=request.access.tenant, public_id=category_id)
    groups = conditions_edit(conditions_from_post(request.POST), request.POST.get("builder", ""))
    return render(request, "leads/setup/_conditions.html", _builder_context(found, groups))


@require_POST
@staff_view(TYPES)
def lead_type_pricing(request: HttpRequest, lead_type_id: str) -> HttpResponse:
    found = setup_selectors.lead_type_get(tenant=request.access.tenant, public_id=lead_type_id)
    pricing_form = PricingForm(request.POST, pricing=setup_selectors.lead_type_pricing(lead_type=found))
    if pricing_form.is_valid() and (data := pricing_form.service_data()) is not None:
        try:
            setup.lead_type_pricing_update(lead_type=found, actor=request.user, data=data)
        except ValidationFailed as exc:
            add_service_errors(pricing_form, exc)
        else:
            messages.success(request, "Bidding settings saved.")
            return redirect(f"{_base(request)}lead-types/{found.public_id}/#bidding")
    initial = {"name": found.name, "description": found.description, "is_fallback": found.is_fallback}
    return _lead_type_page(
        request,
        found,
        form=LeadTypeForm(initial=initial),
        groups=found.conditions or [],
        pricing_form=pricing_form,
    )


@require_POST
@staff_view(TYPES)
def lead_type_test(request: HttpRequest, lead_type_id: str) -> HttpResponse:
    """Which type of the category the sample values would get (the htmx partial)."""
    found = setup_selectors.lead_type_get(tenant=request.access.tenant, public_id=lead_type_id)
    values = {
        key.removeprefix("sample-"): value
        for key, value in request.POST.items()
        if key.startswith("sample-") and value.strip()
    }
    matched_pk = matching.match_lead_type(setup_selectors.category_type_rules(found.category), values)
    matched = LeadType.objects.filter(pk=matched_pk).first() if matched_pk else None
    return render(request, "leads/setup/_match.html", {"matched": matched, "tested": found})


@require_POST
@staff_view(TYPES)
def lead_type_action(request: HttpRequest, lead_type_id: str, action: str) -> HttpResponse:
    found = setup_selectors.lead_type_get(tenant=request.access.tenant, public_id=lead_type_id)
    try:
        if action == "archive":
            setup.lead_type_archive(lead_type=found, actor=request.user)
            messages.success(request, f"Lead type {found.name} archived with its bids.")
        elif action == "restore":
            setup.lead_type_restore(lead_type=found, actor=request.user)
            messages.success(request, f"Lead type {found.name} restored.")
        elif action in ("move-up", "move-down"):
            setup.lead_type_move(lead_type=found, actor=request.user, direction=action.removeprefix("move-"))
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.POST.get("next") == "list":
        return redirect(f"{_base(request)}lead-types/")
    return redirect(f"{_base(request)}lead-types/{found.public_id}/")


# --- sources --------------------------------------------------------------------------------------------


@staff_view(SOURCES)
def sources(request: HttpRequest) -> HttpResponse:
    tenant = request.access.tenant
    form = SourceForm(request.POST or None, categories=list(setup_selectors.categories(tenant=tenant)))
    if request.method == "POST" and form.is_valid():
        try:
            source, secret = setup.source_create(tenant=tenant, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            request.session[SECRET_SESSION_KEY] = {"source": source.public_id, "secret": secret}
            messages.success(request, f"Source {source.name} created.")
            return redirect(f"{_base(request)}sources/{source.public_id}/")
    show_deleted = request.GET.get("deleted") == "1"
    context = {
        "sources": setup_selectors.sources(tenant=tenant, include_deleted=show_deleted),
        "show_deleted": show_deleted,
        "form": form,
        "section": "sources",
    }
    return render(request, "leads/setup/sources.html", context, status=_status(form))


@staff_view(SOURCES)
def source(request: HttpRequest, source_id: str) -> HttpResponse:
    tenant = request.access.tenant
    found = setup_selectors.source_get(tenant=tenant, public_id=source_id)
    live_categories = list(setup_selectors.categories(tenant=tenant))
    form = SourceForm(request.POST or None, initial=SourceForm.initial_for(found), categories=live_categories)
    if request.method == "POST" and form.is_valid():
        try:
            setup.source_update(source=found, actor=request.user, data=form.service_data())
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Source saved.")
            return redirect(f"{_base(request)}sources/{found.public_id}/")
    shown = request.session.pop(SECRET_SESSION_KEY, None)
    once = shown if shown and shown.get("source") == found.public_id else {}
    fields = (
        list(setup_selectors.category_fields(category=found.default_category))
        if found.default_category
        else []
    )
    context = {
        "source": found,
        "form": form,
        "secret": once.get("secret"),
        "new_token": once.get("token"),
        "tokens": [
            (token, setup_selectors.token_is_live(token))
            for token in setup_selectors.source_tokens(source=found)
        ],
        "ping_url": request.build_absolute_uri("/api/ping"),
        "leads_url": request.build_absolute_uri("/api/leads"),
        "spec_fields": fields,
        "sample_body": _sample_body(fields),
        "section": "sources",
    }
    return render(request, "leads/setup/source.html", context, status=_status(form))


def _sample_body(fields: list[Any]) -> str:
    """A small JSON body for the curl examples: the required-for-post fields with example values."""
    examples = {
        "email": "jane@example.com",
        "phone": "5555550123",
        "zip": "90210",
        "state": "CA",
        "first_name": "Jane",
        "last_name": "Doe",
    }
    chosen = [f for f in fields if f.required_for_post or f.key == "zip"] or fields[:1]
    pairs = ", ".join(f'"{f.key}": "{examples.get(f.key, "…")}"' for f in chosen)
    return "{" + pairs + "}"


SOURCE_ACTIONS = ("rotate-secret", "token-create", "token-rotate", "pause", "resume", "delete")


@require_POST
@staff_view(SOURCES)
def source_action(request: HttpRequest, source_id: str, action: str) -> HttpResponse:
    found = setup_selectors.source_get(tenant=request.access.tenant, public_id=source_id)
    here = f"{_base(request)}sources/{found.public_id}/"
    try:
        if action == "rotate-secret":
            secret = setup.source_secret_rotate(source=found, actor=request.user)
            request.session[SECRET_SESSION_KEY] = {"source": found.public_id, "secret": secret}
            messages.success(request, "New API secret created; the old one no longer works.")
        elif action in ("token-create", "token-rotate"):
            service = setup.source_token_create if action == "token-create" else setup.source_token_rotate
            _token, raw = service(source=found, actor=request.user)
            request.session[SECRET_SESSION_KEY] = {"source": found.public_id, "token": raw}
            rotated = " Older tokens keep working for 24 hours." if action == "token-rotate" else ""
            messages.success(request, "New bearer token created." + rotated)
        elif action in ("pause", "resume"):
            setup.source_update(source=found, actor=request.user, data={"is_active": action == "resume"})
            messages.success(request, f"Source {'resumed' if action == 'resume' else 'paused'}.")
        elif action == "delete":
            setup.source_delete(source=found, actor=request.user)
            messages.success(request, f"Source {found.name} deleted; its credentials no longer work.")
            return redirect(f"{_base(request)}sources/")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(here)


@require_POST
@staff_view(SOURCES)
def source_token_revoke(request: HttpRequest, source_id: str, token_id: str) -> HttpResponse:
    found = setup_selectors.source_get(tenant=request.access.tenant, public_id=source_id)
    token = setup_selectors.source_token_get(source=found, public_id=token_id)
    token.source = found
    setup.source_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect(f"{_base(request)}sources/{found.public_id}/#tokens")


@staff_view(SOURCES)
def source_pricing(request: HttpRequest, source_id: str) -> HttpResponse:
    tenant = request.access.tenant
    found = setup_selectors.source_get(tenant=tenant, public_id=source_id)
    here = f"{_base(request)}sources/{found.public_id}/pricing/"
    form = SourcePricingForm(request.POST or None, rows=setup_selectors.source_pricing_rows(source=found))
    if request.method == "POST" and form.is_valid() and (data := form.service_data()) is not None:
        try:
            setup.source_pricing_update(source=found, actor=request.user, data=data)
        except DomainError as exc:
            add_service_errors(form, exc, rename=form.rename())
        else:
            messages.success(request, "Pricing saved.")
            return redirect(here)
    others = setup_selectors.sources(tenant=tenant).exclude(pk=found.pk)
    context = {"source": found, "form": form, "others": others, "section": "sources"}
    return render(request, "leads/setup/source_pricing.html", context, status=_status(form))


@require_POST
@staff_view(SOURCES)
def source_pricing_copy(request: HttpRequest, source_id: str) -> HttpResponse:
    found = setup_selectors.source_get(tenant=request.access.tenant, public_id=source_id)
    try:
        copied = setup.source_pricing_copy(
            source=found, actor=request.user, from_source_id=request.POST.get("from_source", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Copied {copied} price(s); lead types that already had a price kept it.")
    return redirect(f"{_base(request)}sources/{found.public_id}/pricing/")


# --- duplicate rules ------------------------------------------------------------------------------------


def _rule_form(request: HttpRequest, data: Any, **kwargs: Any) -> DuplicateRuleForm:
    tenant = request.access.tenant
    categories_found = list(setup_selectors.categories(tenant=tenant, include_archived=True))
    keys = sorted(
        {f.key for c in categories_found for f in setup_selectors.category_fields(category=c)},
    )
    return DuplicateRuleForm(
        data,
        categories=categories_found,
        sources=list(setup_selectors.sources(tenant=tenant)),
        field_keys=keys,
        **kwargs,
    )


@staff_view(TYPES)
def duplicate_rules(request: HttpRequest) -> HttpResponse:
    tenant = request.access.tenant
    form = _rule_form(request, request.POST or None, initial={"lookback_days": 30, "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            setup.duplicate_rule_create(tenant=tenant, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Duplicate rule added.")
            return redirect(f"{_base(request)}duplicate-rules/")
    context = {"rules": setup_selectors.duplicate_rules(tenant=tenant), "form": form, "section": "duplicates"}
    return render(request, "leads/setup/duplicate_rules.html", context, status=_status(form))


@staff_view(TYPES)
def duplicate_rule(request: HttpRequest, rule_id: str) -> HttpResponse:
    found = setup_selectors.duplicate_rule_get(tenant=request.access.tenant, public_id=rule_id)
    form = _rule_form(request, request.POST or None, initial=DuplicateRuleForm.initial_for(found))
    if request.method == "POST" and form.is_valid():
        try:
            setup.duplicate_rule_update(rule=found, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Duplicate rule saved.")
            return redirect(f"{_base(request)}duplicate-rules/")
    context = {"rule": found, "form": form, "section": "duplicates"}
    return render(request, "leads/setup/duplicate_rule.html", context, status=_status(form))


@require_POST
@staff_view(TYPES)
def duplicate_rule_delete(request: HttpRequest, rule_id: str) -> HttpResponse:
    found = setup_selectors.duplicate_rule_get(tenant=request.access.tenant, public_id=rule_id)
    setup.duplicate_rule_delete(rule=found, actor=request.user)
    messages.success(request, "Duplicate rule deleted.")
    return redirect(f"{_base(request)}duplicate-rules/")


# --- settings → Leads & bidding -------------------------------------------------------------------------


@staff_view("settings.manage")
def lead_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.access.tenant
    current = lead_settings_for(tenant)
    form = LeadSettingsForm(request.POST or None, initial=LeadSettingsForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        try:
            setup.lead_settings_update(tenant=tenant, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Leads & bidding settings saved.")
            return redirect(f"/manage/{tenant.slug}/settings/leads/")
    return render(request, "leads/settings/leads.html", {"form": form}, status=_status(form))
