"""Webhook pages on three surfaces that share one set of views and templates:

- tenant webhooks: /manage/<tenant>/settings/webhooks/ (Admin: integrations.manage)
- a customer's webhooks, dashboard tab: /manage/<tenant>/customers/<cus>/webhooks/ (customers.edit)
- the buyer's own webhooks: /app/webhooks/ (Customer Admin: webhooks.manage)

Each entry point resolves a `Scope` through the tenancy choke point (@staff_view / @portal_view), so a
webhook of another tenant or customer is a 404; every change goes through a service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError, ValidationFailed
from juiced.customers.selectors import customer_statuses
from juiced.web.access import add_domain_errors, portal_view, staff_view
from juiced.webhooks import payloads, selectors, services
from juiced.webhooks.models import WebhookEndpoint, WebhookEvent

SECRET_SESSION_KEY = "webhook_secret_once"


@dataclass(frozen=True)
class Scope:
    kind: str  # tenant, customer (dashboard tab) or portal
    tenant: Any
    customer: Any | None
    webhooks: QuerySet[WebhookEndpoint]
    base_url: str

    @property
    def for_customer(self) -> bool:
        return self.customer is not None


class WebhookForm(forms.Form):
    name = forms.CharField(label="Name", required=False)
    url = forms.CharField(
        label="URL",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    events = forms.MultipleChoiceField(
        label="Events", required=False, choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    payload_template = forms.CharField(
        label="Payload template (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "mono", "spellcheck": "false"}),
        help_text="Leave empty to send the default payload.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any):
        super().__init__(*args, **kwargs)
        del self.fields["events" if scope.for_customer else "payload_template"]
        if scope.for_customer:
            self.fields["payload_template"].widget.attrs["placeholder"] = payloads.DEFAULT_CUSTOMER_TEMPLATE

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class TestForm(forms.Form):
    """The lead type whose sample lead "Send test" sends: one of the tenant's live lead types."""

    lead_type = forms.ChoiceField(label="Sample lead type", required=False)

    def __init__(self, *args: Any, tenant: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["lead_type"].choices = [
            ("", payloads.GENERIC_SAMPLE_TYPE_NAME),
            *selectors.sample_lead_type_choices(tenant=tenant),
        ]


# --- scopes ----------------------------------------------------------------------------------------------


def _tenant_scope(request: HttpRequest) -> Scope:
    tenant = request.access.tenant
    return Scope(
        kind="tenant",
        tenant=tenant,
        customer=None,
        webhooks=selectors.tenant_webhooks(tenant=tenant),
        base_url=f"/manage/{tenant.slug}/settings/webhooks/",
    )


def _customer_scope(request: HttpRequest, customer_id: str) -> Scope:
    customer = request.access.customer(customer_id, permission="customers.edit")
    return Scope(
        kind="customer",
        tenant=customer.tenant,
        customer=customer,
        webhooks=selectors.customer_webhooks(customer=customer),
        base_url=f"/manage/{customer.tenant.slug}/customers/{customer.public_id}/webhooks/",
    )


def _portal_scope(request: HttpRequest) -> Scope:
    customer = request.portal.customer
    return Scope(
        kind="portal",
        tenant=customer.tenant,
        customer=customer,
        webhooks=selectors.customer_webhooks(customer=customer),
        base_url="/app/webhooks/",
    )


# --- shared views ----------------------------------------------------------------------------------------


def _context(request: HttpRequest, scope: Scope, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"scope": scope, "customer": scope.customer, "tab": "webhooks"}
    if scope.kind == "customer":
        context |= {"access": request.access, "statuses": customer_statuses(scope.customer)}
    if scope.for_customer:
        sample = payloads.sample_context(customer=scope.customer, currency=scope.tenant.currency)
        context["variables"] = sorted(payloads.variable_paths(sample))
        context["default_template"] = payloads.DEFAULT_CUSTOMER_TEMPLATE
    return context | extra


def _list(request: HttpRequest, scope: Scope) -> HttpResponse:
    form = WebhookForm(request.POST or None, scope=scope, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhook_create(
                tenant=scope.tenant, customer=scope.customer, actor=request.user, data=form.service_data()
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            request.session[SECRET_SESSION_KEY] = {"webhook": endpoint.public_id, "secret": secret}
            messages.success(request, f"Webhook {endpoint.name} added.")
            return redirect(scope.base_url + endpoint.public_id + "/")
    context = _context(
        request,
        scope,
        webhooks=list(scope.webhooks),
        form=form,
        allow_private=selectors.allow_private_addresses(tenant_id=scope.tenant.pk),
    )
    return render(request, "juiced/webhooks/list.html", context, status=422 if form.errors else 200)


def _detail(request: HttpRequest, scope: Scope, webhook_id: str) -> HttpResponse:
    endpoint = selectors.webhook_get(webhooks=scope.webhooks, public_id=webhook_id)
    initial = {f: getattr(endpoint, f) for f in services.ENDPOINT_FIELDS}
    form = WebhookForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(endpoint=endpoint, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Webhook saved.")
            return redirect(scope.base_url + endpoint.public_id + "/")
    shown = request.session.pop(SECRET_SESSION_KEY, None)
    secret = shown["secret"] if shown and shown.get("webhook") == endpoint.public_id else None
    context = _context(
        request,
        scope,
        endpoint=endpoint,
        form=form,
        test_form=TestForm(tenant=scope.tenant),
        secret=secret,
        deliveries=selectors.webhook_deliveries(endpoint=endpoint),
    )
    return render(request, "juiced/webhooks/detail.html", context, status=422 if form.errors else 200)


def _action(request: HttpRequest, scope: Scope, webhook_id: str, action: str) -> HttpResponse:
    endpoint = selectors.webhook_get(webhooks=scope.webhooks, public_id=webhook_id)
    here = scope.base_url + endpoint.public_id + "/"
    try:
        if action == "delete":
            services.webhook_delete(endpoint=endpoint, actor=request.user)
            messages.success(request, f"Webhook {endpoint.name} deleted.")
            return redirect(scope.base_url)
        if action == "rotate":
            secret = services.webhook_secret_rotate(endpoint=endpoint, actor=request.user)
            request.session[SECRET_SESSION_KEY] = {"webhook": endpoint.public_id, "secret": secret}
            messages.success(request, "New signing secret created; the old one no longer works.")
        elif action == "test":
            # The service checks the id against the tenant's lead types (another tenant's is refused).
            lead_type = request.POST.get("lead_type") or None
            services.webhook_test_send(endpoint=endpoint, lead_type=lead_type)
            messages.success(request, "Test queued: it appears under Deliveries in a moment.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(here)


def _resend(request: HttpRequest, scope: Scope, webhook_id: str, delivery_id: str) -> HttpResponse:
    endpoint = selectors.webhook_get(webhooks=scope.webhooks, public_id=webhook_id)
    delivery = selectors.delivery_get(endpoint=endpoint, public_id=delivery_id)
    services.webhook_delivery_resend(delivery=delivery, actor=request.user)
    messages.success(request, "Delivery queued again.")
    return redirect(scope.base_url + endpoint.public_id + "/#deliveries")


@require_POST
def _settings(request: HttpRequest, scope: Scope) -> HttpResponse:
    allow = request.POST.get("allow_private_addresses") == "on"
    services.webhook_settings_update(tenant=scope.tenant, actor=request.user, allow_private_addresses=allow)
    messages.success(request, "Webhook settings saved.")
    return redirect(scope.base_url)


# --- entry points ----------------------------------------------------------------------------------------


@staff_view("integrations.manage")
def tenant_webhooks(request: HttpRequest) -> HttpResponse:
    return _list(request, _tenant_scope(request))


@staff_view("integrations.manage")
def tenant_webhook(request: HttpRequest, webhook_id: str) -> HttpResponse:
    return _detail(request, _tenant_scope(request), webhook_id)


@require_POST
@staff_view("integrations.manage")
def tenant_webhook_action(request: HttpRequest, webhook_id: str, action: str) -> HttpResponse:
    return _action(request, _tenant_scope(request), webhook_id, action)


@require_POST
@staff_view("integrations.manage")
def tenant_webhook_resend(request: HttpRequest, webhook_id: str, delivery_id: str) -> HttpResponse:
    return _resend(request, _tenant_scope(request), webhook_id, delivery_id)


@staff_view("integrations.manage")
def tenant_webhook_settings(request: HttpRequest) -> HttpResponse:
    return _settings(request, _tenant_scope(request))


@staff_view("customers.edit")
def customer_webhooks(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _list(request, _customer_scope(request, customer_id))


@staff_view("customers.edit")
def customer_webhook(request: HttpRequest, customer_id: str, webhook_id: str) -> HttpResponse:
    return _detail(request, _customer_scope(request, customer_id), webhook_id)


@require_POST
@staff_view("customers.edit")
def customer_webhook_action(
    request: HttpRequest, customer_id: str, webhook_id: str, action: str
) -> HttpResponse:
    return _action(request, _customer_scope(request, customer_id), webhook_id, action)


@require_POST
@staff_view("customers.edit")
def customer_webhook_resend(request: HttpRequest, customer_id: str, webhook_id: str, delivery_id: str):
    return _resend(request, _customer_scope(request, customer_id), webhook_id, delivery_id)


@portal_view("webhooks.manage")
def portal_webhooks(request: HttpRequest) -> HttpResponse:
    return _list(request, _portal_scope(request))


@portal_view("webhooks.manage")
def portal_webhook(request: HttpRequest, webhook_id: str) -> HttpResponse:
    return _detail(request, _portal_scope(request), webhook_id)


@require_POST
@portal_view("webhooks.manage")
def portal_webhook_action(request: HttpRequest, webhook_id: str, action: str) -> HttpResponse:
    return _action(request, _portal_scope(request), webhook_id, action)


@require_POST
@portal_view("webhooks.manage")
def portal_webhook_resend(request: HttpRequest, webhook_id: str, delivery_id: str) -> HttpResponse:
    return _resend(request, _portal_scope(request), webhook_id, delivery_id)


ACTIONS = ("delete", "rotate", "test")
