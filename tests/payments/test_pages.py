"""Payments pages: Settings → Payments, the customer's Payment methods tab and /app/payments/.

Another tenant's staff and another customer's buyer get 404; roles without the permission get 403; a
refused request changes nothing."""

from __future__ import annotations

import pytest

from juiced.core.crypto import decrypt_secret
from juiced.customers.models import CustomerMembership
from juiced.payments.models import Payment, PaymentMethod, PaymentSettings
from juiced.payments.services import card_add
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.wallets.models import Transaction
from tests.conftest import PASSWORD
from tests.payments.conftest import VISA

pytestmark = pytest.mark.django_db

SETTINGS = "/manage/acme-leads/settings/payments/"


def tab(customer, suffix: str = "") -> str:
    return f"/manage/{customer.tenant.slug}/customers/{customer.public_id}/payment-methods/{suffix}"


def state() -> tuple:
    return (
        PaymentMethod.objects.count(),
        Payment.objects.count(),
        Transaction.objects.count(),
        list(PaymentMethod.objects.filter(is_default=True).values_list("pk", flat=True)),
    )


# --- settings -----------------------------------------------------------------------------------------


def test_admin_saves_settings_secret_shown_masked(tenant_a, alice, login_client, localstripe_url):
    client = login_client(alice)
    response = client.post(
        SETTINGS,
        {
            "publishable_key": "pk_test_abc",
            "secret_key": "sk_test_supersecret9876",
            "webhook_secret": "whsec_signing1234",
            "api_base": localstripe_url,
            "deposit_minimum": "25.00",
            "manual_fee_percent": "2.9",
            "auto_recharge_fee_percent": "1",
            "waive_first_deposit_fee": "on",
        },
    )
    assert response.status_code == 302
    stored = PaymentSettings.objects.get(tenant=tenant_a)
    assert stored.deposit_minimum == 2500 and str(stored.manual_fee_percent) == "2.90"
    assert decrypt_secret(stored.secret_key_encrypted) == "sk_test_supersecret9876"
    page = client.get(SETTINGS).content.decode()
    assert "sk_test_supersecret9876" not in page and "9876" in page
    assert "/webhooks/stripe/acme-leads/" in page


def test_settings_errors_are_shown_next_to_their_fields(tenant_a, alice, login_client):
    response = login_client(alice).post(
        SETTINGS, {"manual_fee_percent": "150", "deposit_minimum": "0.50", "secret_key": "oops"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Enter a percentage from 0 to 100." in page
    assert "at least $1.00" in page
    assert "Expected a key starting with sk_ or rk_." in page
    assert not PaymentSettings.objects.filter(tenant=tenant_a, manual_fee_percent=150).exists()


@pytest.mark.parametrize("role", [StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION])
def test_only_admins_open_payment_settings(role, make_staff, login_client):
    assert login_client(make_staff(role)).get(SETTINGS).status_code == 403


def test_other_tenants_staff_get_404_on_settings(tenant_a, bob, login_client):
    assert login_client(bob).get(SETTINGS).status_code == 404
    assert login_client(bob).post(SETTINGS, {"manual_fee_percent": "5"}).status_code == 404


# --- the dashboard tab --------------------------------------------------------------------------------


def test_tab_lists_cards_with_default_badge_and_stripe_link(visa, acme_customer, alice, login_client):
    page = login_client(alice).get(tab(acme_customer)).content.decode()
    assert "Visa •••• 4242" in page and "12/2034" in page and "Default" in page
    stripe_id = acme_customer.billing.stripe_customer_id
    assert f"https://dashboard.stripe.com/test/customers/{stripe_id}" in page


def test_staff_deposit_charges_and_credits(visa, acme_customer, alice, login_client):
    response = login_client(alice).post(
        tab(acme_customer, "deposits/"), {"amount": "50", "idempotency_key": "k1"}
    )
    assert response.status_code == 302
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 5000
    assert Payment.objects.get().fee == 150


def test_fee_preview_shows_amount_fee_and_total(visa, acme_customer, alice, login_client):
    page = (
        login_client(alice).get(tab(acme_customer, "deposits/preview/"), {"amount": "100"}).content.decode()
    )
    assert "$100.00" in page and "$3.00" in page and "$103.00" in page and "3.00%" in page
    page = login_client(alice).get(tab(acme_customer, "deposits/preview/"), {"amount": "5"}).content.decode()
    assert "minimum deposit is $10.00" in page


PAGES = ["", "deposits/preview/?amount=20"]


def _posts(card):
    return [
        ("cards/", {"number": "4242424242424242", "expiry": "12/34", "cvc": "123"}),
        (f"cards/{card.public_id}/default/", {}),
        (f"cards/{card.public_id}/delete/", {}),
        ("deposits/", {"amount": "20", "idempotency_key": "k-other"}),
        ("auto-recharge/", {"enabled": "on", "trigger": "10", "amount": "20"}),
    ]


@pytest.mark.parametrize("suffix", PAGES)
def test_other_tenants_staff_and_buyers_get_404_on_the_tab(
    suffix, visa, acme_customer, bob, buyer, login_client
):
    assert login_client(bob).get(tab(acme_customer, suffix)).status_code == 404
    assert login_client(buyer).get(tab(acme_customer, suffix)).status_code == 404


def test_other_tenants_staff_get_404_on_every_action_and_nothing_changes(
    visa, acme_customer, bob, login_client
):
    before = state()
    for suffix, data in _posts(visa):
        assert login_client(bob).post(tab(acme_customer, suffix), data).status_code == 404, suffix
    assert state() == before


@pytest.mark.parametrize("role", [StaffRole.SALES, StaffRole.DATA_VALIDATION])
def test_roles_without_payment_rights_get_403(role, visa, acme_customer, make_staff, login_client):
    client = login_client(make_staff(role))
    before = state()
    assert client.get(tab(acme_customer)).status_code in (403, 404)
    for suffix, data in _posts(visa):
        assert client.post(tab(acme_customer, suffix), data).status_code in (403, 404), suffix
    assert state() == before


def test_customer_support_manages_cards_and_deposits(visa, acme_customer, make_staff, login_client):
    client = login_client(make_staff(StaffRole.CUSTOMER_SUPPORT))
    assert client.get(tab(acme_customer)).status_code == 200
    assert (
        client.post(tab(acme_customer, "deposits/"), {"amount": "20", "idempotency_key": "cs"}).status_code
        == 302
    )


def test_a_card_declined_at_attach_shows_the_error_on_the_number(
    stripe_acme, acme_customer, alice, login_client
):
    response = login_client(alice).post(
        tab(acme_customer, "cards/"), {"number": "4000 0000 0000 0002", "expiry": "12/34", "cvc": "123"}
    )
    assert response.status_code == 422
    assert "Your card was declined." in response.content.decode()
    assert not PaymentMethod.objects.exists()


# --- the portal ---------------------------------------------------------------------------------------


def test_buyer_adds_a_card_deposits_and_sets_auto_recharge(stripe_acme, acme_customer, buyer, login_client):
    client = login_client(buyer)
    assert client.get("/app/payments/").status_code == 200
    added = client.post(
        "/app/payments/cards/", {"number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
    )
    assert added.status_code == 302
    card = PaymentMethod.objects.get()
    assert card.customer == acme_customer and card.is_default
    assert (
        client.post("/app/payments/deposits/", {"amount": "10.00", "idempotency_key": "p1"}).status_code
        == 302
    )
    again = client.post("/app/payments/deposits/", {"amount": "10.00", "idempotency_key": "p1"}, follow=True)
    assert "nothing was charged twice" in again.content.decode()
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 1000
    refused = client.post("/app/payments/auto-recharge/", {"enabled": "on", "trigger": "0.50", "amount": "5"})
    assert refused.status_code == 422
    assert "at least $1.00" in refused.content.decode()
    saved = client.post("/app/payments/auto-recharge/", {"enabled": "on", "trigger": "5", "amount": "10"})
    assert saved.status_code == 302
    assert acme_customer.billing.__class__.objects.get(customer=acme_customer).auto_recharge_enabled


def test_a_customer_user_without_billing_rights_gets_403(visa, acme_customer, login_client):
    user = User.objects.create_user(email="clerk@acmeins.test", password=PASSWORD)
    CustomerMembership.objects.create(customer=acme_customer, user=user, role=CustomerRole.CUSTOMER_USER)
    client = login_client(user)
    assert client.get("/app/payments/").status_code == 403
    before = state()
    assert client.post("/app/payments/deposits/", {"amount": "20", "idempotency_key": "x"}).status_code == 403
    assert state() == before


def test_another_customers_buyer_cannot_touch_this_customers_card(
    visa, stripe_acme, bolt_customer, login_client
):
    other = User.objects.create_user(email="buyer@boltroof.test", password=PASSWORD)
    CustomerMembership.objects.create(customer=bolt_customer, user=other, role=CustomerRole.CUSTOMER_ADMIN)
    client = login_client(other)
    page = client.get("/app/payments/").content.decode()
    assert "4242" not in page
    before = state()
    client.post(f"/app/payments/cards/{visa.public_id}/delete/")
    client.post(f"/app/payments/cards/{visa.public_id}/default/")
    assert state() == before


def test_staff_without_a_customer_membership_get_404_in_the_portal(alice, stripe_acme, login_client):
    assert login_client(alice).get("/app/payments/").status_code == 404


def test_portal_lists_payments_with_fee_and_failure(stripe_acme, acme_customer, buyer, login_client):
    card_add(customer=acme_customer, actor=buyer, card=VISA)
    client = login_client(buyer)
    client.post("/app/payments/deposits/", {"amount": "100", "idempotency_key": "p2"})
    page = client.get("/app/payments/").content.decode()
    assert "$103.00" in page and "Succeeded" in page
