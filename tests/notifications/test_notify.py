"""notify(): records per contact and channel, in-app rows, hidden types, customer state events."""

from __future__ import annotations

import pytest

from juiced.customers.services import customer_pause
from juiced.notifications.models import Channel, Contact, Notification, NotificationType
from juiced.notifications.services import contact_create, notify, template_save

pytestmark = pytest.mark.django_db


def test_notify_records_in_app_and_email_rows(acme_customer, alice, django_capture_on_commit_callbacks):
    contact_create(customer=acme_customer, actor=alice, data={"kind": "email", "value": "Ops@Acme.test"})
    with django_capture_on_commit_callbacks() as callbacks:
        notify(
            customer=acme_customer,
            type=NotificationType.PAYMENT_SUCCESSFUL,
            context={"payment": {"amount": 12345, "method": "Visa •••• 4242"}},
        )
    rows = list(Notification.objects.filter(customer=acme_customer).order_by("channel"))
    assert [r.channel for r in rows] == [Channel.EMAIL, Channel.IN_APP]
    email = rows[0]
    assert email.recipient == "ops@acme.test"
    assert email.subject == "Payment of $123.45 received"
    assert "Hello Acme Insurance" in email.body and "Visa •••• 4242" in email.body
    assert email.status == Notification.Status.QUEUED
    assert rows[1].status == Notification.Status.SENT
    assert len(callbacks) == 1  # one send queued, for the e-mail


def test_hidden_type_and_contact_toggle_off(acme_customer, alice, tenant_a):
    contact = contact_create(
        customer=acme_customer,
        actor=alice,
        data={"kind": "email", "value": "a@acme.test", "preferences": {"outbid": False}},
    )
    assert isinstance(contact, Contact) and contact.public_id.startswith("con_")
    notify(customer=acme_customer, type="outbid", context={})
    assert list(Notification.objects.values_list("channel", flat=True)) == ["in_app"]
    template_save(tenant=tenant_a, actor=alice, notification_type="bid_matched", data={"visible": False})
    notify(customer=acme_customer, type="bid_matched", context={})
    assert Notification.objects.filter(type="bid_matched").count() == 0


def test_unknown_type_is_a_programming_error(acme_customer):
    with pytest.raises(ValueError):
        notify(customer=acme_customer, type="nope", context={})


def test_pausing_a_customer_notifies(acme_customer, alice):
    contact_create(customer=acme_customer, actor=alice, data={"kind": "email", "value": "a@acme.test"})
    customer_pause(customer=acme_customer, actor=alice)
    types = set(Notification.objects.filter(customer=acme_customer).values_list("type", "channel"))
    assert types == {("account_paused", "in_app"), ("account_paused", "email")}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_records_and_queues_nothing(acme_customer, alice):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    contact_create(customer=acme_customer, actor=alice, data={"kind": "email", "value": "a@acme.test"})
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(customer=acme_customer, type="payment_successful", context={"payment": {"amount": 100}})
        assert Notification.objects.count() == 2
        raise RuntimeError("the payment failed after all")
    assert Notification.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    notify(customer=acme_customer, type="payment_successful", context={"payment": {"amount": 100}})
    assert DBTaskResult.objects.count() == 1  # outside a transaction: queued at once
