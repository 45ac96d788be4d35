"""Writes and look-ups for contacts, templates, channel settings and `notify()`.

`notify(customer=…, type=…, context=…)` is the one entry point other apps call when something happens to
a customer. It is safe inside a transaction: it only writes Notification rows (in a savepoint) and queues
their sending after commit; it never raises because a channel is down or misconfigured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from juiced.core.audit import audit_record
from juiced.core.crypto import decrypt_secret, encrypt_secret
from juiced.core.errors import Conflict, ValidationFailed
from juiced.notifications.catalog import DEFAULTS
from juiced.notifications.models import (
    Channel,
    ChannelSettings,
    Contact,
    Notification,
    NotificationTemplate,
    NotificationType,
)
from juiced.notifications.renderer import render, template_errors

logger = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
TWILIO_DEFAULT_BASE_URL = "https://api.twilio.com"
DUMMY_EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
NO_EMAIL = "E-mail contacts need an e-mail integration: this installation has no mail server (EMAIL_URL)."
NO_SMS = "Phone contacts need SMS: the marketplace has not configured Twilio yet."


# ---------------------------------------------------------------- look-ups


def channel_settings_for(tenant: Any) -> ChannelSettings:
    """The tenant's channel settings (an unsaved empty row when none were saved yet)."""
    found = ChannelSettings.objects.filter(tenant=tenant).first()
    return found or ChannelSettings(tenant=tenant)


def sms_configured(tenant: Any) -> bool:
    """The texting integration: the tenant's Twilio account SID, auth token and From number are saved."""
    return channel_settings_for(tenant).sms_configured


def email_configured() -> bool:
    """The e-mail integration: this installation's mail server (EMAIL_URL). `EMAIL_URL=dummy://` (Django's
    dummy backend, which drops every message) means there is none."""
    return settings.EMAIL_BACKEND != DUMMY_EMAIL_BACKEND


def contact_kinds_available(tenant: Any) -> list[str]:
    """The contact types of the integrations configured: e-mail with a mail server, phone with Twilio."""
    kinds = []
    if email_configured():
        kinds.append(Contact.Kind.EMAIL)
    if sms_configured(tenant):
        kinds.append(Contact.Kind.PHONE)
    return kinds


def default_template(tenant: Any, notification_type: str) -> NotificationTemplate:
    default = DEFAULTS[notification_type]
    return NotificationTemplate(
        tenant=tenant,
        type=notification_type,
        visible=default.visible,
        default_on=default.default_on,
        email_subject=default.subject,
        email_body=default.email,
        sms_body=default.sms,
    )


def templates_for(tenant: Any) -> dict[str, NotificationTemplate]:
    """type → the tenant's template (saved, or the shipped default), in NotificationType order."""
    saved = {t.type: t for t in NotificationTemplate.objects.filter(tenant=tenant)}
    return {value: saved.get(value) or default_template(tenant, value) for value in NotificationType.values}


def template_for(tenant: Any, notification_type: str) -> NotificationTemplate:
    found = NotificationTemplate.objects.filter(tenant=tenant, type=notification_type).first()
    return found or default_template(tenant, notification_type)


def contact_wants(contact: Contact, template: NotificationTemplate) -> bool:
    """True when `contact` receives `template.type`: the type is Visible and on for this contact."""
    if not template.visible:
        return False
    return bool(contact.preferences.get(template.type, template.default_on))


def customer_context(customer: Any) -> dict[str, str]:
    address = ", ".join(p for p in (customer.address1, customer.address2) if p)
    return {
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "address": address,
        "city": customer.city,
        "state": customer.state,
        "zip": customer.zip_code,
    }


def unread_count(customer: Any) -> int:
    return Notification.objects.filter(
        customer=customer, channel=Channel.IN_APP, read_at__isnull=True
    ).count()


# ---------------------------------------------------------------- contacts


def normalize_phone(value: str) -> str:
    return PHONE_PUNCTUATION.sub("", value)


def _clean_preferences(value: Any, errors: dict[str, list[str]]) -> dict[str, bool]:
    if not isinstance(value, Mapping):
        errors["preferences"] = ["Give an object of notification type → true/false."]
        return {}
    unknown = [key for key in value if key not in NotificationType.values]
    if unknown:
        errors["preferences"] = [
            "Unknown notification type(s): " + ", ".join(sorted(map(str, unknown))) + "."
        ]
        return {}
    if any(not isinstance(v, bool) for v in value.values()):
        errors["preferences"] = ["Each notification type must be true or false."]
        return {}
    return dict(value)


