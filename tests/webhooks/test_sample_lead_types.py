"""Customer webhooks' "Send test": "The test generates sample data based on the lead type you select" (seed
000, Webhooks). The menu offers the tenant's real lead types; the sample lead carries the chosen type's
name and its category's custom fields; the body reaches a real HTTP receiver; another tenant's lead type
is refused everywhere (page, API, service) and nothing is queued."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from juiced.core.errors import ValidationFailed
from juiced.webhooks.models import WebhookDelivery
from juiced.webhooks.services import webhook_test_send
from juiced.webhooks.signing import signature_verify
from juiced.webhooks.tasks import webhook_deliver
from tests.api.conftest import assert_error, call
from tests.web.conftest import customer_url

pytestmark = pytest.mark.django_db


def delivered_body(receiver, delivery: WebhookDelivery, secret: str) -> dict:
    """Run the delivery job once (as the worker does) and return the signed JSON the receiver got."""
    webhook_deliver.func(tenant_id=delivery.tenant_id, delivery_id=delivery.pk, attempt=1, force=True)
    (received,) = receiver.wait_for(1)
    assert signature_verify(secret=secret, header=received.headers["Juiced-Signature"], body=received.body)
    return json.loads(received.body)


def test_the_test_menu_offers_the_tenants_own_lead_types(
    login_client, alice, buyer, acme_customer, customer_hook, premium_homes, bolt_trucks
):
    endpoint, _ = customer_hook
    pages = [
        (login_client(alice), customer_url(acme_customer, f"webhooks/{endpoint.public_id}/")),
        (login_client(buyer), f"/app/webhooks/{endpoint.public_id}/"),
    ]
    for client, url in pages:
        html = client.get(url).content.decode()
        assert f'value="{premium_homes.public_id}"' in html and "Home insurance: Premium homes" in html
        assert "Generic lead" in html
        assert bolt_trucks.public_id not in html and "Long haul" not in html
        assert "auto_insurance" not in html  # the old made-up sample types are gone


def test_send_test_from_the_page_delivers_the_chosen_types_sample_lead_over_http(
    login_client, buyer, customer_hook, premium_homes, receiver
):
    endpoint, secret = customer_hook
    client = login_client(buyer)
    endpoint.payload_template = ""  # the default payload: the whole lead
    endpoint.save(update_fields=["payload_template"])
    response = client.post(
        f"/app/webhooks/{endpoint.public_id}/test/", {"lead_type": premium_homes.public_id}
    )
    assert response.status_code == 302
    body = delivered_body(receiver, WebhookDelivery.objects.get(), secret)
    lead = body["lead"]
    assert body["event"] == "lead.assigned"
    assert lead["lead_type"] == {"key": "premium_homes", "name": "Premium homes"}
    assert lead["first_name"] == "Jane" and lead["zip"] == "62701"  # base fields
    assert lead["details"] == {
        "roof_age": 3,
        "homeowner": True,
        "home_value": "1500.00",
        "move_in": "2026-01-15",
        "coverage": "Basic",
        "extras": ["Flood", "Fire"],
        "agent_email": "sample@example.com",
        "listing": "https://example.com",
        "notes": "Sample Notes",
    }


def test_a_payload_template_reads_the_sample_custom_fields(customer_hook, alice, premium_homes, receiver):
    endpoint, secret = customer_hook
    endpoint.payload_template = (
        '{"type": "{{ lead.lead_type.name }}", "roof": {{ lead.details.roof_age }}, '
        '"extras": {{ lead.details.extras }}}'
    )
    endpoint.save(update_fields=["payload_template"])
    delivery = webhook_test_send(endpoint=endpoint, lead_type=premium_homes.public_id)
    assert delivered_body(receiver, delivery, secret) == {
        "type": "Premium homes",
        "roof": 3,
        "extras": ["Flood", "Fire"],
    }


def test_a_tenant_webhook_test_event_carries_the_chosen_lead_type(tenant_hook, premium_homes, receiver):
    endpoint, secret = tenant_hook
    delivery = webhook_test_send(endpoint=endpoint, lead_type=premium_homes.public_id)
    body = delivered_body(receiver, delivery, secret)
    assert body["type"] == "webhook.test"
    assert body["data"]["lead"]["lead_type"]["name"] == "Premium homes"
    assert body["data"]["lead"]["details"]["coverage"] == "Basic"


def test_another_tenants_lead_type_is_refused_by_the_service(customer_hook, bolt_trucks, premium_homes):
    endpoint, _ = customer_hook
    for refused in (bolt_trucks.public_id, "ltype_nope"):
        with pytest.raises(ValidationFailed) as error:
            webhook_test_send(endpoint=endpoint, lead_type=refused)
        assert error.value.fields["lead_type"] == ["Choose one of this marketplace's lead types."]
    premium_homes.archived_at = timezone.now()
    premium_homes.save(update_fields=["archived_at"])
    with pytest.raises(ValidationFailed):
        webhook_test_send(endpoint=endpoint, lead_type=premium_homes.public_id)
    assert not WebhookDelivery.objects.exists()


def test_another_tenants_lead_type_is_refused_by_the_page(
    login_client, alice, acme_customer, customer_hook, bolt_trucks
):
    endpoint, _ = customer_hook
    url = customer_url(acme_customer, f"webhooks/{endpoint.public_id}/")
    client = login_client(alice)
    response = client.post(url + "test/", {"lead_type": bolt_trucks.public_id}, follow=True)
    assert "Choose one of this marketplace&#x27;s lead types." in response.content.decode()
    assert not WebhookDelivery.objects.exists()


def test_another_tenants_lead_type_is_refused_by_the_api(
    alice_api, acme_customer, customer_hook, bolt_trucks
):
    endpoint, _ = customer_hook
    path = f"/customers/{acme_customer.public_id}/webhooks/{endpoint.public_id}/test"
    assert_error(
        call(alice_api, "post", path, {"lead_type": bolt_trucks.public_id}), 422, "invalid", "lead_type"
    )
    assert not WebhookDelivery.objects.exists()
