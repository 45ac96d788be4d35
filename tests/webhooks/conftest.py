"""Webhook test fixtures: a live local receiver, tenant A's testing flag, and ready-made webhooks."""

from __future__ import annotations

import pytest

from juiced.webhooks.services import webhook_create, webhook_settings_update
from tests.api.conftest import alice_api, bob_api, role_api  # noqa: F401 (API client fixtures)
from tests.leads.conftest import make_category, make_lead_type  # noqa: F401 (marketplace factories)
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


# Custom fields of tenant A's "Home insurance" category: one per field type that needs its own sample.
HOME_FIELDS = [
    {"key": "roof_age", "label": "Roof age", "field_type": "number"},
    {"key": "homeowner", "label": "Homeowner", "field_type": "boolean"},
    {"key": "home_value", "label": "Home value", "field_type": "currency"},
    {"key": "move_in", "label": "Move-in date", "field_type": "date"},
    {"key": "coverage", "label": "Coverage", "field_type": "select", "options": ["Basic", "Full"]},
    {"key": "extras", "label": "Extras", "field_type": "multi_select", "options": ["Flood", "Fire", "Theft"]},
    {"key": "agent_email", "label": "Agent e-mail", "field_type": "email"},
    {"key": "listing", "label": "Listing", "field_type": "url"},
    {"key": "notes", "label": "Notes", "field_type": "text"},
]


@pytest.fixture
def premium_homes(tenant_a, make_category, make_lead_type):  # noqa: F811 (the imported fixtures)
    """Tenant A's lead type "Premium homes" of the "Home insurance" category (custom fields HOME_FIELDS)."""
    return make_lead_type(make_category(tenant_a, "Home insurance", extra=HOME_FIELDS), "Premium homes")


@pytest.fixture
def bolt_trucks(tenant_b, make_category, make_lead_type):  # noqa: F811
    """Tenant B's lead type: tenant A's webhooks must never sample it."""
    return make_lead_type(make_category(tenant_b, "Trucking"), "Long haul")
