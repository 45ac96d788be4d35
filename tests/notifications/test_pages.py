"""Contacts, send history, templates/channels and the portal inbox: isolation, roles, forms."""

from __future__ import annotations

import pytest

from juiced.customers.models import CustomerMembership
from juiced.customers.services import customer_create
from juiced.notifications.models import Contact, Notification, NotificationTemplate
from juiced.notifications.services import contact_create, notify
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole, StaffRole

pytestmark = pytest.mark.django_db


def base(customer) -> str:
    return f"/manage/{customer.tenant.slug}/customers/{customer.public_id}/"


@pytest.fixture
def contact(acme_customer, alice):
    return contact_create(
        customer=acme_customer, actor=alice, data={"kind": "email", "value": "ops@acmeins.test"}
    )


def staff_pages(customer, contact):
    slug = customer.tenant.slug
    return [
        base(customer) + "contacts/",
        base(customer) + f"contacts/{contact.public_id}/",
        base(customer) + "notifications/",
        f"/manage/{slug}/settings/notifications/",
        f"/manage/{slug}/settings/notifications/outbid/",
    ]


def staff_posts(customer, contact):
    slug = customer.tenant.slug
    return [
        (base(customer) + "contacts/", {"kind": "email", "value": "new@acmeins.test"}),
        (base(customer) + f"contacts/{contact.public_id}/", {"value": "x@acmeins.test"}),
        (base(customer) + f"contacts/{contact.public_id}/test/", {}),
        (base(customer) + f"contacts/{contact.public_id}/delete/", {}),
        (f"/manage/{slug}/settings/notifications/", {"email_from": "x@acme.test"}),
        (
            f"/manage/{slug}/settings/notifications/outbid/",
            {"email_subject": "Hi", "email_body": "b", "sms_body": "s"},
        ),
        (f"/manage/{slug}/settings/notifications/outbid/reset/", {}),
    ]


def snapshot(customer):
    return (
        sorted(Contact.objects.filter(customer=customer).values_list("value", "name")),
        Notification.objects.filter(customer=customer).count(),
        NotificationTemplate.objects.count(),
    )


def test_other_tenants_staff_and_customer_users_get_404(acme_customer, contact, bob, buyer, login_client):
    for user in (bob, buyer):
        client = login_client(user)
        for url in staff_pages(acme_customer, contact):
            assert client.get(url).status_code == 404, url
        before = snapshot(acme_customer)
        for url, data in staff_posts(acme_customer, contact):
            assert client.post(url, data).status_code == 404, url
        assert snapshot(acme_customer) == before


def test_a_contact_of_another_customer_is_404(acme_customer, contact, tenant_a, alice, login_client):
    other = customer_create(tenant=tenant_a, actor=alice, data={"name": "Other", "email": "o@o.test"})
    client = login_client(alice)
    assert client.get(base(other) + f"contacts/{contact.public_id}/").status_code == 404
    assert client.post(base(other) + f"contacts/{contact.public_id}/delete/").status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_sales_sees_contacts_and_history_but_changes_nothing(
    acme_customer, contact, make_staff, login_client
):
    client = login_client(make_staff(StaffRole.SALES))
    page = client.get(base(acme_customer) + "contacts/")
    assert (
        page.status_code == 200
        and b"ops@acmeins.test" in page.content
        and b"Add a contact" not in page.content
    )
    assert client.get(base(acme_customer) + "notifications/").status_code == 200
    before = snapshot(acme_customer)
    for url, data in staff_posts(acme_customer, contact):
        assert client.post(url, data).status_code == 403, url
    assert snapshot(acme_customer) == before
    assert client.get(f"/manage/{acme_customer.tenant.slug}/settings/notifications/").status_code == 403


def test_support_manages_contacts_but_not_templates(acme_customer, contact, make_staff, login_client):
    client = login_client(make_staff(StaffRole.CUSTOMER_SUPPORT))
    response = client.post(base(acme_customer) + "contacts/", {"kind": "email", "value": "b@acmeins.test"})
    assert response.status_code == 302
    assert Contact.objects.filter(customer=acme_customer, value="b@acmeins.test").exists()
    assert client.get(f"/manage/{acme_customer.tenant.slug}/settings/notifications/").status_code == 403


