"""A business registers itself at /app/register/<tenant>/: the same Customer staff create, its Customer
Admin, logged in; field errors keep the input; nothing is half-written; a tenant can turn sign-ups off."""

from __future__ import annotations

import pytest

from juiced.core.models import AuditEntry
from juiced.customers.models import Customer, CustomerMembership
from juiced.customers.onboarding import onboarding_video_create
from juiced.customers.services import customer_register, signup_settings_update
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole
from juiced.web.access import PORTAL_SESSION_KEY
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/app/register/acme-leads/"


def _form(**overrides) -> dict[str, str]:
    return {
        "name": "Zest Roofing",
        "email": "Billing@ZestRoof.test",
        "phone": "+1 512 555 0100",
        "address1": "1 Main St",
        "address2": "",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78701",
        "person_name": "Zoe Zest",
        "person_email": "zoe@zestroof.test",
        "password": "a-long-unusual-passphrase-9",
    } | overrides


def _counts() -> tuple[int, int, int]:
    return Customer.objects.count(), User.objects.count(), CustomerMembership.objects.count()


def test_a_business_registers_and_lands_in_the_portal_logged_in(client, tenant_a):
    page = client.get(URL)
    assert page.status_code == 200 and "Register your business with Acme Leads" in page.content.decode()
    response = client.post(URL, _form())
    assert response.status_code == 302 and response["Location"] == "/app/"
    customer = Customer.objects.get(tenant=tenant_a, name="Zest Roofing")
    assert customer.email == "billing@zestroof.test" and customer.city == "Austin"
    assert customer.wallet.balance == 0  # the same create as staff use: a wallet, Exhausted funding
    user = User.objects.get(email="zoe@zestroof.test")
    assert user.name == "Zoe Zest" and user.check_password("a-long-unusual-passphrase-9")
    membership = CustomerMembership.objects.get(customer=customer, user=user)
    assert membership.role == CustomerRole.CUSTOMER_ADMIN
    assert client.session[PORTAL_SESSION_KEY] == customer.public_id
    assert int(client.session["_auth_user_id"]) == user.pk
    wallet = client.get("/app/")
    assert wallet.status_code == 200 and "Zest Roofing" in wallet.content.decode()
    actions = set(AuditEntry.objects.filter(customer=customer).values_list("action", flat=True))
    assert {"customer.created", "customer.registered"} <= actions


def test_field_errors_keep_the_input_and_write_nothing(client, tenant_a):
    before = _counts()
    response = client.post(
        URL, _form(name="", email="not-an-email", person_email="zoe@zestroof.test", password="1")
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert body.count('class="field-error"') >= 3
    assert "This field is required." in body and "Enter a valid e-mail address." in body
    assert "This password is too short" in body
    assert 'value="Austin"' in body and 'value="zoe@zestroof.test"' in body  # input kept
    assert _counts() == before
    assert "_auth_user_id" not in client.session


def test_an_existing_user_adds_a_business_after_the_password_check(client, tenant_a, buyer, acme_customer):
    before = _counts()
    wrong = client.post(URL, _form(person_email="buyer@acmeins.test", password="not-it"))
    assert wrong.status_code == 422
    assert "already has an account" in wrong.content.decode()
    assert _counts() == before

    response = client.post(URL, _form(person_email="BUYER@acmeins.test", password=PASSWORD))
    assert response.status_code == 302
    customer = Customer.objects.get(name="Zest Roofing")
    assert CustomerMembership.objects.filter(user=buyer).count() == 2  # still Acme Insurance, plus Zest
    assert CustomerMembership.objects.get(user=buyer, customer=customer).role == CustomerRole.CUSTOMER_ADMIN
    assert User.objects.filter(email="buyer@acmeins.test").count() == 1
    buyer.refresh_from_db()
    assert buyer.check_password(PASSWORD)  # the existing password is untouched


def test_a_failure_after_the_user_is_created_rolls_everything_back(tenant_a, monkeypatch):
    """One transaction: if the membership cannot be written, the new user and customer vanish too."""
    from juiced.customers import services

    class Boom(Exception):
        pass

    def refuse(**kwargs):
        raise Boom

    monkeypatch.setattr(services.CustomerMembership.objects, "create", refuse)
    before = _counts()
    with pytest.raises(Boom):
        customer_register(
            tenant=tenant_a,
            business={"name": "Zest Roofing", "email": "billing@zestroof.test"},
            person_name="Zoe",
            person_email="zoe@zestroof.test",
            password="a-long-unusual-passphrase-9",
        )
    assert _counts() == before


def test_a_tenant_can_turn_sign_ups_off(client, tenant_a, alice):
    signup_settings_update(tenant=tenant_a, actor=alice, allow_self_registration=False)
    assert client.get(URL).status_code == 404
    before = _counts()
    response = client.post(URL, _form())
    assert response.status_code == 404
    assert "does not take sign-ups" in response.content.decode()
    assert _counts() == before
    assert AuditEntry.objects.filter(tenant=tenant_a, action="signup_settings.updated").exists()


def test_an_unknown_tenant_is_not_found(client, tenant_a):
    assert client.get("/app/register/nobody/").status_code == 404


def test_sign_ups_go_to_the_right_tenant_only(client, tenant_a, tenant_b):
    client.post("/app/register/bolt-leads/", _form())
    customer = Customer.objects.get(name="Zest Roofing")
    assert customer.tenant == tenant_b
    assert not Customer.objects.filter(tenant=tenant_a, name="Zest Roofing").exists()
    # The new Customer Admin of a Bolt customer has no access to Acme's dashboard or customers.
    assert client.get(f"/manage/{tenant_a.slug}/customers/").status_code == 404


def test_the_login_page_links_to_registration_when_the_tenant_allows_it(client, tenant_a, alice):
    assert 'data-testid="register-link"' not in client.get("/login/").content.decode()
    body = client.get("/login/?tenant=acme-leads").content.decode()
    assert 'data-testid="register-link"' in body and 'href="/app/register/acme-leads/"' in body
    signup_settings_update(tenant=tenant_a, actor=alice, allow_self_registration=False)
    assert 'data-testid="register-link"' not in client.get("/login/?tenant=acme-leads").content.decode()
    assert 'data-testid="register-link"' not in client.get("/login/?tenant=nobody").content.decode()


def test_registration_with_onboarding_videos_lands_on_the_onboarding_page(client, tenant_a, alice):
    onboarding_video_create(
        tenant=tenant_a, actor=alice, data={"title": "Welcome", "url": "https://v.test/a.mp4"}
    )
    response = client.post(URL, _form())
    assert response.status_code == 302 and response["Location"] == "/app/onboarding/"
