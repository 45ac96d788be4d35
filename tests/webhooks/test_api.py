"""The webhooks API: CRUD with field errors, secrets shown once, test sends, deliveries and resends,
the role table, and another tenant's staff getting 404."""

from __future__ import annotations

import pytest

from juiced.tenants.roles import StaffRole
from juiced.webhooks.models import WebhookDelivery, WebhookEndpoint
from juiced.webhooks.services import webhook_create, webhook_emit
from tests.api.conftest import assert_error, call

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks"


def test_admin_creates_a_tenant_webhook_and_sees_the_secret_once(alice_api):
    response = call(
        alice_api, "post", "/webhooks", {"name": "CRM", "url": PUBLIC, "events": ["transaction.created"]}
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["transaction.created"] and created["active"] is True
    assert created["customer"] is None and created["payload_template"] is None

    listed = call(alice_api, "get", "/webhooks").json()["data"]
    assert [w["id"] for w in listed] == [created["id"]] and listed[0]["secret"] is None
    assert created["secret"] not in WebhookEndpoint.objects.get().secret_encrypted  # encrypted at rest


def test_field_errors_for_url_events_and_name(alice_api):
    response = call(
        alice_api, "post", "/webhooks", {"name": "", "url": "https://10.1.2.3/x", "events": ["x"]}
    )
    error = assert_error(response, 422, "invalid", "name", "url", "events")
    assert "private" in error["fields"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_patch_rotate_and_delete(alice_api):
    created = call(
        alice_api, "post", "/webhooks", {"name": "CRM", "url": PUBLIC, "events": ["lead.created"]}
    ).json()
    path = f"/webhooks/{created['id']}"

    patched = call(alice_api, "patch", path, {"active": False, "events": ["lead.assigned", "lead.created"]})
    assert patched.status_code == 200
    assert patched.json()["active"] is False and patched.json()["events"] == ["lead.created", "lead.assigned"]

    rotated = call(alice_api, "post", path + "/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]

    assert call(alice_api, "delete", path).status_code == 204
    assert call(alice_api, "get", path).status_code == 404


def test_webhook_settings_turn_the_testing_flag_on(alice_api):
    assert call(alice_api, "get", "/webhook-settings").json()["allow_private_addresses"] is False
    response = call(alice_api, "put", "/webhook-settings", {"allow_private_addresses": True})
    assert response.json()["allow_private_addresses"] is True
    created = call(
        alice_api,
        "post",
        "/webhooks",
        {"name": "Local", "url": "https://127.0.0.1:9/x", "events": ["lead.created"]},
    )
    assert created.status_code == 201


def test_customer_webhook_with_a_template_and_its_errors(alice_api, acme_customer):
    base = f"/customers/{acme_customer.public_id}/webhooks"
    bad = call(
        alice_api, "post", base, {"name": "CRM", "url": PUBLIC, "payload_template": '{"a": {{ lead.nope }}}'}
    )
    assert_error(bad, 422, "invalid", "payload_template")
    not_json = call(
        alice_api, "post", base, {"name": "CRM", "url": PUBLIC, "payload_template": "{{ lead.email }"}
    )
    assert_error(not_json, 422, "invalid", "payload_template")
    events = call(alice_api, "post", base, {"name": "CRM", "url": PUBLIC, "events": ["lead.created"]})
    assert_error(events, 422, "invalid", "events")

    template = '{"email": {{ lead.email }}}'
    created = call(alice_api, "post", base, {"name": "CRM", "url": PUBLIC, "payload_template": template})
    assert created.status_code == 201
    assert created.json()["customer"] == acme_customer.public_id
    assert created.json()["payload_template"] == template


def test_test_send_deliveries_and_resend(alice_api, acme_customer, premium_homes):
    base = f"/customers/{acme_customer.public_id}/webhooks"
    webhook = call(alice_api, "post", base, {"name": "CRM", "url": PUBLIC}).json()
    path = f"{base}/{webhook['id']}"

    assert_error(
        call(alice_api, "post", path + "/test", {"lead_type": "spaceship"}), 422, "invalid", "lead_type"
    )
    sent = call(alice_api, "post", path + "/test", {"lead_type": premium_homes.public_id})
    assert sent.status_code == 202
    assert sent.json()["test"] is True and '"Premium homes"' in sent.json()["body"]

    deliveries = call(alice_api, "get", path + "/deliveries").json()["data"]
    assert [d["id"] for d in deliveries] == [sent.json()["id"]]
    WebhookDelivery.objects.update(status=WebhookDelivery.Status.FAILED)
    resent = call(alice_api, "post", f"{path}/deliveries/{deliveries[0]['id']}/resend")
    assert resent.status_code == 202 and resent.json()["status"] == "pending"
    assert call(alice_api, "post", f"{path}/deliveries/whd_nope/resend").status_code == 404


# --- roles and isolation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,status",
    [
        (StaffRole.ADMIN, 201),
        (StaffRole.CUSTOMER_SUPPORT, 403),
        (StaffRole.SALES, 403),
        (StaffRole.DATA_VALIDATION, 403),
    ],
)
def test_only_admins_manage_tenant_webhooks(role_api, role, status):
    client = role_api(role)
    response = call(client, "post", "/webhooks", {"name": "CRM", "url": PUBLIC, "events": ["lead.created"]})
    assert response.status_code == status
    assert call(client, "get", "/webhooks").status_code == (200 if status == 201 else 403)


@pytest.mark.parametrize(
    "role,status",
    [
        (StaffRole.ADMIN, 201),
        (StaffRole.CUSTOMER_SUPPORT, 201),
        (StaffRole.SALES, 403),
        (StaffRole.DATA_VALIDATION, 403),
    ],
)
def test_customers_edit_manages_customer_webhooks(role_api, role, status, acme_customer):
    response = call(
        role_api(role),
        "post",
        f"/customers/{acme_customer.public_id}/webhooks",
        {"name": "CRM", "url": PUBLIC},
    )
    assert response.status_code == status


@pytest.fixture
def acme_hooks(tenant_a, alice, acme_customer):
    tenant_hook, _ = webhook_create(
        tenant=tenant_a, actor=alice, data={"name": "T", "url": PUBLIC, "events": ["lead.created"]}
    )
    customer_hook, _ = webhook_create(
        tenant=tenant_a, actor=alice, customer=acme_customer, data={"name": "C", "url": PUBLIC}
    )
    (delivery,) = webhook_emit(tenant=tenant_a, event="lead.created", data={})
    return tenant_hook, customer_hook, delivery


def test_another_tenants_admin_gets_404_everywhere(bob_api, acme_hooks, acme_customer):
    tenant_hook, customer_hook, delivery = acme_hooks
    cus = f"/customers/{acme_customer.public_id}/webhooks"
    for method, path in [
        ("get", f"/webhooks/{tenant_hook.public_id}"),
        ("patch", f"/webhooks/{tenant_hook.public_id}"),
        ("delete", f"/webhooks/{tenant_hook.public_id}"),
        ("post", f"/webhooks/{tenant_hook.public_id}/rotate-secret"),
        ("post", f"/webhooks/{tenant_hook.public_id}/test"),
        ("get", f"/webhooks/{tenant_hook.public_id}/deliveries"),
        ("post", f"/webhooks/{tenant_hook.public_id}/deliveries/{delivery.public_id}/resend"),
        ("get", cus),
        ("post", cus),
        ("get", f"{cus}/{customer_hook.public_id}"),
        ("delete", f"{cus}/{customer_hook.public_id}"),
        ("post", f"{cus}/{customer_hook.public_id}/test"),
    ]:
        body = {} if method in ("post", "patch") else None
        assert call(bob_api, method, path, body).status_code == 404, (method, path)
    assert call(bob_api, "get", "/webhooks").json()["data"] == []
    assert WebhookEndpoint.objects.count() == 2


def test_a_tenant_webhook_is_not_reachable_as_a_customer_webhook_and_back(
    alice_api, acme_hooks, acme_customer
):
    tenant_hook, customer_hook, _ = acme_hooks
    assert call(alice_api, "get", f"/webhooks/{customer_hook.public_id}").status_code == 404
    cus = f"/customers/{acme_customer.public_id}/webhooks"
    assert call(alice_api, "get", f"{cus}/{tenant_hook.public_id}").status_code == 404
