"""Pages: contacts (dashboard customer tab and portal), send history, templates and channels, in-app inbox.

Staff pages go through `@staff_view` (customers.view to see, customers.edit to change contacts,
notifications.manage for templates and channels); portal pages through `@portal_view` and only ever see
the customer chosen in the session. A contact id from another customer is a 404 either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError
from juiced.notifications import services
from juiced.notifications.catalog import CATEGORIES, TYPE_CATEGORY
from juiced.notifications.forms import ChannelSettingsForm, ContactForm, TemplateForm
from juiced.notifications.models import Channel, Contact, Notification, NotificationCategory
from juiced.notifications.models import NotificationType as T
from juiced.web.access import add_domain_errors, portal_view, staff_view
from juiced.web.views.customers import _customer_page_context

HISTORY_PAGE_SIZE = 50


@dataclass
class Scope:
    """Who is looking at which customer's contacts, and where their pages live."""

    customer: Any
    can_manage: bool
    portal: bool
    url: Callable[..., str]
    context: dict[str, Any]


def _staff_scope(request: HttpRequest, customer_id: str, *, manage: bool = False) -> Scope:
    customer = request.access.customer(
        customer_id, permission="customers.edit" if manage else "customers.view"
    )
    slug = request.access.tenant.slug

    def url(name: str, *args: Any) -> str:
        return reverse(f"notif_manage_{name}", args=[slug, customer.public_id, *args])

    context = _customer_page_context(request, customer, "contacts")
    return Scope(customer, request.access.can("customers.edit"), False, url, context)


def _portal_scope(request: HttpRequest) -> Scope:
    customer = request.portal.customer

    def url(name: str, *args: Any) -> str:
        return reverse(f"notif_portal_{name}", args=list(args))

    context = {"customer": customer}
    return Scope(customer, request.portal.can("contacts.manage"), True, url, context)


def _contact(scope: Scope, contact_id: str) -> Contact:
    contact = (
        Contact.objects.filter(customer=scope.customer, public_id=contact_id).select_related("tenant").first()
    )
    if contact is None:
        raise Http404("No such contact.")
    return contact


def _toggle_groups(contact: Contact | None, templates: dict[str, Any]) -> list[dict[str, Any]]:
    """Visible types in the catalog's groups and order, each with whether `contact` receives it."""
    groups = []
    for category, types in CATEGORIES.items():
        items = [
            {
                "type": value,
                "label": T(value).label,
                "on": services.contact_wants(contact, templates[value])
                if contact
                else templates[value].default_on,
            }
            for value in types
            if templates[value].visible
        ]
        if items:
            groups.append({"key": category, "label": NotificationCategory(category).label, "items": items})
    return groups


def _contacts_page(request: HttpRequest, scope: Scope, *, form: ContactForm | None = None, status: int = 200):
    tenant = scope.customer.tenant
    templates = services.templates_for(tenant)
    kinds = services.contact_kinds_available(tenant)
    contacts = list(Contact.objects.filter(customer=scope.customer))
    rows = []
    for contact in contacts:
        on = [T(v).label for v, t in templates.items() if services.contact_wants(contact, t)]
        rows.append({"contact": contact, "on": on})
    context = scope.context | {
        "scope": scope,
        "rows": rows,
        "form": form or ContactForm(kinds=kinds),
        "kinds": kinds,
        "sms_available": Contact.Kind.PHONE in kinds,
        "email_available": Contact.Kind.EMAIL in kinds,
        "add_url": scope.url("contacts"),
    }
    return render(request, "juiced/notifications/contacts.html", context, status=status)


def _contacts(request: HttpRequest, scope: Scope) -> HttpResponse:
    if request.method != "POST":
        return _contacts_page(request, scope)
    kinds = services.contact_kinds_available(scope.customer.tenant)
    form = ContactForm(request.POST, kinds=kinds)
    form.is_valid()
    data = {
        "kind": request.POST.get("kind", ""),
        "value": form.cleaned_data.get("value", ""),
        "name": form.cleaned_data.get("name", ""),
    }
    try:
        contact = services.contact_create(customer=scope.customer, actor=request.user, data=data)
    except DomainError as exc:
        form.errors.clear()
        add_domain_errors(form, exc)
        return _contacts_page(request, scope, form=form, status=422)
    messages.success(request, f"Added {contact.value}. Choose its notifications below.")
    return redirect(scope.url("contact_edit", contact.public_id))


