"""Sending through the real channels: SMTP (aiosmtpd) and Twilio's HTTP API (a local server)."""

from __future__ import annotations

import pytest

from juiced.core.crypto import decrypt_secret
from juiced.core.errors import ValidationFailed
from juiced.notifications.models import ChannelSettings, Notification
from juiced.notifications.services import (
    channel_settings_save,
    contact_create,
    contact_test_send,
    notify,
)

from .conftest import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


def test_email_is_sent_over_smtp(smtp_server, acme_customer, alice, tenant_a, run_tasks):
    channel_settings_save(tenant=tenant_a, actor=alice, data={"email_from": "alerts@acme-leads.test"})
    contact_create(customer=acme_customer, actor=alice, data={"kind": "email", "value": "ops@acmeins.test"})
    notify(
        customer=acme_customer,
        type="payment_failed",
        context={"payment": {"amount": 5000, "method": "Visa •••• 0341", "error": "Card declined"}},
    )
    run_tasks()
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["from"] == "alerts@acme-leads.test"
    assert message["to"] == ["ops@acmeins.test"]
    assert "Subject: Payment of $50.00 failed" in message["data"]
    assert "Card declined" in message["data"]
    row = Notification.objects.get(channel="email")
    assert row.status == Notification.Status.SENT and row.sent_at is not None and row.attempts == 1


def test_sms_is_sent_through_twilio(sms_tenant, twilio_server, acme_customer, alice, run_tasks):
    contact_create(customer=acme_customer, actor=alice, data={"kind": "phone", "value": "+1 (555) 555-0123"})
    notify(customer=acme_customer, type="account_paused", context={})
    run_tasks()
    assert len(twilio_server.requests) == 1
    request = twilio_server.requests[0]
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request["auth"] == f"{TWILIO_SID}:{TWILIO_TOKEN}"
    assert request["form"]["To"] == "+15555550123"
    assert request["form"]["From"] == TWILIO_FROM
    assert request["form"]["Body"] == "Acme Leads: your account is paused; no leads until it is unpaused."
    row = Notification.objects.get(channel="sms")
    assert row.status == Notification.Status.SENT and row.provider_id == "SM" + "1".zfill(32)


def test_twilio_refusal_is_recorded_as_a_permanent_failure(
    sms_tenant, twilio_server, acme_customer, alice, run_tasks
):
    twilio_server.status = 400
    contact = contact_create(
        customer=acme_customer, actor=alice, data={"kind": "phone", "value": "+15555550123"}
    )
    contact_test_send(contact=contact, actor=alice)
    run_tasks()
    row = Notification.objects.get(type="test")
    assert row.status == Notification.Status.FAILED
    assert "Invalid 'To' Phone Number" in row.error


def test_smtp_down_marks_failed_and_schedules_a_retry(settings, acme_customer, alice, run_tasks):
    from django_tasks_db.models import DBTaskResult

    from .conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    contact = contact_create(
        customer=acme_customer, actor=alice, data={"kind": "email", "value": "a@acme.test"}
    )
    notify(customer=acme_customer, type="account_unpaused", context={})  # never raises
    contact_test_send(contact=contact, actor=alice)
    run_tasks()
    rows = Notification.objects.filter(channel="email")
    assert {r.status for r in rows} == {Notification.Status.FAILED}
    assert all("Connection refused" in r.error or "Errno" in r.error for r in rows)
    # each failed attempt re-enqueued itself for later (attempt 2)
    assert DBTaskResult.objects.filter(status="READY").count() == 2


def test_test_send_email(smtp_server, acme_customer, alice, run_tasks):
    contact = contact_create(
        customer=acme_customer, actor=alice, data={"kind": "email", "value": "t@acme.test"}
    )
    contact_test_send(contact=contact, actor=alice)
    run_tasks()
    assert smtp_server.messages[0]["to"] == ["t@acme.test"]
    assert "Subject: Test message from Acme Leads" in smtp_server.messages[0]["data"]


def test_phone_contacts_need_twilio(acme_customer, alice):
    with pytest.raises(ValidationFailed) as err:
        contact_create(customer=acme_customer, actor=alice, data={"kind": "phone", "value": "+15555550123"})
    assert "Twilio" in err.value.fields["kind"][0]


def test_auth_token_is_encrypted_and_kept_when_blank(sms_tenant, alice):
    row = ChannelSettings.objects.get(tenant=sms_tenant)
    assert TWILIO_TOKEN not in row.twilio_auth_token_encrypted
    assert decrypt_secret(row.twilio_auth_token_encrypted) == TWILIO_TOKEN
    channel_settings_save(tenant=sms_tenant, actor=alice, data={"twilio_auth_token": "", "email_from": ""})
    row.refresh_from_db()
    assert decrypt_secret(row.twilio_auth_token_encrypted) == TWILIO_TOKEN
