"""Webhook pages: tenant settings (Admin), the customer's Webhooks tab (customers.edit) and the portal
(Customer Admin). Other tenants' staff and other customers' buyers get 404; roles without the right 403."""

from __future__ import annotations

import pytest

from juiced.customers.models import CustomerMembership
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.webhooks.models import WebhookDelivery, WebhookEndpoint
from juiced.webhooks.services import webhook_create, webhook_emit, webhook_test_send
from tests.conftest import PASSWORD
from tests.web.conftest import customer_url

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks"
TENANT_PAGE = "/manage/acme-leads/settings/webhooks/"


@pytest.fixture
def tenant_hook(tenant_a, alice):
    endpoint, _ = webhook_create(
        tenant=tenant_a, actor=alice, data={"name": "CRM", "url": PUBLIC, "events": ["lead.created"]}
    )
    return endpoint


@pytest.fixture
def acme_hook(acme_customer, alice):
    endpoint, _ = webhook_create(
        tenant=acme_customer.tenant,
        actor=alice,
        customer=acme_customer,
        data={"name": "Leads", "url": PUBLIC},
    )
    return endpoint


@pytest.fixture
def bolt_buyer(bolt_customer):
    user = User.objects.create_user(email="buyer@boltroof.test", password=PASSWORD)
    CustomerMembership.objects.create(customer=bolt_customer, user=user, role=CustomerRole.CUSTOMER_ADMIN)
    return user


# --- tenant webhooks -----------------------------------------------------------------------------------


