"""Seed 000, Contacts: toggles grouped in Juiced's four categories (one mapping, catalog.CATEGORIES) on the
dashboard's and the portal's contact edit page; "Test contacts" sends a real message through the
contact's channel (e-mail through Django's mail framework, SMS through the twilio library to a local
server); contact types only for the integrations configured (no e-mail integration → no e-mail contacts,
no texting → no phone contacts)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from juiced.core.errors import Conflict, ValidationFailed
from juiced.notifications.catalog import CATEGORIES, TYPE_CATEGORY
from juiced.notifications.models import Contact, Notification, NotificationType
from juiced.notifications.services import NO_EMAIL, contact_create, contact_test_send, notify
from tests.api.conftest import call
from tests.notifications.conftest import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN

pytestmark = pytest.mark.django_db

DUMMY = "django.core.mail.backends.dummy.EmailBackend"
# Juiced's four groups (seed 000), with archive/restore and payments documented under Account.
EXPECTED_GROUPS = [
    ("Lead notifications", ["Lead Assigned", "Return Approved", "Return Rejected"]),
    ("Bid notifications", ["Outbid", "Bid Matched", "Under Funded Bids"]),
    (
        "Account notifications",
        [
            "Account Paused",
            "Account Unpaused",
            "Account Archived",
            "Account Restored",
            "Return Tier Updated",
            "Payment Successful",
            "Payment Failed",
        ],
    ),
    ("Marketplace notifications", ["Buy Order Exceeded", "Buy Order Reinstated"]),
]


def staff_contacts(customer) -> str:
    return f"/manage/{customer.tenant.slug}/customers/{customer.public_id}/contacts/"


def groups_on_page(html: str) -> list[tuple[str, list[str]]]:
    """(heading, toggle labels) per group, in page order."""
    found = []
    for block in re.findall(r'<fieldset class="field" id="group-\w+">(.*?)</fieldset>', html, re.S):
        heading = re.search(r"<legend><h4>(.*?)</h4></legend>", block).group(1)
        labels = [
            label.strip() for label in re.findall(r'name="pref_\w+" value="1"[^>]*> ([^<]+)</label>', block)
        ]
        found.append((heading, labels))
    return found


@pytest.fixture
def alice_api(api_client, alice, tenant_a):
    return api_client(alice, tenant_a)


@pytest.fixture
def email_contact(acme_customer, alice):
    return contact_create(
        customer=acme_customer, actor=alice, data={"kind": "email", "value": "ops@acme.test"}
    )


def test_the_catalog_puts_every_type_in_exactly_one_of_the_four_groups():
    assert [len(types) for types in CATEGORIES.values()] == [3, 3, 7, 2]
    assert sorted(TYPE_CATEGORY) == sorted(NotificationType.values)
    assert [(str(c), [NotificationType(t).label for t in ts]) for c, ts in CATEGORIES.items()] == [
        (c, labels) for c, (_, labels) in zip(CATEGORIES, EXPECTED_GROUPS, strict=True)
    ]


def test_the_dashboard_edit_page_shows_a_heading_per_group(login_client, alice, acme_customer, email_contact):
    html = login_client(alice).get(staff_contacts(acme_customer) + f"{email_contact.public_id}/").content
    assert groups_on_page(html.decode()) == EXPECTED_GROUPS


def test_the_portal_edit_page_shows_the_same_groups(login_client, buyer, email_contact):
    html = login_client(buyer).get(f"/app/contacts/{email_contact.public_id}/").content.decode()
    assert groups_on_page(html) == EXPECTED_GROUPS


def test_the_api_reports_the_catalogs_category(alice_api):
    templates = {t["type"]: t["category"] for t in call(alice_api, "get", "/notification-templates").json()}
    assert templates == TYPE_CATEGORY


@pytest.mark.django_db(transaction=True)  # the worker commits and closes its connection
def test_send_test_from_the_dashboard_e_mails_the_contact(
    login_client, alice, acme_customer, email_contact, run_tasks
):
    response = login_client(alice).post(staff_contacts(acme_customer) + f"{email_contact.public_id}/test/")
    assert response.status_code == 302
    run_tasks()
    (message,) = mail.outbox
    assert message.to == ["ops@acme.test"] and message.subject == "Test message from Acme Leads"
    assert "Notifications for Acme Insurance reach you here." in message.body
    assert Notification.objects.get(type="test").status == Notification.Status.SENT


@pytest.mark.django_db(transaction=True)  # the worker commits and closes its connection
def test_send_test_from_the_portal_texts_a_phone_contact_through_twilio(
    login_client,
    buyer,
    acme_customer,
    alice,
    sms_tenant,
    twilio_server,
    run_tasks,
):
    phone = contact_create(
        customer=acme_customer, actor=alice, data={"kind": "phone", "value": "+15555550123"}
    )
    response = login_client(buyer).post(f"/app/contacts/{phone.public_id}/test/")
    assert response.status_code == 302
    run_tasks()
    (request,) = twilio_server.requests
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request["auth"] == f"{TWILIO_SID}:{TWILIO_TOKEN}"
    assert request["form"]["To"] == "+15555550123" and request["form"]["From"] == TWILIO_FROM
    assert request["form"]["Body"].startswith("This is a test message from Acme Leads.")
    sent = Notification.objects.get(type="test")
    assert sent.status == Notification.Status.SENT and sent.provider_id.startswith("SM")
    assert mail.outbox == []


def test_without_texting_no_phone_contacts(login_client, alice, acme_customer):
    client = login_client(alice)
    html = client.get(staff_contacts(acme_customer)).content.decode()
    assert '<option value="phone"' not in html and '<option value="email"' in html and 'id="no-sms"' in html
    response = client.post(staff_contacts(acme_customer), {"kind": "phone", "value": "+15555550123"})
    assert response.status_code == 422 and "configured Twilio" in response.content.decode()
    assert not Contact.objects.exists()


def test_with_texting_phone_contacts_are_offered(login_client, alice, acme_customer, sms_tenant):
    client = login_client(alice)
    assert '<option value="phone"' in client.get(staff_contacts(acme_customer)).content.decode()
    response = client.post(staff_contacts(acme_customer), {"kind": "phone", "value": "+1 555 555 0123"})
    assert response.status_code == 302
    assert Contact.objects.get().value == "+15555550123"


def test_without_an_e_mail_integration_no_e_mail_contacts(
    settings, login_client, alice, buyer, acme_customer, alice_api
):
    settings.EMAIL_BACKEND = DUMMY  # EMAIL_URL=dummy://
    for client, url in (
        (login_client(alice), staff_contacts(acme_customer)),
        (login_client(buyer), "/app/contacts/"),
    ):
        html = client.get(url).content.decode()
        assert '<option value="email"' not in html and 'id="no-email"' in html
        assert "No notification integration is configured" in html  # nor texting: no form at all
        response = client.post(url, {"kind": "email", "value": "ops@acme.test"})
        assert response.status_code == 422 and "has no mail server" in response.content.decode()
    api = call(
        alice_api,
        "post",
        f"/customers/{acme_customer.public_id}/contacts",
        {"kind": "email", "value": "a@b.test"},
    )
    assert api.status_code == 422 and api.json()["error"]["fields"]["kind"] == [NO_EMAIL]
    assert call(alice_api, "get", "/notification-channels").json()["email_configured"] is False
    assert not Contact.objects.exists()


def test_an_e_mail_contact_kept_after_the_integration_is_removed_gets_nothing(
    settings, acme_customer, email_contact, alice
):
    settings.EMAIL_BACKEND = DUMMY
    with pytest.raises(Conflict):
        contact_test_send(contact=email_contact, actor=alice)
    notify(customer=acme_customer, type="account_paused")
    row = Notification.objects.get(channel="email")
    assert row.status == Notification.Status.FAILED and "E-mail is not configured" in row.error
    with pytest.raises(ValidationFailed):
        contact_create(customer=acme_customer, actor=alice, data={"kind": "email", "value": "x@acme.test"})
