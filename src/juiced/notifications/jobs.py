"""The background job that sends one recorded Notification (retried with backoff by core.jobs)."""

from __future__ import annotations

from django.utils import timezone

from juiced.core.jobs import PermanentFailure, background_job
from juiced.notifications import channels
from juiced.notifications.models import Channel, Notification
from juiced.notifications.services import channel_settings_for, twilio_auth_token


def _error_text(exc: BaseException) -> str:
    return (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:2000]


@background_job(max_attempts=5, base_delay=30.0)
def send_notification(*, notification_id: int, tenant_id: int) -> str:
    """Deliver notification `notification_id`; status becomes sent, or failed with the error text."""
    notification = Notification.objects.filter(pk=notification_id, tenant_id=tenant_id).first()
    if notification is None:
        raise PermanentFailure(f"Notification {notification_id} no longer exists.")
    if notification.status == Notification.Status.SENT:
        return "already sent"
    Notification.objects.filter(pk=notification.pk).update(attempts=notification.attempts + 1)
    try:
        settings_row = channel_settings_for(notification.tenant)
        if notification.channel == Channel.EMAIL:
            provider_id = channels.send_email(notification, settings_row)
        elif notification.channel == Channel.SMS:
            token = twilio_auth_token(settings_row)
            provider_id = channels.send_sms(notification, settings_row, auth_token=token)
        else:
            raise PermanentFailure(f"Nothing to send on channel {notification.channel}.")
    except Exception as exc:
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED, error=_error_text(exc)
        )
        raise
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENT, error="", provider_id=provider_id, sent_at=timezone.now()
    )
    return "sent"
