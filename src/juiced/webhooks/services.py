"""Writes for webhooks: endpoints, secrets, the tenant's testing flag, emitting events and deliveries.

Deliveries are rows written in the caller's transaction; the HTTP request is a background job enqueued
on commit (`juiced.webhooks.tasks.webhook_deliver`), never sent inside a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from juiced.core.audit import audit_record
from juiced.core.crypto import decrypt_secret, encrypt_secret
from juiced.core.errors import NotFound, ValidationFailed
from juiced.core.jobs import retry_delay
from juiced.core.tasks import enqueue_on_commit
from juiced.webhooks import payloads
from juiced.webhooks.addresses import webhook_target
from juiced.webhooks.models import (
    TEST_EVENT,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSettings,
)
from juiced.webhooks.selectors import allow_private_addresses, sample_lead_type, subscribed_webhooks
from juiced.webhooks.sender import SendResult, http_post
from juiced.webhooks.signing import secret_generate, signature_header

MAX_ATTEMPTS = 5  # per (re)send: the first try and 4 retries
RETRY_BASE_DELAY = 60.0  # seconds: retries after 1, 2, 4 and 8 minutes
RETRY_MAX_DELAY = 3600.0
DEFAULT_TIMEOUT_SECONDS = 10.0
ENDPOINT_FIELDS = ("name", "url", "events", "payload_template", "is_active")


def timeout_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "JUICED_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))


# --- endpoints ----------------------------------------------------------------------------------------------


def _clean_events(value: Any, errors: dict[str, list[str]]) -> list[str]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors["events"] = ["Send a list of event names."]
        return []
    unknown = [v for v in value if v not in WebhookEvent.values]
    if unknown:
        errors["events"] = [f"Unknown event {unknown[0]!r}; use: {', '.join(WebhookEvent.values)}."]
        return []
    if not value:
        errors["events"] = ["Choose at least one event."]
    return [event for event in WebhookEvent.values if event in value]  # canonical order, no repeats


def clean_webhook_data(
    data: dict[str, Any], *, tenant: Any, customer: Any | None, partial: bool
) -> dict[str, Any]:
    """Validate endpoint fields; raise ValidationFailed with every field's message at once.

    The URL check resolves the host (outside any transaction: DNS can be slow).
    """
    allowed = {"name", "url", "is_active", "payload_template" if customer else "events"}
    errors: dict[str, list[str]] = {field: ["Unknown field."] for field in set(data) - allowed}
    cleaned: dict[str, Any] = {}
    required = {"name", "url"} if customer else {"name", "url", "events"}
    for field in sorted(required - set(data)) if not partial else []:
        errors[field] = ["This field is required."]
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors["name"] = ["This field is required."]
        elif len(name) > 100:
            errors["name"] = ["Keep this under 100 characters."]
        cleaned["name"] = name
    if "url" in data:
        url = str(data["url"] or "").strip()
        try:
            webhook_target(url, allow_private=allow_private_addresses(tenant_id=tenant.pk))
            cleaned["url"] = url
        except ValidationFailed as exc:
            errors["url"] = exc.fields.get("url", [exc.message])
    if "events" in data and "events" in allowed:
        cleaned["events"] = _clean_events(data["events"], errors)
    if "payload_template" in data and customer is not None:
        template = str(data["payload_template"] or "").strip()
        if template:
            sample = payloads.sample_context(customer=customer, currency=tenant.currency)
            try:
                payloads.template_check(template, sample=sample)
            except ValidationFailed as exc:
                errors.update(exc.fields)
        cleaned["payload_template"] = template
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors["is_active"] = ["Must be true or false."]
        cleaned["is_active"] = data["is_active"]
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    return cleaned


def _audit(endpoint: WebhookEndpoint, actor: Any, action: str, summary: str, changes=None) -> None:
    audit_record(
        tenant=endpoint.tenant,
        customer=endpoint.customer,
        actor=actor,
        action=action,
        summary=summary,
        changes=changes,
    )


def webhook_create(
    *, tenant: Any, actor: Any, data: dict[str, Any], customer: Any | None = None
) -> tuple[WebhookEndpoint, str]:
    """Create a tenant webhook (customer=None) or a customer's webhook; returns it and its new secret."""
    cleaned = clean_webhook_data(data, tenant=tenant, customer=customer, partial=False)
    secret = secret_generate()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant, customer=customer, secret_encrypted=encrypt_secret(secret), **cleaned
        )
        _audit(
            endpoint,
            actor,
            "webhook.created",
            f"Added webhook {endpoint.name} ({endpoint.url})",
            {k: [None, v] for k, v in cleaned.items() if k != "payload_template"},
        )
    return endpoint, secret


