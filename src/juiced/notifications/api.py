"""/api/manage/ endpoints of juiced.notifications: contacts, send history, templates and channels."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool

from juiced.api.auth import access_of
from juiced.api.representations import MAX_PER_PAGE, page_of
from juiced.api.schemas import ErrorOut, StrictInput
from juiced.core.crypto import mask_secret
from juiced.core.errors import NotFound
from juiced.notifications import services
from juiced.notifications.catalog import TYPE_CATEGORY
from juiced.notifications.models import Channel, Contact, Notification, NotificationTemplate
from juiced.notifications.models import NotificationType as T

router = Router(tags=["notifications"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ContactIn(StrictInput):
    kind: str
    value: str
    name: str = ""
    preferences: dict[str, StrictBool] | None = None


class ContactPatchIn(StrictInput):
    value: str | None = None
    name: str | None = None
    preferences: dict[str, StrictBool] | None = None


class ContactOut(Schema):
    id: str
    object: str = "contact"
    kind: str
    value: str
    name: str
    notifications: dict[str, bool]
    created_at: datetime


class ContactListOut(Schema):
    object: str = "list"
    data: list[ContactOut]


class NotificationOut(Schema):
    id: str
    object: str = "notification"
    type: str
    channel: str
    recipient: str
    contact: str | None
    subject: str
    status: str
    error: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class NotificationListOut(Schema):
    object: str
    page: int
    per_page: int
    total: int
    has_more: bool
    data: list[NotificationOut]


class TemplateOut(Schema):
    type: str
    object: str = "notification_template"
    label: str
    category: str
    visible: bool
    default_on: bool
    email_subject: str
    email_body: str
    sms_body: str
    customized: bool


class TemplatePatchIn(StrictInput):
    visible: StrictBool | None = None
    default_on: StrictBool | None = None
    email_subject: str | None = None
    email_body: str | None = None
    sms_body: str | None = None


class ChannelsOut(Schema):
    object: str = "notification_channels"
    email_from: str
    twilio_account_sid: str
    twilio_auth_token: str  # masked
    twilio_from_number: str
    twilio_base_url: str
    sms_configured: bool
    email_configured: bool


class ChannelsPatchIn(StrictInput):
    email_from: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_base_url: str | None = None


def _contact_object(contact: Contact, templates: dict[str, NotificationTemplate]) -> dict[str, Any]:
    return {
        "id": contact.public_id,
        "kind": contact.kind,
        "value": contact.value,
        "name": contact.name,
        "notifications": {v: services.contact_wants(contact, t) for v, t in templates.items() if t.visible},
        "created_at": contact.created_at,
    }


def _template_object(template: NotificationTemplate) -> dict[str, Any]:
    return {
        "type": template.type,
        "label": T(template.type).label,
        "category": TYPE_CATEGORY[template.type],
        "visible": template.visible,
        "default_on": template.default_on,
        "email_subject": template.email_subject,
        "email_body": template.email_body,
        "sms_body": template.sms_body,
        "customized": template.pk is not None,
    }


def _channels_object(row: Any) -> dict[str, Any]:
    return {
        "email_from": row.email_from,
        "twilio_account_sid": row.twilio_account_sid,
        "twilio_auth_token": mask_secret(services.twilio_auth_token(row))
        if row.twilio_auth_token_encrypted
        else "",
        "twilio_from_number": row.twilio_from_number,
        "twilio_base_url": row.twilio_base_url,
        "sms_configured": row.sms_configured,
        "email_configured": services.email_configured(),
    }


def _contact(customer: Any, contact_id: str) -> Contact:
    contact = Contact.objects.filter(customer=customer, public_id=contact_id).select_related("tenant").first()
    if contact is None:
        raise NotFound("No such contact.")
    return contact


def _type(value: str) -> str:
    if value not in T.values:
        raise NotFound("No such notification type.")
    return value


@router.get(
    "/customers/{customer_id}/contacts", response={200: ContactListOut, **ERRORS}, summary="List contacts"
)
def list_contacts(request: HttpRequest, customer_id: str):
    customer = access_of(request).customer(customer_id, permission="customers.view")
    templates = services.templates_for(customer.tenant)
    return {"data": [_contact_object(c, templates) for c in Contact.objects.filter(customer=customer)]}


@router.post(
    "/customers/{customer_id}/contacts", response={201: ContactOut, **ERRORS}, summary="Add a contact"
)
def create_contact(request: HttpRequest, customer_id: str, payload: ContactIn):
    """An e-mail address or an E.164 phone number (phone only when the tenant configured Twilio)."""
    access = access_of(request)
    customer = access.customer(customer_id, permission="customers.edit")
    data = payload.model_dump(exclude_unset=True)
    if data.get("preferences") is None:
        data.pop("preferences", None)
    contact = services.contact_create(customer=customer, actor=access.user, data=data)
    return Status(201, _contact_object(contact, services.templates_for(customer.tenant)))


@router.get(
    "/customers/{customer_id}/contacts/{contact_id}",
    response={200: ContactOut, **ERRORS},
    summary="Get a contact",
)
def get_contact(request: HttpRequest, customer_id: str, contact_id: str):
    customer = access_of(request).customer(customer_id, permission="customers.view")
    return _contact_object(_contact(customer, contact_id), services.templates_for(customer.tenant))


@router.patch(
    "/customers/{customer_id}/contacts/{contact_id}",
    response={200: ContactOut, **ERRORS},
    summary="Update a contact",
)
def update_contact(request: HttpRequest, customer_id: str, contact_id: str, payload: ContactPatchIn):
    """Change the value or name, or switch notification types on/off (`preferences` merges)."""
    access = access_of(request)
    customer = access.customer(customer_id, permission="customers.edit")
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    contact = services.contact_update(contact=_contact(customer, contact_id), actor=access.user, data=data)
    return _contact_object(contact, services.templates_for(customer.tenant))


@router.delete(
    "/customers/{customer_id}/contacts/{contact_id}",
    response={204: None, **ERRORS},
    summary="Remove a contact",
)
def delete_contact(request: HttpRequest, customer_id: str, contact_id: str):
    access = access_of(request)
    customer = access.customer(customer_id, permission="customers.edit")
    services.contact_delete(contact=_contact(customer, contact_id), actor=access.user)
    return Status(204, None)


@router.post(
    "/customers/{customer_id}/contacts/{contact_id}/test",
    response={202: NotificationOut, **ERRORS},
    summary="Send a test message to a contact",
)
def test_contact(request: HttpRequest, customer_id: str, contact_id: str):
    """Queues a real message through the contact's channel; follow it in the notifications list."""
    access = access_of(request)
    customer = access.customer(customer_id, permission="customers.edit")
    notification = services.contact_test_send(contact=_contact(customer, contact_id), actor=access.user)
    return Status(202, _notification_object(notification))


