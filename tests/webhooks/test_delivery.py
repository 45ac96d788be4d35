"""Deliveries over real HTTP to a local receiver: signed envelopes, retries with backoff on 5xx and
timeouts, 4xx final, every attempt logged, resend, customer payload templates and test sends."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from juiced.core.jobs import PermanentFailure
from juiced.customers.services import customer_create, customer_pause
from juiced.wallets.services import wallet_credit
from juiced.webhooks.models import WebhookAttempt, WebhookDelivery
from juiced.webhooks.services import (
    MAX_ATTEMPTS,
    customer_webhooks_send,
    webhook_delivery_resend,
    webhook_emit,
    webhook_secret_rotate,
    webhook_test_send,
    webhook_update,
)
from juiced.webhooks.signing import signature_verify
from juiced.webhooks.tasks import DeliveryFailed, webhook_deliver

pytestmark = pytest.mark.django_db

TASK_PATH = "juiced.webhooks.tasks.webhook_deliver"


def queued_jobs() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=TASK_PATH).order_by("enqueued_at"))


def deliver(delivery: WebhookDelivery, attempt: int = 1, force: bool = False):
    """Run the job body once, as the worker would for that attempt number."""
    return webhook_deliver.func(
        tenant_id=delivery.tenant_id, delivery_id=delivery.pk, attempt=attempt, force=force
    )


def verified(received, secret: str) -> dict:
    assert signature_verify(secret=secret, header=received.headers["Juiced-Signature"], body=received.body)
    return json.loads(received.body)


def new_customer(tenant, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return customer_create(
            tenant=tenant, actor=actor, data={"name": "Zed Roofing", "email": "z@zed.test"}
        )


def test_customer_created_is_queued_on_commit_signed_and_delivered(
    tenant_hook, alice, receiver, django_capture_on_commit_callbacks
):
    endpoint, secret = tenant_hook
    customer = new_customer(endpoint.tenant, alice, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    job = queued_jobs()[0]
    assert job.args_kwargs["kwargs"] == {
        "tenant_id": endpoint.tenant_id,
        "delivery_id": delivery.pk,
        "force": False,
    }
    assert deliver(delivery) == "delivered: HTTP 200"

    (received,) = receiver.requests
    body = verified(received, secret)
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Juiced-Event"] == "customer.created"
    assert received.headers["Juiced-Delivery"] == delivery.public_id
    assert body["id"].startswith("evt_") and body["type"] == "customer.created"
    assert isinstance(body["created"], int)
    assert body["data"]["object"]["id"] == customer.public_id
    assert body["data"]["object"]["name"] == "Zed Roofing"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.delivered_at
    attempt = WebhookAttempt.objects.get()
    assert (attempt.number, attempt.status_code, attempt.response_excerpt) == (1, 200, '{"ok": true}')
    assert attempt.request_headers["Juiced-Signature"] == received.headers["Juiced-Signature"]


def test_a_rolled_back_change_queues_nothing(tenant_hook, alice, django_capture_on_commit_callbacks):
    endpoint, _secret = tenant_hook
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        customer_create(tenant=endpoint.tenant, actor=alice, data={"name": "Zed", "email": "z@zed.test"})
    # The row is written in the caller's transaction; the job only after commit (a callback here).
    assert WebhookDelivery.objects.count() == 1
    assert len(callbacks) == 1 and not queued_jobs()


def test_a_transaction_sends_cents_currency_and_public_ids(
    tenant_hook, acme_customer, alice, receiver, django_capture_on_commit_callbacks
):
    endpoint, secret = tenant_hook
    with django_capture_on_commit_callbacks(execute=True):
        txn, _ = wallet_credit(wallet=acme_customer.wallet, amount=12_34, description="Top-up", actor=alice)

    delivery = WebhookDelivery.objects.get(event_type="transaction.created")
    deliver(delivery)
    data = verified(receiver.requests[0], secret)["data"]["object"]
    assert data == {
        **data,
        "id": txn.public_id,
        "object": "transaction",
        "customer": acme_customer.public_id,
        "event": "funds_added_by_tenant",
        "amount": 1234,
        "currency": "usd",
        "balance_after": 1234,
        "available_after": 1234,
        "description": "Top-up",
    }


def test_pausing_a_customer_sends_customer_updated_with_the_kind(tenant_hook, acme_customer, alice, receiver):
    endpoint, secret = tenant_hook
    customer_pause(customer=acme_customer, actor=alice)

    delivery = WebhookDelivery.objects.get(event_type="customer.updated")
    deliver(delivery)
    body = verified(receiver.requests[0], secret)
    assert body["data"]["change"] == "paused" and body["data"]["object"]["paused"] is True


def test_only_active_subscribed_webhooks_get_an_event(tenant_hook, alice, acme_customer):
    endpoint, _ = tenant_hook
    webhook_update(endpoint=endpoint, actor=alice, data={"events": ["lead.created"]})
    wallet_credit(wallet=acme_customer.wallet, amount=500, description="x", actor=alice)
    assert not WebhookDelivery.objects.filter(event_type="transaction.created").exists()

    webhook_update(endpoint=endpoint, actor=alice, data={"is_active": False})
    assert webhook_emit(tenant=endpoint.tenant, event="lead.created", data={"lead": {"id": "lead_x"}}) == []

    webhook_update(endpoint=endpoint, actor=alice, data={"is_active": True})
    (delivery,) = webhook_emit(tenant=endpoint.tenant, event="lead.created", data={"lead": {"id": "lead_x"}})
    assert json.loads(delivery.body)["data"] == {"lead": {"id": "lead_x"}}


def test_emit_refuses_an_unknown_event(tenant_a):
    with pytest.raises(ValueError):
        webhook_emit(tenant=tenant_a, event="lead.teleported", data={})


def test_a_500_is_retried_with_backoff_then_succeeds(tenant_hook, receiver):
    endpoint, secret = tenant_hook
    receiver.answer(500)
    (delivery,) = webhook_emit(tenant=endpoint.tenant, event="customer.created", data={"n": 1})

    before = timezone.now()
    with pytest.raises(DeliveryFailed, match="HTTP 500"):
        deliver(delivery, attempt=1)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert before + timedelta(seconds=59) < delivery.next_attempt_at < before + timedelta(seconds=62)
    (retry,) = queued_jobs()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert before + timedelta(seconds=59) < retry.run_after < before + timedelta(seconds=62)
    first = WebhookAttempt.objects.get()
    assert first.status_code == 500 and first.will_retry and len(first.response_excerpt) == 2048

    assert deliver(delivery, attempt=2) == "delivered: HTTP 200"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert [a.number for a in delivery.attempts.all()] == [1, 2]
    bodies = [r.body for r in receiver.requests]
    assert bodies[0] == bodies[1]  # the same event, signed afresh
    verified(receiver.requests[1], secret)


def test_a_timeout_is_retried(tenant_hook, receiver, settings):
    settings.JUICED_WEBHOOK_TIMEOUT = 0.3
    endpoint, _ = tenant_hook
    receiver.answer((200, 1.0))
    (delivery,) = webhook_emit(tenant=endpoint.tenant, event="customer.created", data={})

    with pytest.raises(DeliveryFailed, match="Timed out"):
        deliver(delivery)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.will_retry and 250 <= attempt.duration_ms < 1000


def test_a_connection_error_is_retried(tenant_hook, receiver, alice):
    endpoint, _ = tenant_hook
    receiver.close()  # nobody listens on that port any more
    (delivery,) = webhook_emit(tenant=endpoint.tenant, event="customer.created", data={})
    with pytest.raises(DeliveryFailed, match="Connection failed"):
        deliver(delivery)
    assert len(queued_jobs()) == 1


@pytest.mark.parametrize("status", [400, 404, 410, 302])
def test_4xx_and_redirects_are_final(tenant_hook, receiver, status):
    endpoint, _ = tenant_hook
    receiver.answer(status)
    (delivery,) = webhook_emit(tenant=endpoint.tenant, event="customer.created", data={})
    with pytest.raises(PermanentFailure):
        deliver(delivery)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.last_status_code == status
    assert not queued_jobs()
    assert len(receiver.requests) == 1


def test_the_last_attempt_is_final(tenant_hook, receiver):
    endpoint, _ = tenant_hook
    receiver.answer(*[503] * MAX_ATTEMPTS)
    (delivery,) = webhook_emit(tenant=endpoint.tenant, event="customer.created", data={})
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(DeliveryFailed):
            deliver(delivery, attempt=attempt)
    with pytest.raises(PermanentFailure):
        deliver(delivery, attempt=MAX_ATTEMPTS)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.attempt_count == MAX_ATTEMPTS
    assert len(queued_jobs()) == MAX_ATTEMPTS - 1  # one retry after each attempt but the last
    delays = [(j.run_after - j.enqueued_at).total_seconds() for j in queued_jobs()]
    assert [round(d / 60) for d in delays] == [1, 2, 4, 8]


def test_resend_starts_a_new_round_and_a_delivered_event_is_not_sent_twice(
    tenant_hook, receiver, alice, django_capture_on_commit_callbacks
):
    endpoint, _ = tenant_hook
    receiver.answer(410)
    (delivery,) = webhook_emit(tenant=endpoint.tenant, event="customer.created", data={})
    with pytest.raises(PermanentFailure):
        deliver(delivery)

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_resend(delivery=delivery, actor=alice)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.round_attempts == 0
    assert queued_jobs()[0].args_kwargs["kwargs"]["force"] is True
    deliver(delivery, force=True)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.attempt_count == 2

    assert deliver(delivery) == "skipped"  # a stale retry job finds it delivered
    assert len(receiver.requests) == 2


def test_a_paused_webhook_skips_queued_events_but_a_resend_goes(tenant_hook, receiver, alice):
    endpoint, _ = tenant_hook
    (delivery,) = webhook_emit(tenant=endpoint.tenant, event="customer.created", data={})
    webhook_update(endpoint=endpoint, actor=alice, data={"is_active": False})

    assert deliver(delivery) == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and "paused" in delivery.last_error
    assert receiver.requests == []
    webhook_delivery_resend(delivery=delivery, actor=alice)
    assert deliver(delivery, force=True).startswith("delivered")


def test_a_rotated_secret_signs_from_then_on(tenant_hook, receiver, alice):
    endpoint, old_secret = tenant_hook
    new_secret = webhook_secret_rotate(endpoint=endpoint, actor=alice)
    (delivery,) = webhook_emit(tenant=endpoint.tenant, event="customer.created", data={})
    deliver(delivery)
    (received,) = receiver.requests
    assert new_secret != old_secret
    assert signature_verify(
        secret=new_secret, header=received.headers["Juiced-Signature"], body=received.body
    )
    assert not signature_verify(
        secret=old_secret, header=received.headers["Juiced-Signature"], body=received.body
    )


# --- customer webhooks ------------------------------------------------------------------------------------


def test_a_lead_assignment_is_sent_through_the_customers_template(customer_hook, acme_customer, receiver):
    endpoint, secret = customer_hook
    lead = {"public_id": "lead_01abc", "first_name": 'Ann "A"', "last_name": "Lee", "price": 4200}
    (delivery,) = customer_webhooks_send(
        customer=acme_customer, event="lead.assigned", context={"lead": lead}
    )

    deliver(delivery)
    (received,) = receiver.requests
    assert received.headers["Juiced-Event"] == "lead.assigned"
    assert verified(received, secret) == {
        "lead": "lead_01abc",
        "name": 'Ann "A" Lee',
        "price": 4200,
        "buyer": "Acme Insurance",
    }


def test_a_customer_webhook_gets_only_its_customers_leads(customer_hook, acme_customer, bolt_customer):
    assert customer_webhooks_send(customer=bolt_customer, event="lead.assigned", context={"lead": {}}) == []
    # and tenant events never reach a customer webhook
    assert webhook_emit(tenant=acme_customer.tenant, event="lead.assigned", data={}) == []


def test_send_test_uses_sample_data_of_the_chosen_lead_type_even_when_paused(
    customer_hook, receiver, alice, premium_homes
):
    endpoint, secret = customer_hook
    endpoint = webhook_update(
        endpoint=endpoint,
        actor=alice,
        data={
            "is_active": False,
            "payload_template": '{"coverage": {{ lead.details.coverage }}, "e": {{ event }}}',
        },
    )
    delivery = webhook_test_send(endpoint=endpoint, lead_type=premium_homes.public_id)
    assert delivery.is_test
    deliver(delivery, force=True)
    (received,) = receiver.requests
    assert received.headers["Juiced-Test"] == "true"
    assert verified(received, secret) == {"coverage": "Basic", "e": "lead.assigned"}


def test_send_test_of_a_tenant_webhook_sends_a_test_event(tenant_hook, receiver):
    endpoint, secret = tenant_hook
    deliver(webhook_test_send(endpoint=endpoint), force=True)
    body = verified(receiver.requests[0], secret)
    assert body["type"] == "webhook.test" and body["data"]["test"] is True
    assert body["data"]["lead"]["lead_type"] == {"key": "generic_lead", "name": "Generic lead"}


# --- the real worker ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_after_commit(tenant_hook, alice, receiver, run_tasks):
    endpoint, secret = tenant_hook
    customer = customer_create(
        tenant=endpoint.tenant, actor=alice, data={"name": "Yak", "email": "y@yak.test"}
    )

    run_tasks()

    (received,) = receiver.wait_for(1)
    assert verified(received, secret)["data"]["object"]["id"] == customer.public_id
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED
