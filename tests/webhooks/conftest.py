"""Webhook test fixtures: a live local receiver, tenant A's testing flag, and ready-made webhooks."""

from __future__ import annotations

import pytest

from juiced.webhooks.services import webhook_create, webhook_settings_update
from tests.api.conftest import alice_api, bob_api, role_api  # noqa: F401 (API client fixtures)
from tests.webhooks.receiver import start_receiver


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def private_allowed(tenant_a, alice):
    """Tenant A has 'allow private webhook addresses (testing)' on, so 127.0.0.1 receivers are accepted."""
    webhook_settings_update(tenant=tenant_a, actor=alice, allow_private_addresses=True)
    return tenant_a


@pytest.fixture
def tenant_hook(private_allowed, alice, receiver):
    """(endpoint, secret): tenant A's webhook to the receiver for customer and transaction events."""
    return webhook_create(
        tenant=private_allowed,
        actor=alice,
        data={
            "name": "CRM sync",
            "url": receiver.url,
            "events": ["customer.created", "customer.updated", "transaction.created"],
        },
    )


@pytest.fixture
def customer_hook(private_allowed, alice, acme_customer, receiver):
    """(endpoint, secret): acme_customer's lead webhook to the receiver, with a payload template."""
    template = (
        '{"lead": {{ lead.public_id }}, "name": "{{ lead.first_name }} {{ lead.last_name }}", '
        '"price": {{ lead.price }}, "buyer": {{ customer.name }}}'
    )
    return webhook_create(
        tenant=private_allowed,
        actor=alice,
        customer=acme_customer,
        data={"name": "Acme CRM", "url": receiver.url, "payload_template": template},
    )