def clean_contact_data(
    *, tenant: Any, data: Mapping[str, Any], partial: bool, kind: str | None = None
) -> dict:
    """Validate contact fields (kind, value, name, preferences); every error is field-level."""
    allowed = {"kind", "value", "name", "preferences"}
    errors: dict[str, list[str]] = {f: ["Unknown field."] for f in data if f not in allowed}
    cleaned: dict[str, Any] = {}
    if partial and "kind" in data and data["kind"] != kind:
        errors["kind"] = ["The kind of a contact cannot change; add a new contact instead."]
    if not partial:
        kind = str(data.get("kind") or "").strip()
        if kind not in Contact.Kind.values:
            errors["kind"] = ["Choose email or phone."]
        elif kind == Contact.Kind.PHONE and not sms_configured(tenant):
            errors["kind"] = [NO_SMS]
        elif kind == Contact.Kind.EMAIL and not email_configured():
            errors["kind"] = [NO_EMAIL]
        else:
            cleaned["kind"] = kind
    if "value" in data or not partial:
        value = str(data.get("value") or "").strip()
        if not value:
            errors["value"] = ["This field is required."]
        elif kind == Contact.Kind.EMAIL:
            value = value.lower()
            try:
                validate_email(value)
                cleaned["value"] = value
            except DjangoValidationError:
                errors["value"] = ["Enter a valid e-mail address."]
        elif kind == Contact.Kind.PHONE:
            value = normalize_phone(value)
            if E164.match(value):
                cleaned["value"] = value
            else:
                errors["value"] = ["Enter the number in international format, e.g. +15555550123."]
    if "name" in data:
        name = str(data.get("name") or "").strip()
        if len(name) > 200:
            errors["name"] = ["Keep this under 200 characters."]
        cleaned["name"] = name
    if "preferences" in data:
        cleaned["preferences"] = _clean_preferences(data["preferences"], errors)
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    return cleaned