def _notification_object(n: Notification) -> dict[str, Any]:
    return {
        "id": n.public_id,
        "type": n.type,
        "channel": n.channel,
        "recipient": n.recipient,
        "contact": n.contact.public_id if n.contact_id and n.contact else None,
        "subject": n.subject,
        "status": n.status,
        "error": n.error,
        "attempts": n.attempts,
        "created_at": n.created_at,
        "sent_at": n.sent_at,
    }


@router.get(
    "/customers/{customer_id}/notifications",
    response={200: NotificationListOut, **ERRORS},
    summary="List notifications sent to a customer",
)
def list_notifications(
    request: HttpRequest,
    customer_id: str,
    channel: Literal["email", "sms", "in_app"] | None = None,
    page: int = Query(1, ge=1),
    per_page: int = Query(25, ge=1, le=MAX_PER_PAGE),
):
    """Every recorded send, newest first (type, channel, recipient, status, error, created/sent time)."""
    customer = access_of(request).customer(customer_id, permission="customers.view")
    rows = Notification.objects.filter(customer=customer).select_related("contact")
    rows = rows.filter(channel=channel) if channel else rows.exclude(channel=Channel.IN_APP)
    found, meta = page_of(rows, page=page, per_page=per_page)
    return {**meta, "data": [_notification_object(n) for n in found]}


@router.get("/notification-templates", response={200: list[TemplateOut], **ERRORS}, summary="List templates")
def list_templates(request: HttpRequest):
    access = access_of(request)
    access.require("notifications.manage")
    return [_template_object(t) for t in services.templates_for(access.tenant).values()]


@router.get("/notification-templates/{type}", response={200: TemplateOut, **ERRORS}, summary="Get a template")
def get_template(request: HttpRequest, type: str):
    access = access_of(request)
    access.require("notifications.manage")
    return _template_object(services.template_for(access.tenant, _type(type)))


@router.patch(
    "/notification-templates/{type}", response={200: TemplateOut, **ERRORS}, summary="Update a template"
)
def update_template(request: HttpRequest, type: str, payload: TemplatePatchIn):
    """Unknown `{{ variables }}` and template tags are refused with a field error naming them."""
    access = access_of(request)
    access.require("notifications.manage")
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    template = services.template_save(
        tenant=access.tenant, actor=access.user, notification_type=_type(type), data=data
    )
    return _template_object(template)


@router.delete(
    "/notification-templates/{type}",
    response={200: TemplateOut, **ERRORS},
    summary="Reset a template to default",
)
def reset_template(request: HttpRequest, type: str):
    access = access_of(request)
    access.require("notifications.manage")
    return _template_object(
        services.template_reset(tenant=access.tenant, actor=access.user, notification_type=_type(type))
    )


@router.get(
    "/notification-channels", response={200: ChannelsOut, **ERRORS}, summary="Get notification channels"
)
def get_channels(request: HttpRequest):
    access = access_of(request)
    access.require("notifications.manage")
    return _channels_object(services.channel_settings_for(access.tenant))


@router.patch(
    "/notification-channels", response={200: ChannelsOut, **ERRORS}, summary="Update notification channels"
)
def update_channels(request: HttpRequest, payload: ChannelsPatchIn):
    """The Twilio auth token is write-only (encrypted at rest, shown masked); omit it to keep it."""
    access = access_of(request)
    access.require("notifications.manage")
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return _channels_object(
        services.channel_settings_save(tenant=access.tenant, actor=access.user, data=data)
    )
