"""/api/manage/webhooks (tenant webhooks, Admin) and /api/manage/customers/{id}/webhooks (a customer's lead
webhooks, customers.edit): CRUD, secret rotation, test sends, the delivery log and resends.

Handlers are thin: they resolve the webhooks the caller may reach, then call services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from juiced.api.auth import access_of
from juiced.api.schemas import ErrorOut
from juiced.webhooks import selectors, services
from juiced.webhooks.models import WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
TENANT = "/webhooks"
CUSTOMER = "/customers/{customer_id}/webhooks"


class WebhookIn(Schema):
    name: str | None = None
    url: str | None = None
    events: list[str] | None = None
    payload_template: str | None = None
    active: bool | None = None


class TestIn(Schema):
    lead_type: str | None = None


class SettingsIn(Schema):
    allow_private_addresses: bool


class WebhookOut(Schema):
    id: str
    object: str
    customer: str | None
    name: str
    url: str
    events: list[str] | None
    payload_template: str | None
    active: bool
    secret: str | None = None
    created: datetime
    updated: datetime


class WebhookListOut(Schema):
    object: str
    data: list[WebhookOut]


class AttemptOut(Schema):
    number: int
    url: str
    request_headers: dict[str, str]
    status_code: int | None
    response_excerpt: str
    duration_ms: int
    error: str
    will_retry: bool
    started: datetime


class DeliveryOut(Schema):
    id: str
    object: str
    webhook: str
    event_id: str
    event_type: str
    test: bool
    status: str
    body: str
    attempt_count: int
    last_status_code: int | None
    last_error: str
    next_attempt: datetime | None
    created: datetime
    delivered: datetime | None
    attempts: list[AttemptOut]


class DeliveryListOut(Schema):
    object: str
    data: list[DeliveryOut]


class SettingsOut(Schema):
    object: str
    allow_private_addresses: bool


def webhook_object(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict[str, Any]:
    customer_webhook = endpoint.customer_id is not None
    return {
        "id": endpoint.public_id,
        "object": "webhook",
        "customer": endpoint.customer.public_id if customer_webhook else None,
        "name": endpoint.name,
        "url": endpoint.url,
        "events": None if customer_webhook else list(endpoint.events),
        "payload_template": endpoint.payload_template if customer_webhook else None,
        "active": endpoint.is_active,
        "secret": secret,
        "created": endpoint.created_at,
        "updated": endpoint.updated_at,
    }


def delivery_object(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": delivery.public_id,
        "object": "webhook_delivery",
        "webhook": endpoint.public_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "test": delivery.is_test,
        "status": delivery.status,
        "body": delivery.body,
        "attempt_count": delivery.attempt_count,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt": delivery.next_attempt_at,
        "created": delivery.created_at,
        "delivered": delivery.delivered_at,
        "attempts": [
            {
                "number": a.number,
                "url": a.url,
                "request_headers": a.request_headers,
                "status_code": a.status_code,
                "response_excerpt": a.response_excerpt,
                "duration_ms": a.duration_ms,
                "error": a.error,
                "will_retry": a.will_retry,
                "started": a.started_at,
            }
            for a in delivery.attempts.all()
        ],
    }


def _service_data(payload: WebhookIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    if "active" in data:
        data["is_active"] = data.pop("active")
    return data


# --- scope: which webhooks the caller reaches ------------------------------------------------------------


def _scope(request: HttpRequest, customer_id: str | None) -> tuple[Any, QuerySet[WebhookEndpoint]]:
    """(customer or None, the webhooks reachable), after the permission check."""
    access = access_of(request)
    if customer_id is None:
        access.require("integrations.manage")
        return None, selectors.tenant_webhooks(tenant=access.tenant)
    customer = access.customer(customer_id, permission="customers.edit")
    return customer, selectors.customer_webhooks(customer=customer)


def _list(request: HttpRequest, customer_id: str | None) -> dict[str, Any]:
    _customer, webhooks = _scope(request, customer_id)
    return {"object": "list", "data": [webhook_object(e) for e in webhooks.select_related("customer")]}


def _create(request: HttpRequest, customer_id: str | None, payload: WebhookIn):
    customer, _webhooks = _scope(request, customer_id)
    access = access_of(request)
    endpoint, secret = services.webhook_create(
        tenant=access.tenant, customer=customer, actor=access.user, data=_service_data(payload)
    )
    return Status(201, webhook_object(endpoint, secret=secret))


def _one(request: HttpRequest, customer_id: str | None, webhook_id: str) -> WebhookEndpoint:
    _customer, webhooks = _scope(request, customer_id)
    return selectors.webhook_get(webhooks=webhooks, public_id=webhook_id)


def _update(request: HttpRequest, customer_id: str | None, webhook_id: str, payload: WebhookIn):
    endpoint = _one(request, customer_id, webhook_id)
    updated = services.webhook_update(
        endpoint=endpoint, actor=access_of(request).user, data=_service_data(payload)
    )
    return webhook_object(updated)


def _delete(request: HttpRequest, customer_id: str | None, webhook_id: str):
    endpoint = _one(request, customer_id, webhook_id)
    services.webhook_delete(endpoint=endpoint, actor=access_of(request).user)
    return Status(204, None)


def _rotate(request: HttpRequest, customer_id: str | None, webhook_id: str):
    endpoint = _one(request, customer_id, webhook_id)
    secret = services.webhook_secret_rotate(endpoint=endpoint, actor=access_of(request).user)
    endpoint.refresh_from_db()
    return webhook_object(endpoint, secret=secret)


def _test(request: HttpRequest, customer_id: str | None, webhook_id: str, payload: TestIn):
    endpoint = _one(request, customer_id, webhook_id)
    delivery = services.webhook_test_send(endpoint=endpoint, lead_type=payload.lead_type)
    return Status(202, delivery_object(delivery, endpoint))


def _deliveries(request: HttpRequest, customer_id: str | None, webhook_id: str):
    endpoint = _one(request, customer_id, webhook_id)
    deliveries = selectors.webhook_deliveries(endpoint=endpoint)
    return {"object": "list", "data": [delivery_object(d, endpoint) for d in deliveries]}


def _resend(request: HttpRequest, customer_id: str | None, webhook_id: str, delivery_id: str):
    endpoint = _one(request, customer_id, webhook_id)
    delivery = selectors.delivery_get(endpoint=endpoint, public_id=delivery_id)
    delivery = services.webhook_delivery_resend(delivery=delivery, actor=access_of(request).user)
    return Status(202, delivery_object(delivery, endpoint))


# --- tenant webhooks ------------------------------------------------------------------------------------


@router.get(TENANT, response={200: WebhookListOut, **ERRORS}, summary="List tenant webhooks")
def list_tenant_webhooks(request: HttpRequest):
    return _list(request, None)


@router.post(TENANT, response={201: WebhookOut, **ERRORS}, summary="Create a tenant webhook")
def create_tenant_webhook(request: HttpRequest, payload: WebhookIn):
    """`events` from customer.created, customer.updated, transaction.created, lead.created, lead.assigned,
    lead.unassigned, lead.duplicated. The answer holds the signing `secret`, shown this once."""
    return _create(request, None, payload)


@router.get(TENANT + "/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Get a tenant webhook")
def get_tenant_webhook(request: HttpRequest, webhook_id: str):
    return webhook_object(_one(request, None, webhook_id))


@router.patch(
    TENANT + "/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Update a tenant webhook"
)
def update_tenant_webhook(request: HttpRequest, webhook_id: str, payload: WebhookIn):
    return _update(request, None, webhook_id, payload)


@router.delete(TENANT + "/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a tenant webhook")
def delete_tenant_webhook(request: HttpRequest, webhook_id: str):
    return _delete(request, None, webhook_id)


@router.post(
    TENANT + "/{webhook_id}/rotate-secret", response={200: WebhookOut, **ERRORS}, summary="Rotate the secret"
)
def rotate_tenant_webhook_secret(request: HttpRequest, webhook_id: str):
    """A new signing secret, shown this once; the old one stops at once."""
    return _rotate(request, None, webhook_id)


@router.post(
    TENANT + "/{webhook_id}/test", response={202: DeliveryOut, **ERRORS}, summary="Send a test event"
)
def test_tenant_webhook(request: HttpRequest, webhook_id: str, payload: TestIn):
    return _test(request, None, webhook_id, payload)


@router.get(
    TENANT + "/{webhook_id}/deliveries", response={200: DeliveryListOut, **ERRORS}, summary="List deliveries"
)
def list_tenant_webhook_deliveries(request: HttpRequest, webhook_id: str):
    """The newest 50 deliveries with every attempt (status, response excerpt, duration, error)."""
    return _deliveries(request, None, webhook_id)


@router.post(
    TENANT + "/{webhook_id}/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut, **ERRORS},
    summary="Resend a delivery",
)
def resend_tenant_webhook_delivery(request: HttpRequest, webhook_id: str, delivery_id: str):
    return _resend(request, None, webhook_id, delivery_id)


@router.get("/webhook-settings", response={200: SettingsOut, **ERRORS}, summary="Get webhook settings")
def get_webhook_settings(request: HttpRequest):
    access = access_of(request)
    access.require("integrations.manage")
    allowed = selectors.allow_private_addresses(tenant_id=access.tenant.pk)
    return {"object": "webhook_settings", "allow_private_addresses": allowed}


@router.put("/webhook-settings", response={200: SettingsOut, **ERRORS}, summary="Change webhook settings")
def put_webhook_settings(request: HttpRequest, payload: SettingsIn):
    """`allow_private_addresses` (testing only): webhook URLs may point to loopback and private networks."""
    access = access_of(request)
    access.require("integrations.manage")
    row = services.webhook_settings_update(
        tenant=access.tenant, actor=access.user, allow_private_addresses=payload.allow_private_addresses
    )
    return {"object": "webhook_settings", "allow_private_addresses": row.allow_private_addresses}


# --- customer webhooks ----------------------------------------------------------------------------------


@router.get(CUSTOMER, response={200: WebhookListOut, **ERRORS}, summary="List a customer's webhooks")
def list_customer_webhooks(request: HttpRequest, customer_id: str):
    return _list(request, customer_id)


@router.post(CUSTOMER, response={201: WebhookOut, **ERRORS}, summary="Create a customer webhook")
def create_customer_webhook(request: HttpRequest, customer_id: str, payload: WebhookIn):
    """Sent when a lead is assigned to the customer; `payload_template` is JSON with `{{ variables }}`
    (empty: the default payload). The answer holds the signing `secret`, shown this once."""
    return _create(request, customer_id, payload)


@router.get(
    CUSTOMER + "/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Get a customer webhook"
)
def get_customer_webhook(request: HttpRequest, customer_id: str, webhook_id: str):
    return webhook_object(_one(request, customer_id, webhook_id))


@router.patch(
    CUSTOMER + "/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Update a customer webhook"
)
def update_customer_webhook(request: HttpRequest, customer_id: str, webhook_id: str, payload: WebhookIn):
    return _update(request, customer_id, webhook_id, payload)


@router.delete(
    CUSTOMER + "/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a customer webhook"
)
def delete_customer_webhook(request: HttpRequest, customer_id: str, webhook_id: str):
    return _delete(request, customer_id, webhook_id)


@router.post(
    CUSTOMER + "/{webhook_id}/rotate-secret",
    response={200: WebhookOut, **ERRORS},
    summary="Rotate a customer webhook's secret",
)
def rotate_customer_webhook_secret(request: HttpRequest, customer_id: str, webhook_id: str):
    return _rotate(request, customer_id, webhook_id)


@router.post(
    CUSTOMER + "/{webhook_id}/test", response={202: DeliveryOut, **ERRORS}, summary="Send a test lead"
)
def test_customer_webhook(request: HttpRequest, customer_id: str, webhook_id: str, payload: TestIn):
    """A sample lead of one of the tenant's lead types (`lead_type`: its id, `ltype_…`; a generic lead
    when omitted) through the payload template, even while paused."""
    return _test(request, customer_id, webhook_id, payload)


@router.get(
    CUSTOMER + "/{webhook_id}/deliveries",
    response={200: DeliveryListOut, **ERRORS},
    summary="List a customer webhook's deliveries",
)
def list_customer_webhook_deliveries(request: HttpRequest, customer_id: str, webhook_id: str):
    return _deliveries(request, customer_id, webhook_id)


@router.post(
    CUSTOMER + "/{webhook_id}/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut, **ERRORS},
    summary="Resend a customer webhook delivery",
)
def resend_customer_webhook_delivery(
    request: HttpRequest, customer_id: str, webhook_id: str, delivery_id: str
):
    return _resend(request, customer_id, webhook_id, delivery_id)