@transaction.atomic
def contact_create(*, customer: Any, actor: Any, data: Mapping[str, Any]) -> Contact:
    """Add an e-mail or phone contact; its toggles start from each type's Default-on."""
    cleaned = clean_contact_data(tenant=customer.tenant, data=data, partial=False)
    if Contact.objects.filter(customer=customer, kind=cleaned["kind"], value=cleaned["value"]).exists():
        raise ValidationFailed.on("value", "This customer already has that contact.")
    preferences = cleaned.pop("preferences", {})
    contact = Contact.objects.create(
        tenant=customer.tenant, customer=customer, preferences=preferences, **cleaned
    )
    audit_record(
        tenant=customer.tenant,
        customer=customer,
        actor=actor,
        action="contact.created",
        summary=f"Added contact {contact}",
    )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor: Any, data: Mapping[str, Any]) -> Contact:
    """Change a contact's value, name or notification toggles (toggles merge into the saved ones)."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    cleaned = clean_contact_data(tenant=contact.tenant, data=data, partial=True, kind=contact.kind)
    if "value" in cleaned and cleaned["value"] != contact.value:
        duplicate = Contact.objects.filter(
            customer_id=contact.customer_id, kind=contact.kind, value=cleaned["value"]
        )
        if duplicate.exclude(pk=contact.pk).exists():
            raise ValidationFailed.on("value", "This customer already has that contact.")
    if "preferences" in cleaned:
        contact.preferences = {**contact.preferences, **cleaned.pop("preferences")}
    for field, value in cleaned.items():
        setattr(contact, field, value)
    contact.save()
    audit_record(
        tenant=contact.tenant,
        customer=contact.customer,
        actor=actor,
        action="contact.updated",
        summary=f"Changed contact {contact}",
    )
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, actor: Any) -> None:
    audit_record(
        tenant=contact.tenant,
        customer=contact.customer,
        actor=actor,
        action="contact.deleted",
        summary=f"Removed contact {contact}",
    )
    contact.delete()


@transaction.atomic
def contact_test_send(*, contact: Contact, actor: Any) -> Notification:
    """Queue a real test message to `contact` through its channel; the send is recorded like any other."""
    tenant = contact.tenant
    if contact.kind == Contact.Kind.PHONE and not sms_configured(tenant):
        raise Conflict("SMS is not configured for this marketplace: the test cannot be sent.")
    if contact.kind == Contact.Kind.EMAIL and not email_configured():
        raise Conflict("E-mail is not configured for this installation: the test cannot be sent.")
    body = (
        f"This is a test message from {tenant.name}. "
        f"Notifications for {contact.customer.name} reach you here."
    )
    notification = Notification.objects.create(
        tenant=tenant,
        customer=contact.customer,
        contact=contact,
        type="test",
        channel=contact.channel,
        recipient=contact.value,
        subject=f"Test message from {tenant.name}",
        body=body,
    )
    _enqueue(notification)
    return notification


# ---------------------------------------------------------------- notify


def _enqueue(notification: Notification) -> None:
    from juiced.notifications.jobs import send_notification

    def enqueue() -> None:
        send_notification.enqueue(notification_id=notification.pk, tenant_id=notification.tenant_id)

    transaction.on_commit(enqueue, robust=True)


def notify(*, customer: Any, type: str, context: Mapping[str, Any] | None = None) -> None:
    """Record and queue the `type` notification for `customer`: one in-app row, one row per contact.

    `context` holds the namespaces of the type's variables (docs/notifications.md), each a dict or an
    object: {"payment": {"amount": 1000, "method": "Visa •••• 4242", "error": ""}}; amounts are cents.
    The customer, tenant and contact namespaces are filled in here. Unknown types raise ValueError (a
    programming error); any other problem is logged and swallowed so the caller's work is never undone.
    """
    if type not in NotificationType.values:
        raise ValueError(f"Unknown notification type {type!r}")
    try:
        with transaction.atomic():
            _notify(customer, type, dict(context or {}))
    except Exception:
        logger.exception("notify(%s) failed for customer %s", type, getattr(customer, "public_id", "?"))


def _notify(customer: Any, notification_type: str, context: dict[str, Any]) -> None:
    tenant = customer.tenant
    template = template_for(tenant, notification_type)
    if not template.visible:
        return
    context["customer"] = customer_context(customer)
    context["tenant"] = {"name": tenant.name}
    context.setdefault("action_link", f"{settings.JUICED_BASE_URL}/app/")
    currency = tenant.currency
    now = timezone.now()
    Notification.objects.create(
        tenant=tenant,
        customer=customer,
        type=notification_type,
        channel=Channel.IN_APP,
        subject=render(template.email_subject, context, currency=currency)[:300],
        body=render(template.sms_body, context, currency=currency),
        status=Notification.Status.SENT,
        sent_at=now,
    )
    can_sms = sms_configured(tenant)
    can_email = email_configured()
    for contact in Contact.objects.filter(customer=customer):
        if not contact_wants(contact, template):
            continue
        contact_ctx = {**context, "contact": {"name": contact.name, "value": contact.value}}
        if contact.kind == Contact.Kind.EMAIL:
            subject = render(template.email_subject, contact_ctx, currency=currency)[:300]
            body = render(template.email_body, contact_ctx, currency=currency)
        else:
            subject = ""
            body = render(template.sms_body, contact_ctx, currency=currency)
        notification = Notification(
            tenant=tenant,
            customer=customer,
            contact=contact,
            type=notification_type,
            channel=contact.channel,
            recipient=contact.value,
            subject=subject,
            body=body,
        )
        unconfigured = {
            Contact.Kind.PHONE: "" if can_sms else "SMS is not configured for this marketplace.",
            Contact.Kind.EMAIL: "" if can_email else "E-mail is not configured for this installation.",
        }[contact.kind]
        if unconfigured:  # recorded, so the customer's Notifications tab shows why nothing arrived
            notification.status = Notification.Status.FAILED
            notification.error = unconfigured
            notification.save()
            continue
        notification.save()
        _enqueue(notification)


@transaction.atomic
def mark_all_read(*, customer: Any) -> int:
    return Notification.objects.filter(
        customer=customer, channel=Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())


# ---------------------------------------------------------------- templates and channel settings


def clean_template_data(*, notification_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    allowed = {"visible", "default_on", "email_subject", "email_body", "sms_body"}
    errors: dict[str, list[str]] = {f: ["Unknown field."] for f in data if f not in allowed}
    cleaned: dict[str, Any] = {}
    for field in ("visible", "default_on"):
        if field in data:
            if not isinstance(data[field], bool):
                errors[field] = ["Must be true or false."]
            else:
                cleaned[field] = data[field]
    limits = {"email_subject": 200, "email_body": 10000, "sms_body": 1600}
    for field, limit in limits.items():
        if field not in data:
            continue
        text = str(data[field] or "").strip()
        if not text:
            errors[field] = ["This field is required."]
            continue
        if len(text) > limit:
            errors[field] = [f"Keep this under {limit} characters."]
            continue
        problems = template_errors(text, notification_type)
        if problems:
            errors[field] = problems
            continue
        cleaned[field] = text
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    return cleaned


@transaction.atomic
def template_save(
    *, tenant: Any, actor: Any, notification_type: str, data: Mapping[str, Any]
) -> NotificationTemplate:
    """Save the tenant's template for one type (fields not given keep their current or default value)."""
    if notification_type not in NotificationType.values:
        raise ValidationFailed.on("type", "Unknown notification type.")
    cleaned = clean_template_data(notification_type=notification_type, data=data)
    template = template_for(tenant, notification_type)
    for field, value in cleaned.items():
        setattr(template, field, value)
    template.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="notification_template.updated",
        summary=f"Changed the {NotificationType(notification_type).label} notification template",
    )
    return template