def _contact_edit(request: HttpRequest, scope: Scope, contact_id: str) -> HttpResponse:
    contact = _contact(scope, contact_id)
    templates = services.templates_for(contact.tenant)
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST, with_kind=False)
        form.is_valid()
        offered = [v for v, t in templates.items() if t.visible]
        data = {
            "value": form.cleaned_data.get("value", ""),
            "name": form.cleaned_data.get("name", ""),
            "preferences": {v: f"pref_{v}" in request.POST for v in offered},
        }
        try:
            services.contact_update(contact=contact, actor=request.user, data=data)
        except DomainError as exc:
            form.errors.clear()
            add_domain_errors(form, exc)
            status = 422
        else:
            messages.success(request, f"Saved {data['value'] or contact.value}.")
            return redirect(scope.url("contacts"))
    else:
        form = ContactForm(initial={"value": contact.value, "name": contact.name}, with_kind=False)
    context = scope.context | {
        "scope": scope,
        "contact": contact,
        "form": form,
        "groups": _toggle_groups(contact, templates),
    }
    return render(request, "juiced/notifications/contact_edit.html", context, status=status)


def _contact_delete(request: HttpRequest, scope: Scope, contact_id: str) -> HttpResponse:
    contact = _contact(scope, contact_id)
    services.contact_delete(contact=contact, actor=request.user)
    messages.success(request, f"Removed {contact.value}.")
    return redirect(scope.url("contacts"))


def _contact_test(request: HttpRequest, scope: Scope, contact_id: str) -> HttpResponse:
    contact = _contact(scope, contact_id)
    try:
        services.contact_test_send(contact=contact, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"A test message to {contact.value} is on its way.")
    return redirect(scope.url("contacts"))


# ---------------------------------------------------------------- dashboard: contacts


def _staff_contacts_guard(request: HttpRequest, customer_id: str) -> Scope:
    return _staff_scope(request, customer_id, manage=request.method == "POST")


