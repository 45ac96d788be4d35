"""The signed Stripe webhook: verified per tenant, applied once, replays and tampering ignored."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request

import pytest
import stripe
from django.db import connection
from django.test import Client

from juiced.payments.models import Payment, StripeEvent
from juiced.payments.services import deposit_create, payment_succeed
from juiced.wallets.models import Transaction
from tests.payments.conftest import WEBHOOK_SECRET


def event_payload(
    payment: Payment, *, event_id: str = "evt_1", kind: str = "payment_intent.succeeded"
) -> bytes:
    intent = {
        "id": payment.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": payment.total,
        "currency": payment.currency.lower(),
        "metadata": {"juiced_payment": payment.public_id},
        "last_payment_error": {"message": "Your card has insufficient funds."} if "failed" in kind else None,
    }
    return json.dumps({"id": event_id, "object": "event", "type": kind, "data": {"object": intent}}).encode()


def signed(payload: bytes, secret: str = WEBHOOK_SECRET) -> str:
    timestamp = int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{payload.decode()}", secret)
    return f"t={timestamp},v1={signature}"


def post(payload: bytes, signature: str, slug: str = "acme-leads"):
    return Client().post(
        f"/webhooks/stripe/{slug}/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def pending_payment(customer, card, intent_id: str = "pi_pending_1") -> Payment:
    """A charge whose API answer never arrived (the connection dropped): only the webhook settles it."""
    return Payment.objects.create(
        tenant=customer.tenant,
        customer=customer,
        amount=5000,
        fee=150,
        currency="USD",
        payment_method=card,
        card_label=card.label,
        stripe_payment_intent_id=intent_id,
    )


def balance(customer) -> int:
    customer.wallet.refresh_from_db()
    return customer.wallet.balance


@pytest.mark.django_db
def test_signed_success_credits_a_pending_payment_once_and_replays_are_ignored(visa, acme_customer):
    payment = pending_payment(acme_customer, visa)
    payload = event_payload(payment)
    first = post(payload, signed(payload))
    assert first.status_code == 200 and first.json()["outcome"] == "credited"
    again = post(payload, signed(payload))
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    # A new event id for the same intent (Stripe resends) credits nothing either.
    other = event_payload(payment, event_id="evt_2")
    assert post(other, signed(other)).json()["outcome"] == "credited"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert balance(acme_customer) == 5000
    assert Transaction.objects.filter(related_id=payment.public_id).count() == 1


@pytest.mark.django_db
def test_webhook_after_the_api_response_credits_nothing_more(visa, acme_customer, buyer):
    payment, _ = deposit_create(customer=acme_customer, amount=2000, actor=buyer)
    payload = event_payload(payment, event_id="evt_after_api")
    assert post(payload, signed(payload)).status_code == 200
    assert balance(acme_customer) == 2000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    ["payload", "secret", "missing", "old"],
)
def test_a_tampered_or_unsigned_event_is_400_and_credits_nothing(tamper, visa, acme_customer):
    payment = pending_payment(acme_customer, visa)
    payload = event_payload(payment)
    signature = signed(payload)
    if tamper == "payload":
        payload = payload.replace(b'"amount": 5150', b'"amount": 9999')
    elif tamper == "secret":
        signature = signed(payload, "whsec_somebody_else")
    elif tamper == "missing":
        signature = ""
    else:
        old = int(time.time()) - 3600
        signature = f"t={old},v1=" + stripe.WebhookSignature._compute_signature(
            f"{old}.{payload.decode()}", WEBHOOK_SECRET
        )
    response = post(payload, signature)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert balance(acme_customer) == 0
    assert not StripeEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


@pytest.mark.django_db
def test_another_tenants_secret_does_not_open_this_tenants_webhook(visa, acme_customer, tenant_b, bob):
    from juiced.payments.services import payment_settings_update

    payment_settings_update(tenant=tenant_b, actor=bob, data={"webhook_secret": "whsec_bolt"})
    payment = pending_payment(acme_customer, visa)
    payload = event_payload(payment)
    assert (
        post(payload, signed(payload, "whsec_bolt"), slug="bolt-leads").json()["outcome"] == "unknown payment"
    )
    assert post(payload, signed(payload, "whsec_bolt")).status_code == 400
    assert balance(acme_customer) == 0


@pytest.mark.django_db
def test_unknown_tenant_is_404(db):
    assert post(b"{}", "t=1,v1=x", slug="nobody").status_code == 404


@pytest.mark.django_db
def test_payment_failed_event_records_the_message(visa, acme_customer):
    payment = pending_payment(acme_customer, visa)
    payload = event_payload(payment, kind="payment_intent.payment_failed")
    assert post(payload, signed(payload)).json()["outcome"] == "failed"
    payment.refresh_from_db()
    assert (payment.status, payment.failure_message) == ("failed", "Your card has insufficient funds.")
    assert balance(acme_customer) == 0


@pytest.mark.django_db
def test_an_event_whose_amount_differs_from_the_payment_is_ignored(visa, acme_customer):
    payment = pending_payment(acme_customer, visa)
    payment.fee = 0
    payload = event_payload(payment)  # amount 5000, while 5150 was charged
    assert post(payload, signed(payload)).json()["outcome"] == "unknown payment"
    assert balance(acme_customer) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_webhook_and_api_response_racing_credit_once(visa, acme_customer):
    for round_number in range(5):
        payment = pending_payment(acme_customer, visa, intent_id=f"pi_race_{round_number}")
        payload = event_payload(payment, event_id=f"evt_race_{round_number}")
        signature = signed(payload)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def by_webhook(payload=payload, signature=signature, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                assert post(payload, signature).status_code == 200
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        def by_api_response(payment=payment, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                payment_succeed(payment_id=payment.pk, intent_id=payment.stripe_payment_intent_id)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=by_webhook), threading.Thread(target=by_api_response)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert Transaction.objects.filter(related_id=payment.public_id).count() == 1
    assert balance(acme_customer) == 5 * 5000


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_a_signed_event_that_we_accept(
    live_server, visa, acme_customer, buyer, localstripe_url
):
    """End to end: localstripe signs and posts payment_intent.succeeded to our server after the charge."""
    hook_id = f"acme{int(time.time() * 1000)}"
    form = urllib.parse.urlencode(
        {
            "url": f"{live_server.url}/webhooks/stripe/acme-leads/",
            "secret": WEBHOOK_SECRET,
            "events[]": "payment_intent.succeeded",
        }
    ).encode()
    urllib.request.urlopen(urllib.request.Request(f"{localstripe_url}/_config/webhooks/{hook_id}", data=form))
    try:
        payment, _ = deposit_create(customer=acme_customer, amount=2000, actor=buyer)
        deadline = time.monotonic() + 10
        while not StripeEvent.objects.filter(type="payment_intent.succeeded").exists():
            assert time.monotonic() < deadline, "localstripe's webhook did not arrive"
            time.sleep(0.2)
    finally:
        # localstripe cannot delete a webhook: narrow it to an event that never happens.
        quiet = urllib.parse.urlencode(
            {"url": live_server.url, "secret": "x", "events[]": "never.sent"}
        ).encode()
        urllib.request.urlopen(
            urllib.request.Request(f"{localstripe_url}/_config/webhooks/{hook_id}", data=quiet)
        )
    assert Transaction.objects.filter(related_id=payment.public_id).count() == 1
    assert balance(acme_customer) == 2000