def test_admin_adds_a_tenant_webhook_and_sees_its_secret_once(login_client, alice, tenant_a):
    client = login_client(alice)
    assert client.get(TENANT_PAGE).status_code == 200
    response = client.post(
        TENANT_PAGE,
        {"name": "CRM", "url": PUBLIC, "events": ["customer.created", "lead.created"], "is_active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response.url == f"{TENANT_PAGE}{endpoint.public_id}/"
    assert endpoint.events == ["customer.created", "lead.created"] and endpoint.is_active

    first = client.get(response.url)
    assert 'data-testid="webhook-secret"' in first.content.decode()
    assert 'data-testid="webhook-secret"' not in client.get(response.url).content.decode()


def test_a_private_url_is_shown_as_a_field_error_until_testing_is_allowed(login_client, alice):
    client = login_client(alice)
    data = {"name": "Local", "url": "https://127.0.0.1:9/x", "events": ["lead.created"]}
    refused = client.post(TENANT_PAGE, data)
    assert refused.status_code == 422 and "private" in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()

    client.post(TENANT_PAGE + "settings/", {"allow_private_addresses": "on"})
    assert client.post(TENANT_PAGE, data).status_code == 302


def test_detail_shows_deliveries_with_attempts_and_resend_queues_again(
    login_client, alice, tenant_hook, django_capture_on_commit_callbacks
):
    (delivery,) = webhook_emit(
        tenant=tenant_hook.tenant, event="lead.created", data={"lead": {"id": "lead_1"}}
    )
    delivery.attempts.create(
        number=1,
        url=PUBLIC,
        request_headers={"Juiced-Event": "lead.created"},
        status_code=503,
        response_excerpt="upstream down",
        duration_ms=12,
        error="HTTP 503: the receiver failed.",
        started_at=delivery.created_at,
    )
    WebhookDelivery.objects.update(status=WebhookDelivery.Status.FAILED)
    client = login_client(alice)

    page = client.get(f"{TENANT_PAGE}{tenant_hook.public_id}/").content.decode()
    assert delivery.public_id in page and "upstream down" in page and "HTTP 503" in page and "lead_1" in page

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"{TENANT_PAGE}{tenant_hook.public_id}/deliveries/{delivery.public_id}/resend/"
        )
    assert response.status_code == 302 and len(callbacks) == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PENDING


def test_edit_test_rotate_and_delete_from_the_page(login_client, alice, tenant_hook):
    client = login_client(alice)
    base = f"{TENANT_PAGE}{tenant_hook.public_id}/"
    assert client.post(base, {"name": "CRM 2", "url": PUBLIC, "events": ["lead.assigned"]}).status_code == 302
    tenant_hook.refresh_from_db()
    assert (tenant_hook.name, tenant_hook.events, tenant_hook.is_active) == (
        "CRM 2",
        ["lead.assigned"],
        False,
    )

    client.post(base + "test/", {"lead_type": ""})
    assert WebhookDelivery.objects.get().is_test

    old = tenant_hook.secret_encrypted
    client.post(base + "rotate/")
    tenant_hook.refresh_from_db()
    assert tenant_hook.secret_encrypted != old
    assert 'data-testid="webhook-secret"' in client.get(base).content.decode()

    assert client.post(base + "delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", [StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION])
def test_only_admins_see_tenant_webhooks(login_client, make_staff, role, tenant_hook):
    client = login_client(make_staff(role))
    assert client.get(TENANT_PAGE).status_code == 403
    assert client.get(f"{TENANT_PAGE}{tenant_hook.public_id}/").status_code == 403
    assert client.post(f"{TENANT_PAGE}{tenant_hook.public_id}/delete/").status_code == 403
    assert WebhookEndpoint.objects.exists()


def test_another_tenants_admin_gets_404_on_tenant_webhook_pages(login_client, bob, tenant_hook):
    client = login_client(bob)
    base = f"{TENANT_PAGE}{tenant_hook.public_id}/"
    for url in [TENANT_PAGE, base]:
        assert client.get(url).status_code == 404
    for url in [
        TENANT_PAGE,
        TENANT_PAGE + "settings/",
        base,
        base + "delete/",
        base + "rotate/",
        base + "test/",
    ]:
        assert client.post(url, {"name": "x", "url": PUBLIC, "events": ["lead.created"]}).status_code == 404
    # and his own tenant's pages do not reach Acme's webhook either
    assert client.get(f"/manage/bolt-leads/settings/webhooks/{tenant_hook.public_id}/").status_code == 404
    assert WebhookEndpoint.objects.get().name == "CRM"


# --- the customer's Webhooks tab ------------------------------------------------------------------------


def test_support_adds_a_customer_webhook_with_a_template(login_client, make_staff, acme_customer):
    client = login_client(make_staff(StaffRole.CUSTOMER_SUPPORT))
    page = client.get(customer_url(acme_customer, "webhooks/"))
    assert page.status_code == 200 and 'aria-current="page">Webhooks' in page.content.decode()

    bad = client.post(
        customer_url(acme_customer, "webhooks/"),
        {"name": "L", "url": PUBLIC, "payload_template": '{"x": {{ lead.shoe }}}'},
    )
    assert bad.status_code == 422 and "Unknown variable: lead.shoe." in bad.content.decode()

    good = client.post(
        customer_url(acme_customer, "webhooks/"),
        {"name": "L", "url": PUBLIC, "payload_template": '{"x": {{ lead.email }}}', "is_active": "on"},
    )
    assert good.status_code == 302
    assert WebhookEndpoint.objects.get().customer == acme_customer


def test_sales_cannot_open_the_customer_webhooks_tab(login_client, make_staff, acme_customer, acme_hook):
    client = login_client(make_staff(StaffRole.SALES))
    assert client.get(customer_url(acme_customer, "webhooks/")).status_code == 403
    assert client.get(customer_url(acme_customer, f"webhooks/{acme_hook.public_id}/")).status_code == 403


def test_customer_tab_is_404_for_another_tenant_and_for_buyers(
    login_client, bob, buyer, acme_customer, acme_hook
):
    for user in (bob, buyer):
        client = login_client(user)
        for suffix in ["webhooks/", f"webhooks/{acme_hook.public_id}/"]:
            assert client.get(customer_url(acme_customer, suffix)).status_code == 404
        assert (
            client.post(customer_url(acme_customer, f"webhooks/{acme_hook.public_id}/delete/")).status_code
            == 404
        )
    assert WebhookEndpoint.objects.exists()


def test_a_tenant_webhook_is_not_reachable_through_a_customer_tab(
    login_client, alice, acme_customer, tenant_hook
):
    assert (
        login_client(alice).get(customer_url(acme_customer, f"webhooks/{tenant_hook.public_id}/")).status_code
        == 404
    )


# --- the portal -----------------------------------------------------------------------------------------


def test_the_buyer_adds_a_webhook_and_sends_a_test(login_client, buyer, acme_customer, premium_homes):
    client = login_client(buyer)
    assert client.get("/app/webhooks/").status_code == 200
    response = client.post("/app/webhooks/", {"name": "My CRM", "url": PUBLIC, "is_active": "on"})
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and endpoint.customer == acme_customer
    assert 'data-testid="webhook-secret"' in client.get(response.url).content.decode()

    client.post(f"/app/webhooks/{endpoint.public_id}/test/", {"lead_type": premium_homes.public_id})
    delivery = WebhookDelivery.objects.get()
    assert delivery.is_test and "Premium homes" in delivery.body
    assert delivery.public_id in client.get(f"/app/webhooks/{endpoint.public_id}/").content.decode()


def test_another_customers_buyer_gets_404_and_sees_none_of_them(login_client, bolt_buyer, acme_hook):
    client = login_client(bolt_buyer)
    assert acme_hook.public_id not in client.get("/app/webhooks/").content.decode()
    base = f"/app/webhooks/{acme_hook.public_id}/"
    assert client.get(base).status_code == 404
    for action in ("delete/", "rotate/", "test/"):
        assert client.post(base + action).status_code == 404
    delivery = webhook_test_send(endpoint=acme_hook)
    assert client.post(f"{base}deliveries/{delivery.public_id}/resend/").status_code == 404
    assert WebhookEndpoint.objects.exists()


def test_a_customer_user_is_not_allowed_in_portal_webhooks(login_client, acme_customer):
    user = User.objects.create_user(email="user@acmeins.test", password=PASSWORD)
    CustomerMembership.objects.create(customer=acme_customer, user=user, role=CustomerRole.CUSTOMER_USER)
    assert login_client(user).get("/app/webhooks/").status_code == 403


def test_staff_without_a_customer_membership_get_404_in_the_portal(login_client, alice, acme_hook):
    assert login_client(alice).get(f"/app/webhooks/{acme_hook.public_id}/").status_code == 404