def webhook_update(*, endpoint: WebhookEndpoint, actor: Any, data: dict[str, Any]) -> WebhookEndpoint:
    """Change the fields sent; the URL is checked again against the tenant's current rules."""
    cleaned = clean_webhook_data(data, tenant=endpoint.tenant, customer=endpoint.customer, partial=True)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        changes = {f: [getattr(locked, f), v] for f, v in cleaned.items() if getattr(locked, f) != v}
        if changes:
            for field, (_old, new) in changes.items():
                setattr(locked, field, new)
            locked.save(update_fields=[*changes, "updated_at"])
            shown = {k: v for k, v in changes.items() if k != "payload_template"}
            _audit(
                locked,
                actor,
                "webhook.updated",
                f"Edited webhook {locked.name}: {', '.join(sorted(changes))}",
                shown,
            )
    locked.tenant, locked.customer = endpoint.tenant, endpoint.customer
    return locked


def webhook_delete(*, endpoint: WebhookEndpoint, actor: Any) -> None:
    """Delete the webhook and its delivery log; queued deliveries are dropped."""
    with transaction.atomic():
        _audit(endpoint, actor, "webhook.deleted", f"Deleted webhook {endpoint.name} ({endpoint.url})")
        endpoint.delete()


def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor: Any) -> str:
    """Replace the signing secret at once (the old one stops working); returns the new one, shown once."""
    secret = secret_generate()
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            secret_encrypted=encrypt_secret(secret), updated_at=timezone.now()
        )
        _audit(
            endpoint,
            actor,
            "webhook.secret_rotated",
            f"Rotated the signing secret of webhook {endpoint.name}",
        )
    return secret


def webhook_settings_update(*, tenant: Any, actor: Any, allow_private_addresses: bool) -> WebhookSettings:
    """Turn the testing flag (private webhook addresses allowed) on or off."""
    if not isinstance(allow_private_addresses, bool):
        raise ValidationFailed.on("allow_private_addresses", "Must be true or false.")
    with transaction.atomic():
        row, _ = WebhookSettings.objects.select_for_update().get_or_create(tenant=tenant)
        if row.allow_private_addresses != allow_private_addresses:
            old = row.allow_private_addresses
            row.allow_private_addresses = allow_private_addresses
            row.save(update_fields=["allow_private_addresses", "updated_at"])
            state = "on" if allow_private_addresses else "off"
            audit_record(
                tenant=tenant,
                actor=actor,
                action="webhook.settings_updated",
                summary=f"Turned {state} private webhook addresses (testing)",
                changes={"allow_private_addresses": [old, allow_private_addresses]},
            )
    return row


# --- emitting events ----------------------------------------------------------------------------------------


def _queue(*, endpoint: WebhookEndpoint, event_id: str, event: str, body: str, is_test: bool = False):
    delivery = WebhookDelivery.objects.create(
        tenant_id=endpoint.tenant_id,
        endpoint=endpoint,
        event_id=event_id,
        event_type=event,
        body=body,
        is_test=is_test,
    )
    from juiced.webhooks.tasks import webhook_deliver

    enqueue_on_commit(webhook_deliver, tenant_id=endpoint.tenant_id, delivery_id=delivery.pk, force=is_test)
    return delivery