@transaction.atomic
def template_reset(*, tenant: Any, actor: Any, notification_type: str) -> NotificationTemplate:
    NotificationTemplate.objects.filter(tenant=tenant, type=notification_type).delete()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="notification_template.reset",
        summary=f"Reset the {NotificationType(notification_type).label} notification template",
    )
    return default_template(tenant, notification_type)


def template_preview(*, tenant: Any, notification_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Render unsaved template text with sample data: {"email_subject": …, …, "errors": {field: [..]}}."""
    from juiced.notifications.catalog import SAMPLE

    result: dict[str, Any] = {"errors": {}}
    context = {**SAMPLE, "tenant": {"name": tenant.name}}
    for field in ("email_subject", "email_body", "sms_body"):
        text = str(data.get(field) or "")
        problems = template_errors(text, notification_type)
        if problems:
            result["errors"][field] = problems
        result[field] = render(text, context, currency=tenant.currency)
    return result


def twilio_auth_token(channel_settings: ChannelSettings) -> str:
    return decrypt_secret(channel_settings.twilio_auth_token_encrypted)


@transaction.atomic
def channel_settings_save(*, tenant: Any, actor: Any, data: Mapping[str, Any]) -> ChannelSettings:
    """Save the e-mail sender and Twilio settings. An empty auth token keeps the stored one."""
    allowed = {
        "email_from",
        "twilio_account_sid",
        "twilio_auth_token",
        "twilio_from_number",
        "twilio_base_url",
    }
    errors: dict[str, list[str]] = {f: ["Unknown field."] for f in data if f not in allowed}
    values = {f: str(data.get(f) or "").strip() for f in allowed if f in data}
    if values.get("email_from"):
        try:
            validate_email(values["email_from"])
        except DjangoValidationError:
            errors["email_from"] = ["Enter a valid e-mail address."]
    sid = values.get("twilio_account_sid")
    if sid and not re.fullmatch(r"AC[0-9a-zA-Z]{32}", sid):
        errors["twilio_account_sid"] = ["A Twilio account SID is AC followed by 32 letters and digits."]
    number = normalize_phone(values.get("twilio_from_number", ""))
    if number and not E164.match(number):
        errors["twilio_from_number"] = ["Enter the number in international format, e.g. +15555550123."]
    base_url = values.get("twilio_base_url", "").rstrip("/")
    if base_url and not re.match(r"^https?://[^\s/]+$", base_url):
        errors["twilio_base_url"] = ["Enter a scheme and host only, e.g. https://api.twilio.com."]
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    current, _ = ChannelSettings.objects.select_for_update().get_or_create(tenant=tenant)
    for field in ("email_from", "twilio_account_sid"):
        if field in values:
            setattr(current, field, values[field])
    if "twilio_from_number" in values:
        current.twilio_from_number = number
    if "twilio_base_url" in values:
        current.twilio_base_url = base_url
    if values.get("twilio_auth_token"):
        current.twilio_auth_token_encrypted = encrypt_secret(values["twilio_auth_token"])
    current.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="notification_channels.updated",
        summary="Changed notification channels",
    )
    return current
