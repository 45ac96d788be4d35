"""Existing events that send notifications: customer state changes (customers.signals.customer_changed)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from juiced.customers.signals import customer_changed
from juiced.notifications.models import NotificationType
from juiced.notifications.services import notify

KIND_TO_TYPE = {
    "paused": NotificationType.ACCOUNT_PAUSED,
    "unpaused": NotificationType.ACCOUNT_UNPAUSED,
    "archived": NotificationType.ACCOUNT_ARCHIVED,
    "restored": NotificationType.ACCOUNT_RESTORED,
}


@receiver(customer_changed, dispatch_uid="notifications.customer_changed")
def on_customer_changed(sender: Any, *, customer: Any, kind: str, **kwargs: Any) -> None:
    notification_type = KIND_TO_TYPE.get(kind)
    if notification_type is not None:
        notify(customer=customer, type=notification_type, context={})