def test_data_validation_cannot_see_contacts(acme_customer, contact, make_staff, login_client):
    client = login_client(make_staff(StaffRole.DATA_VALIDATION))
    assert client.get(base(acme_customer) + "contacts/").status_code == 403


def test_add_contact_field_errors(acme_customer, contact, alice, login_client):
    client = login_client(alice)
    url = base(acme_customer) + "contacts/"
    response = client.post(url, {"kind": "email", "value": "not-an-email"})
    assert response.status_code == 422 and b"Enter a valid e-mail address." in response.content
    response = client.post(url, {"kind": "phone", "value": "+15555550123"})
    assert response.status_code == 422 and b"configured Twilio" in response.content
    response = client.post(url, {"kind": "email", "value": "OPS@acmeins.test"})
    assert response.status_code == 422 and b"already has that contact" in response.content


def test_edit_contact_toggles_grouped_and_hidden_types_not_offered(
    acme_customer, contact, alice, login_client
):
    client = login_client(alice)
    slug = acme_customer.tenant.slug
    client.post(
        f"/manage/{slug}/settings/notifications/outbid/",
        {"email_subject": "Outbid", "email_body": "Outbid", "sms_body": "Outbid", "default_on": "on"},
    )  # not Visible any more
    url = base(acme_customer) + f"contacts/{contact.public_id}/"
    page = client.get(url).content.decode()
    assert (
        "Bid notifications" in page
        and "Account notifications" in page
        and "Marketplace notifications" in page
    )
    assert 'name="pref_outbid"' not in page and 'name="pref_bid_matched"' in page
    response = client.post(url, {"value": "ops@acmeins.test", "name": "Ops desk", "pref_lead_assigned": "1"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Ops desk"
    assert contact.preferences["lead_assigned"] is True and contact.preferences["bid_matched"] is False
    assert "outbid" not in contact.preferences


def test_history_lists_sends_newest_first(acme_customer, contact, alice, login_client):
    notify(customer=acme_customer, type="account_paused", context={})
    notify(customer=acme_customer, type="account_unpaused", context={})
    page = login_client(alice).get(base(acme_customer) + "notifications/").content.decode()
    assert page.index("Account Unpaused") < page.index("Account Paused")
    assert "ops@acmeins.test" in page and "Queued" in page


def test_template_save_rejects_unknown_variables_and_tags(tenant_a, alice, login_client):
    client = login_client(alice)
    url = f"/manage/{tenant_a.slug}/settings/notifications/payment_failed/"
    response = client.post(
        url,
        {
            "visible": "on",
            "email_subject": "{{ customer.__class__ }} {{ lead.full_name }}",
            "email_body": "{% load static %}{{ payment.amount }}",
            "sms_body": "{{ payment.amount }} {{ secret }}",
        },
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "{{ customer.__class__ }}" in text and "{{ lead.full_name }}" in text  # named in the error
    assert "Template tags" in text and "{{ secret }}" in text
    assert not NotificationTemplate.objects.exists()
    ok = client.post(
        url,
        {
            "visible": "on",
            "email_subject": "Failed: {{ payment.amount }}",
            "email_body": "b",
            "sms_body": "s",
        },
    )
    assert ok.status_code == 302
    saved = NotificationTemplate.objects.get(type="payment_failed")
    assert saved.visible and not saved.default_on and saved.email_subject == "Failed: {{ payment.amount }}"


def test_preview_renders_sample_data_inert(tenant_a, alice, login_client):
    client = login_client(alice)
    url = f"/manage/{tenant_a.slug}/settings/notifications/payment_failed/preview/"
    response = client.post(
        url,
        {
            "email_subject": "{{ payment.amount }} for {{ customer.name }}",
            "email_body": "{{ customer.__class__ }}",
            "sms_body": "<b>{{ tenant.name }}</b>",
        },
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert "$100.00 for Sample Insurance Co." in text
    assert "{{ customer.__class__ }}" in text  # left as typed, never evaluated
    assert "&lt;b&gt;Acme Leads&lt;/b&gt;" in text


def test_channel_settings_errors_and_token_never_shown(tenant_a, alice, login_client):
    client = login_client(alice)
    url = f"/manage/{tenant_a.slug}/settings/notifications/"
    response = client.post(
        url, {"twilio_account_sid": "nope", "twilio_from_number": "555", "email_from": "x"}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "AC followed by 32" in text and "international format" in text and "valid e-mail" in text
    sid = "AC" + "a" * 32
    data = {
        "twilio_account_sid": sid,
        "twilio_auth_token": "tok-secret-9",
        "twilio_from_number": "+15555550100",
    }
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "tok-secret-9" not in page and 'SMS is <strong id="sms-status">configured' in page


# ---------------------------------------------------------------- portal


@pytest.fixture
def customer_user(acme_customer):
    user = User.objects.create_user(email="user@acmeins.test", password="x-pass-42", name="Uma User")
    CustomerMembership.objects.create(customer=acme_customer, user=user, role=CustomerRole.CUSTOMER_USER)
    return user


@pytest.fixture
def bolt_buyer(bolt_customer):
    user = User.objects.create_user(email="buyer@boltroof.test", password="x-pass-42", name="Bo Buyer")
    CustomerMembership.objects.create(customer=bolt_customer, user=user, role=CustomerRole.CUSTOMER_ADMIN)
    return user


def test_portal_admin_manages_contacts(acme_customer, buyer, login_client):
    client = login_client(buyer)
    response = client.post("/app/contacts/", {"kind": "email", "value": "me@acmeins.test", "name": "Me"})
    assert response.status_code == 302
    contact = Contact.objects.get(customer=acme_customer, value="me@acmeins.test")
    assert client.get("/app/contacts/").status_code == 200
    assert client.post(f"/app/contacts/{contact.public_id}/", {"value": "me@acmeins.test"}).status_code == 302
    assert client.post(f"/app/contacts/{contact.public_id}/test/").status_code == 302
    assert Notification.objects.filter(type="test", recipient="me@acmeins.test").exists()
    assert client.post(f"/app/contacts/{contact.public_id}/delete/").status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_portal_customer_user_sees_but_cannot_change(acme_customer, contact, customer_user, login_client):
    client = login_client(customer_user)
    page = client.get("/app/contacts/")
    assert (
        page.status_code == 200
        and b"ops@acmeins.test" in page.content
        and b"Add a contact" not in page.content
    )
    assert client.post("/app/contacts/", {"kind": "email", "value": "u@acmeins.test"}).status_code == 403
    assert client.post(f"/app/contacts/{contact.public_id}/delete/").status_code == 403
    assert Contact.objects.filter(customer=acme_customer).count() == 1


def test_portal_other_customers_buyer_gets_404(acme_customer, contact, bolt_buyer, login_client):
    client = login_client(bolt_buyer)
    assert b"ops@acmeins.test" not in client.get("/app/contacts/").content
    assert client.get(f"/app/contacts/{contact.public_id}/").status_code == 404
    assert client.post(f"/app/contacts/{contact.public_id}/delete/").status_code == 404
    assert client.post(f"/app/contacts/{contact.public_id}/test/").status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_portal_inbox_unread_badge_and_mark_all_read(acme_customer, buyer, bolt_buyer, login_client):
    notify(customer=acme_customer, type="payment_successful", context={"payment": {"amount": 2500}})
    notify(customer=acme_customer, type="account_paused", context={})
    client = login_client(buyer)
    page = client.get("/app/notifications/").content.decode()
    assert "Payment of $25.00 received" in page and "Your account is paused" in page
    assert 'data-testid="unread-count" title="2 unread">2<' in page
    assert b"Payment of $25.00" not in login_client(bolt_buyer).get("/app/notifications/").content
    assert client.post("/app/notifications/read-all/").status_code == 302
    assert 'data-testid="unread-count"' not in client.get("/app/notifications/").content.decode()