def webhook_emit(*, tenant: Any, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue `event` to every active tenant webhook subscribed to it (in the caller's transaction).

    `data` holds public ids and integer cents with a currency; the body is the envelope
    {"id": "evt_…", "type": event, "created": unix seconds, "data": data}.
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    return webhook_emit_lazily(tenant_id=tenant.pk, event=event, build=lambda: data)


def webhook_emit_lazily(*, tenant_id: int, event: str, build) -> list[WebhookDelivery]:
    """Queue `event` to the subscribed webhooks; `build()` makes the data only when someone listens."""
    endpoints = subscribed_webhooks(tenant_id=tenant_id, event=event)
    if not endpoints:
        return []
    event_id = payloads.event_id_new()
    body = payloads.event_envelope(event_id=event_id, event=event, data=build())
    with transaction.atomic():
        return [_queue(endpoint=e, event_id=event_id, event=event, body=body) for e in endpoints]


def customer_webhooks_send(*, customer: Any, event: str, context: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue `event` (e.g. lead.assigned with context {"lead": {...}}) to the customer's active webhooks,
    each body shaped by that webhook's payload template. Call inside the transaction that assigned."""
    endpoints = list(WebhookEndpoint.objects.filter(customer=customer, is_active=True))
    if not endpoints:
        return []
    event_id = payloads.event_id_new()
    values = payloads.customer_webhook_context(
        customer=customer, event=event, event_id=event_id, context=context
    )
    with transaction.atomic():
        return [
            _queue(
                endpoint=e,
                event_id=event_id,
                event=event,
                body=payloads.customer_payload(e.payload_template, values),
            )
            for e in endpoints
        ]


def webhook_test_send(*, endpoint: WebhookEndpoint, lead_type: str | None = None) -> WebhookDelivery:
    """Queue a test delivery with a sample lead of the tenant's lead type `lead_type` (a public id; generic
    when None), even while the webhook is paused. Another tenant's or an unknown id is a field error."""
    tenant = endpoint.tenant
    sample_type = None
    if lead_type:
        try:
            sample_type = sample_lead_type(tenant=tenant, public_id=str(lead_type))
        except NotFound:
            raise ValidationFailed.on("lead_type", "Choose one of this marketplace's lead types.") from None
    currency = tenant.currency
    if endpoint.customer is not None:
        values = payloads.sample_context(customer=endpoint.customer, lead_type=sample_type, currency=currency)
        event_id = payloads.event_id_new()
        values["event_id"] = event_id
        body = payloads.customer_payload(endpoint.payload_template, values)
        event = WebhookEvent.LEAD_ASSIGNED.value
    else:
        event_id = payloads.event_id_new()
        data = payloads.sample_event_data(lead_type=sample_type, currency=currency)
        body = payloads.event_envelope(event_id=event_id, event=TEST_EVENT, data=data)
        event = TEST_EVENT
    with transaction.atomic():
        return _queue(endpoint=endpoint, event_id=event_id, event=event, body=body, is_test=True)


def webhook_delivery_resend(*, delivery: WebhookDelivery, actor: Any) -> WebhookDelivery:
    """Send the same body again (a fresh round of attempts), whatever its status and even if paused."""
    from juiced.webhooks.tasks import webhook_deliver

    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, round_attempts=0, next_attempt_at=None
        )
        enqueue_on_commit(webhook_deliver, tenant_id=delivery.tenant_id, delivery_id=delivery.pk, force=True)
    delivery.refresh_from_db()
    return delivery


# --- one attempt (run by the background job) ----------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    attempt: WebhookAttempt
    result: SendResult
    will_retry: bool


def delivery_headers(*, delivery: WebhookDelivery, secret: str, body: bytes) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Juiced-Signature": signature_header(secret=secret, body=body),
        "Juiced-Event": delivery.event_type,
        "Juiced-Delivery": delivery.public_id,
    }
    if delivery.is_test:
        headers["Juiced-Test"] = "true"
    return headers


def webhook_delivery_attempt(*, delivery_id: int, force: bool = False) -> AttemptOutcome | None:
    """Make one HTTP attempt of a delivery and log it. None when there is nothing to send (deleted,
    already delivered, or the webhook is paused and this is not a test or a manual resend)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status == WebhookDelivery.Status.SUCCEEDED:
            return None
        endpoint = delivery.endpoint
        if not endpoint.is_active and not force:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.last_error = "The webhook is paused: not sent."
            delivery.save(update_fields=["status", "last_error"])
            return None
        delivery.attempt_count += 1
        delivery.round_attempts += 1
        delivery.save(update_fields=["attempt_count", "round_attempts"])
        allow_private = allow_private_addresses(tenant_id=delivery.tenant_id)
    secret = decrypt_secret(endpoint.secret_encrypted)
    body = delivery.body.encode()
    headers = delivery_headers(delivery=delivery, secret=secret, body=body)
    started_at = timezone.now()
    result = http_post(
        url=endpoint.url, body=body, headers=headers, timeout=timeout_seconds(), allow_private=allow_private
    )
    will_retry = not result.succeeded and result.retryable and delivery.round_attempts < MAX_ATTEMPTS
    now = timezone.now()
    if result.succeeded:
        status = WebhookDelivery.Status.SUCCEEDED
    else:
        status = WebhookDelivery.Status.RETRYING if will_retry else WebhookDelivery.Status.FAILED
    next_at = None
    if will_retry:
        delay = retry_delay(delivery.round_attempts, base_delay=RETRY_BASE_DELAY, max_delay=RETRY_MAX_DELAY)
        next_at = now + timedelta(seconds=delay)
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempt_count,
            url=endpoint.url,
            request_headers=headers,
            status_code=result.status_code,
            response_excerpt=result.response_excerpt,
            duration_ms=result.duration_ms,
            error=result.error[:500],
            will_retry=will_retry,
            started_at=started_at,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status,
            last_status_code=result.status_code,
            last_error=result.error[:500],
            next_attempt_at=next_at,
            delivered_at=now if result.succeeded else None,
        )
    return AttemptOutcome(attempt=attempt, result=result, will_retry=will_retry)


__all__ = [
    "customer_webhooks_send",
    "webhook_create",
    "webhook_delete",
    "webhook_delivery_attempt",
    "webhook_delivery_resend",
    "webhook_emit",
    "webhook_secret_rotate",
    "webhook_settings_update",
    "webhook_test_send",
    "webhook_update",
]
