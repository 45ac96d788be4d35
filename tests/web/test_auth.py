"""Log in, log out, password reset and invitation acceptance, through the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from juiced.customers.models import CustomerMembership
from juiced.customers.services import customer_create
from juiced.tenants.models import Invite, Membership, User
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.tenants.services import invite_create, invite_revoke
from tests.conftest import PASSWORD
from tests.mailbox import invite_path, link_path_in_mail

pytestmark = pytest.mark.django_db
# Tests that run the real worker need real commits: it closes connections that are inside a transaction.
with_worker = pytest.mark.django_db(transaction=True)


def _logged_in_user(client: Client):
    return client.get("/").wsgi_request.user


# --- log in / log out -------------------------------------------------------------------------------


def test_staff_logs_in_with_email_and_lands_on_the_dashboard(client, alice):
    response = client.post("/login/", {"username": "Alice@Acme.test", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").url == "/manage/acme-leads/customers/"


def test_wrong_password_shows_an_error_keeps_the_email_and_logs_nobody_in(client, alice):
    response = client.post("/login/", {"username": "alice@acme.test", "password": "wrong-password"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "do not match an account" in html
    assert 'value="alice@acme.test"' in html
    assert not _logged_in_user(client).is_authenticated


def test_login_page_renders_for_anonymous_visitors(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_pages_send_anonymous_visitors_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_logout_is_a_post_that_ends_the_session(login_client, alice):
    client = login_client(alice)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert not _logged_in_user(client).is_authenticated


# --- password reset ---------------------------------------------------------------------------------


@with_worker
def test_password_reset_mails_a_link_that_sets_a_new_password_once(client, alice, run_tasks):
    response = client.post("/password-reset/", {"email": "alice@acme.test"})
    assert response.status_code == 302 and response.url == "/password-reset/done/"
    run_tasks()
    link = link_path_in_mail(to="alice@acme.test", marker="/reset/")

    form_url = client.get(link).url  # Django swaps the token for a session and redirects
    response = client.post(
        form_url, {"new_password1": "brand-new-pass-77", "new_password2": "brand-new-pass-77"}
    )

    assert response.status_code == 302 and response.url == "/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password("brand-new-pass-77")
    assert not alice.check_password(PASSWORD)
    again = Client().get(link, follow=True)
    assert "invalid or expired" in again.content.decode()


@with_worker
def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, alice, run_tasks):
    response = client.post("/password-reset/", {"email": "nobody@acme.test"})
    run_tasks()

    assert response.status_code == 302 and response.url == "/password-reset/done/"
    assert mail.outbox == []


@with_worker
def test_password_reset_refuses_mismatched_passwords_and_keeps_the_old_one(client, alice, run_tasks):
    client.post("/password-reset/", {"email": "alice@acme.test"})
    run_tasks()
    form_url = client.get(link_path_in_mail(to="alice@acme.test", marker="/reset/")).url

    response = client.post(form_url, {"new_password1": "brand-new-pass-77", "new_password2": "other-pass-77"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode() or "field-error" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# --- invitations ------------------------------------------------------------------------------------


def _mailed_invite(*, email, role, tenant, actor, run_tasks, customer=None) -> str:
    invite_create(tenant=tenant, actor=actor, email=email, role=role, customer=customer)
    run_tasks()
    return invite_path(email)


@with_worker
def test_newcomer_accepts_a_staff_invite_from_the_mail_and_is_logged_in(client, tenant_a, alice, run_tasks):
    path = _mailed_invite(
        email="sam@acme.test",
        role=StaffRole.CUSTOMER_SUPPORT,
        tenant=tenant_a,
        actor=alice,
        run_tasks=run_tasks,
    )

    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme Leads" in html and "Customer Support" in html and "sam@acme.test" in html

    response = client.post(path, {"name": "Sam Support", "password": PASSWORD})

    assert response.status_code == 302 and response.url == "/"
    sam = User.objects.get(email="sam@acme.test")
    assert sam.name == "Sam Support"
    assert Membership.objects.get(tenant=tenant_a, user=sam).role == StaffRole.CUSTOMER_SUPPORT
    assert _logged_in_user(client) == sam


def test_invite_link_works_once_then_shows_invalid_with_404(client, tenant_a, alice):
    _invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)
    client.post(f"/invite/{raw}/", {"name": "Sam", "password": PASSWORD})

    again = Client().post(f"/invite/{raw}/", {"name": "Mallory", "password": PASSWORD})

    assert again.status_code == 404
    assert "invalid or expired" in again.content.decode()
    assert User.objects.get(email="sam@acme.test").name == "Sam"


def test_expired_invite_shows_invalid_and_creates_nobody(client, tenant_a, alice):
    invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert client.get(f"/invite/{raw}/").status_code == 404
    response = client.post(f"/invite/{raw}/", {"name": "Sam", "password": PASSWORD})

    assert response.status_code == 404
    assert "invalid or expired" in response.content.decode()
    assert not User.objects.filter(email="sam@acme.test").exists()


def test_revoked_invite_shows_invalid_and_creates_nobody(client, tenant_a, alice):
    invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)
    invite_revoke(invite=invite, actor=alice)

    response = client.post(f"/invite/{raw}/", {"name": "Sam", "password": PASSWORD})

    assert response.status_code == 404
    assert not User.objects.filter(email="sam@acme.test").exists()


def test_unknown_invite_token_shows_invalid(client, db):
    assert client.get("/invite/not-a-token/").status_code == 404


def test_weak_password_shows_the_field_error_and_keeps_the_name(client, tenant_a, alice):
    _invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)

    response = client.post(f"/invite/{raw}/", {"name": "Sam Seller", "password": "password"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "too common" in html
    assert 'value="Sam Seller"' in html
    assert not User.objects.filter(email="sam@acme.test").exists()


def test_existing_user_accepts_by_entering_their_password(client, tenant_a, alice, buyer):
    second = customer_create(
        tenant=tenant_a, actor=alice, data={"name": "Acme Solar", "email": "s@acme.test"}
    )
    _invite, raw = invite_create(
        tenant=tenant_a, actor=alice, email=buyer.email, role=CustomerRole.CUSTOMER_USER, customer=second
    )

    wrong = client.post(f"/invite/{raw}/", {"password": "not-my-password"})
    assert wrong.status_code == 200
    assert "not the password" in wrong.content.decode()
    assert CustomerMembership.objects.filter(user=buyer).count() == 1

    response = client.post(f"/invite/{raw}/", {"password": PASSWORD})

    assert response.status_code == 302 and response.url == "/"
    assert _logged_in_user(client) == buyer
    names = sorted(CustomerMembership.objects.filter(user=buyer).values_list("customer__name", flat=True))
    assert names == ["Acme Insurance", "Acme Solar"]


@with_worker
def test_customer_invite_accepted_by_the_logged_in_user_links_a_second_customer(
    login_client, tenant_a, alice, buyer, run_tasks
):
    second = customer_create(
        tenant=tenant_a, actor=alice, data={"name": "Acme Solar", "email": "s@acme.test"}
    )
    path = _mailed_invite(
        email=buyer.email,
        role=CustomerRole.CUSTOMER_USER,
        tenant=tenant_a,
        actor=alice,
        run_tasks=run_tasks,
        customer=second,
    )
    client = login_client(buyer)

    page = client.get(path)
    assert "Acme Solar" in page.content.decode()
    response = client.post(path, {})

    assert response.status_code == 302 and response.url == "/"
    roles = dict(CustomerMembership.objects.filter(user=buyer).values_list("customer__name", "role"))
    assert roles == {"Acme Insurance": CustomerRole.CUSTOMER_ADMIN, "Acme Solar": CustomerRole.CUSTOMER_USER}


def test_someone_logged_in_as_another_person_must_give_the_invitees_password(
    login_client, tenant_a, alice, buyer
):
    _invite, raw = invite_create(tenant=tenant_a, actor=alice, email=buyer.email, role=StaffRole.SALES)
    client = login_client(alice)

    response = client.post(f"/invite/{raw}/", {})

    assert response.status_code == 200
    assert not Membership.objects.filter(user=buyer).exists()