@staff_view("customers.view")
def manage_contacts(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _contacts(request, _staff_contacts_guard(request, customer_id))


@staff_view("customers.view")
def manage_contact_edit(request: HttpRequest, customer_id: str, contact_id: str) -> HttpResponse:
    return _contact_edit(request, _staff_scope(request, customer_id, manage=True), contact_id)


@require_POST
@staff_view("customers.edit")
def manage_contact_delete(request: HttpRequest, customer_id: str, contact_id: str) -> HttpResponse:
    return _contact_delete(request, _staff_scope(request, customer_id, manage=True), contact_id)


@require_POST
@staff_view("customers.edit")
def manage_contact_test(request: HttpRequest, customer_id: str, contact_id: str) -> HttpResponse:
    return _contact_test(request, _staff_scope(request, customer_id, manage=True), contact_id)


@staff_view("customers.view")
def manage_history(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = request.access.customer(customer_id)
    rows = Notification.objects.filter(customer=customer).exclude(channel=Channel.IN_APP)
    channel = request.GET.get("channel", "")
    if channel in Channel.values:
        rows = Notification.objects.filter(customer=customer, channel=channel)
    page = Paginator(rows.select_related("contact"), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = _customer_page_context(request, customer, "notifications") | {
        "page": page,
        "channel": channel,
        "channels": Channel.choices,
    }
    return render(request, "juiced/notifications/history.html", context)


# ---------------------------------------------------------------- dashboard: templates and channels


def _settings_page(request: HttpRequest, *, form: ChannelSettingsForm | None = None, status: int = 200):
    tenant = request.access.tenant
    current = services.channel_settings_for(tenant)
    if form is None:
        form = ChannelSettingsForm(
            initial={
                "email_from": current.email_from,
                "twilio_account_sid": current.twilio_account_sid,
                "twilio_from_number": current.twilio_from_number,
                "twilio_base_url": current.twilio_base_url,
            }
        )
    templates = services.templates_for(tenant)
    rows = [
        {
            "type": value,
            "label": T(value).label,
            "category": NotificationCategory(TYPE_CATEGORY[value]).label,
            "template": template,
            "customized": template.pk is not None,
        }
        for value, template in templates.items()
    ]
    context = {
        "access": request.access,
        "form": form,
        "current": current,
        "token_stored": bool(current.twilio_auth_token_encrypted),
        "email_configured": services.email_configured(),
        "rows": rows,
    }
    return render(request, "juiced/notifications/settings.html", context, status=status)


@staff_view("notifications.manage")
def manage_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = ChannelSettingsForm(request.POST)
    form.is_valid()
    try:
        services.channel_settings_save(
            tenant=request.access.tenant, actor=request.user, data=form.cleaned_data
        )
    except DomainError as exc:
        add_domain_errors(form, exc)
        return _settings_page(request, form=form, status=422)
    messages.success(request, "Saved the notification channels.")
    return redirect(reverse("notif_manage_settings", args=[request.access.tenant.slug]))


def _template_type(value: str) -> str:
    if value not in T.values:
        raise Http404("No such notification type.")
    return value


def _template_data(form: TemplateForm) -> dict[str, Any]:
    form.is_valid()
    data = dict(form.cleaned_data)
    data["visible"] = bool(data.get("visible"))
    data["default_on"] = bool(data.get("default_on"))
    return data


@staff_view("notifications.manage")
def manage_template(request: HttpRequest, notification_type: str) -> HttpResponse:
    tenant = request.access.tenant
    notification_type = _template_type(notification_type)
    template = services.template_for(tenant, notification_type)
    status = 200
    if request.method == "POST":
        form = TemplateForm(request.POST)
        data = _template_data(form)
        try:
            services.template_save(
                tenant=tenant, actor=request.user, notification_type=notification_type, data=data
            )
        except DomainError as exc:
            form.errors.clear()
            add_domain_errors(form, exc)
            status = 422
        else:
            messages.success(request, f"Saved the {T(notification_type).label} template.")
            return redirect(reverse("notif_manage_settings", args=[tenant.slug]))
    else:
        form = TemplateForm(
            initial={
                f: getattr(template, f)
                for f in ("visible", "default_on", "email_subject", "email_body", "sms_body")
            }
        )
        data = form.initial
    from juiced.notifications.catalog import TOP_LEVEL, TYPE_NAMESPACES, VARIABLES

    variables = [*TOP_LEVEL] + [
        f"{ns}.{attr}" for ns in TYPE_NAMESPACES[notification_type] for attr in VARIABLES[ns]
    ]
    context = {
        "access": request.access,
        "form": form,
        "type": notification_type,
        "label": T(notification_type).label,
        "customized": template.pk is not None,
        "variables": variables,
        "preview": services.template_preview(tenant=tenant, notification_type=notification_type, data=data),
    }
    return render(request, "juiced/notifications/template_edit.html", context, status=status)


@require_POST
@staff_view("notifications.manage")
def manage_template_preview(request: HttpRequest, notification_type: str) -> HttpResponse:
    notification_type = _template_type(notification_type)
    preview = services.template_preview(
        tenant=request.access.tenant, notification_type=notification_type, data=request.POST
    )
    return render(request, "juiced/notifications/_preview.html", {"preview": preview})


@require_POST
@staff_view("notifications.manage")
def manage_template_reset(request: HttpRequest, notification_type: str) -> HttpResponse:
    notification_type = _template_type(notification_type)
    services.template_reset(
        tenant=request.access.tenant, actor=request.user, notification_type=notification_type
    )
    messages.success(request, f"The {T(notification_type).label} template is back to the default.")
    return redirect(reverse("notif_manage_template", args=[request.access.tenant.slug, notification_type]))


# ---------------------------------------------------------------- portal


@portal_view("contacts.view")
def portal_contacts(request: HttpRequest) -> HttpResponse:
    scope = _portal_scope(request)
    if request.method == "POST":
        request.portal.require("contacts.manage")
    return _contacts(request, scope)


@portal_view("contacts.manage")
def portal_contact_edit(request: HttpRequest, contact_id: str) -> HttpResponse:
    return _contact_edit(request, _portal_scope(request), contact_id)


@require_POST
@portal_view("contacts.manage")
def portal_contact_delete(request: HttpRequest, contact_id: str) -> HttpResponse:
    return _contact_delete(request, _portal_scope(request), contact_id)


@require_POST
@portal_view("contacts.manage")
def portal_contact_test(request: HttpRequest, contact_id: str) -> HttpResponse:
    return _contact_test(request, _portal_scope(request), contact_id)


@portal_view("notifications.view")
def portal_inbox(request: HttpRequest) -> HttpResponse:
    customer = request.portal.customer
    rows = Notification.objects.filter(customer=customer, channel=Channel.IN_APP)
    page = Paginator(rows, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"customer": customer, "page": page, "unread": services.unread_count(customer)}
    return render(request, "juiced/notifications/inbox.html", context)


@require_POST
@portal_view("notifications.view")
def portal_read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(customer=request.portal.customer)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect(reverse("notif_portal_inbox"))
