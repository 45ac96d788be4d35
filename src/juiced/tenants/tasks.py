"""Background jobs for accounts: e-mail goes out through Django's mail framework from the worker."""

from __future__ import annotations

from django.core.mail import send_mail
from django_tasks import task


@task()
def send_email(*, to: str, subject: str, body: str) -> int:
    """Send one plain-text e-mail; a failure leaves the task FAILED with its traceback for a retry."""
    return send_mail(subject, body, None, [to], fail_silently=False)
