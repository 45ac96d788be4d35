"""Background jobs for accounts: e-mail goes out through Django's mail framework from the worker."""

from __future__ import annotations

import smtplib

from django.core.mail import send_mail

from juiced.core.jobs import PermanentFailure, background_job


@background_job(max_attempts=5, base_delay=30.0, label="Send e-mail")
def send_email(*, to: str, subject: str, body: str, tenant_id: int | None = None) -> int:
    """Send one plain-text e-mail; retried with backoff, except when the server refuses the address."""
    try:
        return send_mail(subject, body, None, [to], fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        answers = list(exc.recipients.values())
        if answers and all(500 <= code < 600 for code, _message in answers):
            raise PermanentFailure(
                f"The mail server refused {to}: {answers[0][0]} {answers[0][1]!r}"
            ) from exc
        raise
