"""Reads for webhooks. Every query starts from a tenant or a customer already resolved by the tenancy
choke point, so another tenant's (or customer's) webhook is simply not found."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from juiced.core import rawsql
from juiced.core.errors import NotFound
from juiced.webhooks import payloads
from juiced.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSettings

DELIVERIES_SHOWN = 50


def allow_private_addresses(*, tenant_id: int) -> bool:
    """The tenant's testing flag; without a saved choice, settings.JUICED_WEBHOOK_ALLOW_PRIVATE."""
    saved = (
        WebhookSettings.objects.filter(tenant_id=tenant_id)
        .values_list("allow_private_addresses", flat=True)
        .first()
    )
    if saved is None:
        return bool(getattr(settings, "JUICED_WEBHOOK_ALLOW_PRIVATE", False))
    return saved


def tenant_webhooks(*, tenant: Any) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(tenant=tenant, customer__isnull=True)


def customer_webhooks(*, customer: Any) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(tenant_id=customer.tenant_id, customer=customer)


def webhook_get(*, webhooks: QuerySet[WebhookEndpoint], public_id: str) -> WebhookEndpoint:
    endpoint = webhooks.select_related("tenant", "customer").filter(public_id=public_id).first()
    if endpoint is None:
        raise NotFound("No such webhook.")
    return endpoint


# Runs after every wallet transaction: on PostgreSQL a fixed prepared statement answers "does anyone
# listen?" without compiling an ORM query (the common answer is no).
_ANY_SUBSCRIBED_SQL = (
    f'SELECT 1 FROM "{WebhookEndpoint._meta.db_table}" WHERE "tenant_id" = %s AND "customer_id" IS NULL '
    'AND "is_active" AND "events" ? %s LIMIT 1'
)


def subscribed_webhooks(*, tenant_id: int, event: str) -> list[WebhookEndpoint]:
    """The tenant's active tenant webhooks listening to `event` (a handful: filtered in Python, as
    SQLite cannot search inside JSON lists)."""
    if rawsql.available() and rawsql.fetch_one(_ANY_SUBSCRIBED_SQL, [tenant_id, event]) is None:
        return []
    active = WebhookEndpoint.objects.filter(tenant_id=tenant_id, customer__isnull=True, is_active=True)
    return [endpoint for endpoint in active if event in (endpoint.events or [])]


def webhook_deliveries(*, endpoint: WebhookEndpoint, limit: int = DELIVERIES_SHOWN) -> list[WebhookDelivery]:
    """The newest deliveries of one webhook, each with its attempts (2 queries)."""
    return list(
        endpoint.deliveries.prefetch_related(
            Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("number"))
        )[:limit]
    )


def delivery_get(*, endpoint: WebhookEndpoint, public_id: str) -> WebhookDelivery:
    delivery = endpoint.deliveries.filter(public_id=public_id).first()
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


# --- "Send test": the tenant's real lead types ----------------------------------------------------------


def sample_lead_type_choices(*, tenant: Any) -> list[tuple[str, str]]:
    """(public id, "Category: Type") of the tenant's live lead types, for the "Send test" menu."""
    from juiced.leads.setup_selectors import lead_types

    return [(row.public_id, f"{row.category.name}: {row.name}") for row in lead_types(tenant=tenant)]


def sample_lead_type(*, tenant: Any, public_id: str) -> payloads.SampleLeadType:
    """The tenant's lead type `public_id` with its category's fields; another tenant's id is NotFound."""
    from juiced.leads.setup_selectors import category_field_specs, lead_type_get

    lead_type = lead_type_get(tenant=tenant, public_id=public_id)
    if lead_type.archived_at is not None:
        raise NotFound("No such lead type.")
    return payloads.SampleLeadType(
        name=lead_type.name, fields=tuple(category_field_specs(lead_type.category))
    )
