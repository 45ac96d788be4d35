"""send_email is a retried background job: sent over real SMTP (aiosmtpd), retried when the server is
unreachable, final at once when the server refuses the address, and tagged with its tenant."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from juiced.core.jobs import job_attempt
from juiced.tenants.services import invite_create
from juiced.tenants.tasks import send_email

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """Accepts mail for anyone except addresses at nowhere.test, which it refuses with 550."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.endswith("@nowhere.test"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf8", errors="replace")))
        return "250 Message accepted for delivery"


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def inbox(settings):
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    use_smtp(settings, port)
    try:
        yield handler
    finally:
        controller.stop()


def rows() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=send_email.module_path).order_by("enqueued_at"))


def test_the_worker_sends_the_email_over_smtp(inbox, run_tasks, tenant_a):
    send_email.enqueue(to="ops@acmeins.test", subject="Hello", body="Your lead is in.", tenant_id=tenant_a.pk)

    run_tasks()

    [(recipients, content)] = inbox.messages
    assert recipients == ["ops@acmeins.test"]
    assert "Subject: Hello" in content and "Your lead is in." in content
    [row] = rows()
    assert row.status == TaskResultStatus.SUCCESSFUL


def test_an_unreachable_mail_server_is_retried_with_backoff(settings, run_tasks, tenant_a):
    use_smtp(settings, free_port())  # nothing listens there
    before = timezone.now()

    send_email.enqueue(to="ops@acmeins.test", subject="Hello", body="b", tenant_id=tenant_a.pk)
    run_tasks()

    failed, retry = rows()
    assert failed.status == TaskResultStatus.FAILED
    assert failed.exception_class_path == "builtins.ConnectionRefusedError"
    assert retry.status == TaskResultStatus.READY
    assert job_attempt(retry.args_kwargs["kwargs"]) == 2
    assert retry.args_kwargs["kwargs"]["tenant_id"] == tenant_a.pk
    assert (retry.run_after - before).total_seconds() >= 30  # send_email's base delay


def test_a_refused_address_is_a_permanent_failure(inbox, run_tasks, tenant_a):
    send_email.enqueue(to="ghost@nowhere.test", subject="Hello", body="b", tenant_id=tenant_a.pk)

    run_tasks()

    [row] = rows()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "juiced.core.jobs.PermanentFailure"
    assert "550" in row.traceback and "ghost@nowhere.test" in row.traceback
    assert inbox.messages == []


def test_an_invitation_email_is_queued_with_its_tenant(inbox, run_tasks, tenant_a, alice):
    invite_create(tenant=tenant_a, actor=alice, email="new.hire@acme.test", role="sales")

    [row] = rows()
    assert row.args_kwargs["kwargs"]["tenant_id"] == tenant_a.pk
    run_tasks()
    [(recipients, _content)] = inbox.messages
    assert recipients == ["new.hire@acme.test"]
