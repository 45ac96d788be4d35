"""/api/manage contacts, notifications, templates and channels: CRUD, field errors, isolation, roles."""

from __future__ import annotations

import pytest

from juiced.notifications.models import Contact, NotificationTemplate
from juiced.notifications.services import notify
from juiced.tenants.roles import StaffRole
from tests.api.conftest import call

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_api(api_client, alice, tenant_a):
    return api_client(alice, tenant_a)


def contacts_path(customer) -> str:
    return f"/customers/{customer.public_id}/contacts"


def test_contact_crud(alice_api, acme_customer):
    created = call(alice_api, "post", contacts_path(acme_customer), {"kind": "email", "value": "A@Acme.test"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["id"].startswith("con_") and body["value"] == "a@acme.test"
    assert len(body["notifications"]) == 15 and body["notifications"]["return_tier_updated"] is False
    path = f"{contacts_path(acme_customer)}/{body['id']}"
    patched = call(alice_api, "patch", path, {"name": "Ops", "preferences": {"outbid": False}})
    assert patched.status_code == 200 and patched.json()["notifications"]["outbid"] is False
    assert patched.json()["name"] == "Ops"
    listed = call(alice_api, "get", contacts_path(acme_customer)).json()
    assert [c["id"] for c in listed["data"]] == [body["id"]]
    assert call(alice_api, "post", path + "/test").status_code == 202
    history = call(alice_api, "get", f"/customers/{acme_customer.public_id}/notifications").json()
    assert history["total"] == 1 and history["data"][0]["type"] == "test"
    assert history["data"][0]["status"] == "queued"
    assert call(alice_api, "delete", path).status_code == 204
    assert call(alice_api, "get", path).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"kind": "fax", "value": "x"}, "kind", "email or phone"),
        ({"kind": "phone", "value": "+15555550123"}, "kind", "Twilio"),
        ({"kind": "email", "value": "nope"}, "value", "valid e-mail"),
        ({"kind": "email", "value": "a@b.test", "preferences": {"bogus": True}}, "preferences", "bogus"),
        ({"kind": "email"}, "value", "required"),
        ({"kind": "email", "value": "a@b.test", "colour": "red"}, "colour", "Unknown"),
    ],
)
def test_contact_field_errors(alice_api, acme_customer, body, field, text):
    response = call(alice_api, "post", contacts_path(acme_customer), body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert text in " ".join(error["fields"][field]), error


def test_phone_contact_with_twilio_configured(alice_api, acme_customer):
    channels = call(
        alice_api,
        "patch",
        "/notification-channels",
        {
            "twilio_account_sid": "AC" + "b" * 32,
            "twilio_auth_token": "tok-123456",
            "twilio_from_number": "+15550001111",
        },
    )
    assert channels.status_code == 200 and channels.json()["sms_configured"] is True
    assert "tok-123456" not in channels.content.decode()
    bad = call(alice_api, "post", contacts_path(acme_customer), {"kind": "phone", "value": "5551234"})
    assert bad.status_code == 422 and "international" in bad.json()["error"]["fields"]["value"][0]
    good = call(
        alice_api, "post", contacts_path(acme_customer), {"kind": "phone", "value": "+44 20 7946 0958"}
    )
    assert good.status_code == 201 and good.json()["value"] == "+442079460958"


def test_templates(alice_api):
    listed = call(alice_api, "get", "/notification-templates").json()
    assert len(listed) == 15 and {t["category"] for t in listed} == {"lead", "bid", "account", "marketplace"}
    bad = call(
        alice_api, "patch", "/notification-templates/outbid", {"sms_body": "{{ tier.name }} {{ bid.amount }}"}
    )
    assert bad.status_code == 422 and "{{ tier.name }}" in bad.json()["error"]["fields"]["sms_body"][0]
    ok = call(alice_api, "patch", "/notification-templates/outbid", {"sms_body": "Outbid: {{ bid.amount }}"})
    assert ok.status_code == 200 and ok.json()["customized"] is True
    assert call(alice_api, "get", "/notification-templates/nope").status_code == 404
    reset = call(alice_api, "delete", "/notification-templates/outbid")
    assert reset.status_code == 200 and reset.json()["customized"] is False
    assert not NotificationTemplate.objects.exists()


def test_other_tenant_gets_404(api_client, bob, tenant_b, acme_customer, alice_api):
    contact = call(
        alice_api, "post", contacts_path(acme_customer), {"kind": "email", "value": "a@acme.test"}
    ).json()
    bob_api = api_client(bob, tenant_b)
    path = f"{contacts_path(acme_customer)}/{contact['id']}"
    assert call(bob_api, "get", contacts_path(acme_customer)).status_code == 404
    assert (
        call(
            bob_api, "post", contacts_path(acme_customer), {"kind": "email", "value": "b@b.test"}
        ).status_code
        == 404
    )
    assert call(bob_api, "get", path).status_code == 404
    assert call(bob_api, "delete", path).status_code == 404
    assert call(bob_api, "get", f"/customers/{acme_customer.public_id}/notifications").status_code == 404
    assert Contact.objects.count() == 1


def test_roles(api_client, make_staff, tenant_a, acme_customer):
    notify(customer=acme_customer, type="account_paused", context={})
    sales = api_client(make_staff(StaffRole.SALES), tenant_a)
    assert call(sales, "get", contacts_path(acme_customer)).status_code == 200
    assert (
        call(sales, "post", contacts_path(acme_customer), {"kind": "email", "value": "s@a.test"}).status_code
        == 403
    )
    assert call(sales, "get", "/notification-templates").status_code == 403
    support = api_client(make_staff(StaffRole.CUSTOMER_SUPPORT), tenant_a)
    assert (
        call(
            support, "post", contacts_path(acme_customer), {"kind": "email", "value": "s@a.test"}
        ).status_code
        == 201
    )
    assert call(support, "patch", "/notification-channels", {"email_from": "a@b.test"}).status_code == 403
    validation = api_client(make_staff(StaffRole.DATA_VALIDATION), tenant_a)
    assert call(validation, "get", contacts_path(acme_customer)).status_code == 403
