"""Background jobs of the vending app: sending VendingMessages (retried with backoff by core.jobs)."""

from __future__ import annotations

from django.utils import timezone

from juiced.core.jobs import PermanentFailure, background_job
from juiced.notifications import channels
from juiced.notifications.services import channel_settings_for, twilio_auth_token
from juiced.vending.models import VendingMessage


def _error_text(exc: BaseException) -> str:
    return (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:2000]


def _deliver(message: VendingMessage) -> str:
    """Send one message unless it was sent already; its status becomes sent, or failed with the error."""
    if message.status == VendingMessage.Status.SENT:
        return "already sent"
    VendingMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1)
    try:
        settings_row = channel_settings_for(message.tenant)
        if message.channel == VendingMessage.Channel.EMAIL:
            provider_id = channels.send_email(message, settings_row)
        elif message.channel == VendingMessage.Channel.SMS:
            provider_id = channels.send_sms(message, settings_row, auth_token=twilio_auth_token(settings_row))
        else:
            raise PermanentFailure(f"Nothing to send on channel {message.channel}.")
    except Exception as exc:
        VendingMessage.objects.filter(pk=message.pk).update(
            status=VendingMessage.Status.FAILED, error=_error_text(exc)
        )
        raise
    VendingMessage.objects.filter(pk=message.pk).update(
        status=VendingMessage.Status.SENT, error="", provider_id=provider_id, sent_at=timezone.now()
    )
    return "sent"


@background_job(max_attempts=5, base_delay=30.0, label="Send a vending receipt or message")
def send_vending_message(*, message_id: int, tenant_id: int) -> str:
    """Deliver message `message_id`; its status becomes sent, or failed with the error text."""
    message = (
        VendingMessage.objects.select_related("tenant").filter(pk=message_id, tenant_id=tenant_id).first()
    )
    if message is None:
        raise PermanentFailure(f"Vending message {message_id} no longer exists.")
    return _deliver(message)


@background_job(max_attempts=5, base_delay=30.0, label="Send vending receipts or messages")
def send_vending_messages(*, message_ids: list[int], tenant_id: int) -> str:
    """Deliver the messages of one sale or notice (SMS and e-mail) in one job.

    Each message is tried even when another fails; the job then fails with the first error (a retryable
    one first) and its retry sends only the messages not sent yet.
    """
    messages = list(
        VendingMessage.objects.select_related("tenant")
        .filter(pk__in=message_ids, tenant_id=tenant_id)
        .order_by("pk")
    )
    if not messages:
        raise PermanentFailure(f"Vending messages {message_ids} no longer exist.")
    outcomes: list[str] = []
    errors: list[Exception] = []
    for message in messages:
        try:
            outcomes.append(_deliver(message))
        except Exception as exc:
            errors.append(exc)
            outcomes.append("failed")
    # A retryable error wins over a permanent one, so the job is retried for the message it can still send.
    retryable = [exc for exc in errors if not isinstance(exc, PermanentFailure)]
    if retryable or errors:
        raise (retryable or errors)[0]
    return ", ".join(outcomes)
