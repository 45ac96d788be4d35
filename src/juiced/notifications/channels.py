"""Delivery over the real channels: e-mail through Django's mail framework, SMS through the twilio library."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from juiced.core.jobs import PermanentFailure
from juiced.notifications.models import ChannelSettings, Notification


class RebasedTwilioHttpClient(TwilioHttpClient):
    """Sends Twilio's requests to `base_url` (scheme and host) instead of api.twilio.com (tests, proxies)."""

    def __init__(self, base_url: str = "", **kwargs: Any) -> None:
        super().__init__(timeout=kwargs.pop("timeout", 10), **kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # noqa: ANN201
        if self.base_url:
            base = urlsplit(self.base_url)
            parts = urlsplit(url)
            url = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


def send_email(notification: Notification, channel_settings: ChannelSettings) -> str:
    """Send one e-mail; returns a provider id (empty for SMTP)."""
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=channel_settings.email_from or settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        connection=get_connection(fail_silently=False),
    )
    message.send()
    return ""


def send_sms(notification: Notification, channel_settings: ChannelSettings, *, auth_token: str) -> str:
    """Send one SMS with Twilio; returns the message SID. A 4xx from Twilio is a permanent failure."""
    if not channel_settings.sms_configured:
        raise PermanentFailure("SMS is not configured for this marketplace.")
    client = Client(
        channel_settings.twilio_account_sid,
        auth_token,
        http_client=RebasedTwilioHttpClient(channel_settings.twilio_base_url),
    )
    try:
        message = client.messages.create(
            to=notification.recipient, from_=channel_settings.twilio_from_number, body=notification.body
        )
    except TwilioRestException as exc:
        if 400 <= exc.status < 500 and exc.status != 429:
            raise PermanentFailure(f"Twilio refused the message ({exc.status}): {exc.msg}") from exc
        raise
    return message.sid or ""
