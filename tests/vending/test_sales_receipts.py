"""Receipts and messages leave after commit through the real channels: Django mail and Twilio's HTTP API."""

from __future__ import annotations

import pytest
from django.core import mail

from juiced.core.errors import NotFound, PermissionDenied, ValidationFailed
from juiced.core.tenancy import staff_access_for_tenant
from juiced.tenants.roles import StaffRole
from juiced.vending.messaging import send_customer_sms, token_display
from juiced.vending.models import VendingMessage
from juiced.vending.sales import quick_pay, sale_reverse
from tests.notifications import conftest as channel_servers

# The local Twilio server and a tenant configured against it (tests/notifications/conftest.py).
twilio_server = channel_servers.twilio_server
sms_tenant = channel_servers.sms_tenant
TWILIO_FROM = channel_servers.TWILIO_FROM

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_receipt_goes_by_sms_and_email_with_the_token(
    sms_tenant, twilio_server, make_account, cashier, run_tasks
):
    account = make_account(sms_tenant, phone="+15555550142")
    sale, _ = quick_pay(
        access=staff_access_for_tenant(cashier, sms_tenant),
        account=account,
        amount=1_000,
        payment_kind="cash",
    )
    token = sale.tokens.get()
    run_tasks()
    (request,) = twilio_server.requests
    assert request["form"]["To"] == "+15555550142" and request["form"]["From"] == TWILIO_FROM
    body = request["form"]["Body"]
    assert token_display(token.token) in body and "50.0 kWh" in body and f"Account {account.number}" in body
    assert "$10.00" in body
    (email,) = mail.outbox
    assert email.to == [account.customer.email] and token_display(token.token) in email.body
    assert email.subject == f"Your electricity token — account {account.number}"
    assert set(VendingMessage.objects.values_list("channel", "status")) == {
        ("sms", "sent"),
        ("email", "sent"),
    }


def test_preferences_decide_the_channels_and_a_reversal_is_told(
    tenant_a, make_account, cashier, supervisor, run_tasks
):
    account = make_account(tenant_a)
    account.customer.receipt_email = False
    account.customer.save()
    sale, _ = quick_pay(
        access=staff_access_for_tenant(cashier, tenant_a), account=account, amount=1_000, payment_kind="cash"
    )
    assert not VendingMessage.objects.filter(sale=sale).exists()  # no e-mail wanted, and no SMS configured
    account.customer.receipt_email = True
    account.customer.save()
    sale_reverse(access=staff_access_for_tenant(supervisor, tenant_a), sale=sale, reason="Wrong amount")
    run_tasks()
    (email,) = mail.outbox
    assert "was reversed" in email.body and token_display(sale.tokens.get().token) in email.body


def test_a_rolled_back_sale_sends_nothing(tenant_a, make_account, make_meter, cashier, run_tasks):
    account = make_account(tenant_a, meter=make_meter(tenant_a, vending_enabled=False))
    with pytest.raises(ValidationFailed):
        quick_pay(
            access=staff_access_for_tenant(cashier, tenant_a),
            account=account,
            amount=1_000,
            payment_kind="cash",
        )
    run_tasks()
    assert mail.outbox == [] and VendingMessage.objects.count() == 0


def test_staff_sms_to_the_customers_numbers(
    sms_tenant, twilio_server, make_account, make_staff, tenant_b, bob, run_tasks
):
    account = make_account(sms_tenant, phone="+15555550100")
    account.customer.phone_alt = "+15555550101"
    account.customer.save()
    support = staff_access_for_tenant(make_staff(StaffRole.CUSTOMER_SUPPORT), sms_tenant)
    with pytest.raises(ValidationFailed) as exc:
        send_customer_sms(access=support, customer=account.customer, body="  ")
    assert "body" in exc.value.fields
    with pytest.raises(NotFound):
        send_customer_sms(access=staff_access_for_tenant(bob, tenant_b), customer=account.customer, body="Hi")
    messages = send_customer_sms(
        access=support, customer=account.customer, body="Outage tonight 22:00", account=account
    )
    assert [m.recipient for m in messages] == ["+15555550100", "+15555550101"]
    run_tasks()
    assert sorted(r["form"]["To"] for r in twilio_server.requests) == ["+15555550100", "+15555550101"]
    assert {r["form"]["Body"] for r in twilio_server.requests} == {"Outage tonight 22:00"}


def test_sms_needs_the_permission_and_twilio(tenant_a, make_account, make_staff):
    from juiced.tenants.models import Membership

    account = make_account(tenant_a)
    support = staff_access_for_tenant(make_staff(StaffRole.CUSTOMER_SUPPORT), tenant_a)
    with pytest.raises(ValidationFailed) as exc:
        send_customer_sms(access=support, customer=account.customer, body="Hello")
    assert "not configured" in exc.value.fields["body"][0]
    sales = make_staff(StaffRole.SALES)
    assert Membership.objects.filter(user=sales).exists()
    with pytest.raises(PermissionDenied):
        send_customer_sms(
            access=staff_access_for_tenant(sales, tenant_a), customer=account.customer, body="Hello"
        )
