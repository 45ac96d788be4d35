"""Tenant webhook events from the customer and wallet signals (connected in WebhooksConfig.ready)."""

from __future__ import annotations

from typing import Any

from juiced.webhooks import payloads
from juiced.webhooks.models import WebhookEvent
from juiced.webhooks.services import webhook_emit_lazily


def on_customer_changed(sender: Any, *, customer: Any, kind: str, changes: Any = None, **_: Any) -> None:
    """created → customer.created; paused, archived, edited… → customer.updated (with the kind of change)."""
    event = WebhookEvent.CUSTOMER_CREATED if kind == "created" else WebhookEvent.CUSTOMER_UPDATED
    webhook_emit_lazily(
        tenant_id=customer.tenant_id,
        event=event.value,
        build=lambda: payloads.customer_data(customer, change=kind, changed=list(changes or {})),
    )


def on_transaction_posted(sender: Any, *, transaction: Any, wallet: Any, **_: Any) -> None:
    """Every wallet transaction → transaction.created (one cheap query when nobody listens)."""

    def build() -> dict[str, Any]:
        return payloads.transaction_data(
            transaction, customer_public_id=wallet.customer.public_id, currency=wallet.currency
        )

    webhook_emit_lazily(tenant_id=wallet.tenant_id, event=WebhookEvent.TRANSACTION_CREATED.value, build=build)
