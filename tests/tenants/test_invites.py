"""Invitations: one-time, expiring links that add a staff member or a customer user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from juiced.core.errors import Conflict, NotFound, ValidationFailed
from juiced.customers.models import CustomerMembership
from juiced.customers.services import customer_create
from juiced.tenants.models import Invite, Membership, User
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.tenants.services import invite_accept, invite_create, invite_lookup, invite_resend, invite_revoke
from tests.conftest import PASSWORD
from tests.mailbox import invite_path

pytestmark = pytest.mark.django_db


def test_staff_invite_accepted_by_a_newcomer_creates_the_user_and_membership_with_the_role(tenant_a, alice):
    _invite, raw = invite_create(tenant=tenant_a, actor=alice, email="Sam@Acme.test", role=StaffRole.SALES)

    user = invite_accept(raw_token=raw, name="Sam Seller", password=PASSWORD)

    assert user.email == "sam@acme.test"
    assert user.name == "Sam Seller"
    assert user.check_password(PASSWORD)
    assert Membership.objects.get(tenant=tenant_a, user=user).role == StaffRole.SALES


@pytest.mark.django_db(transaction=True)  # the worker closes connections that are inside a transaction
def test_invite_email_goes_out_from_the_worker_after_commit_with_the_link(tenant_a, alice, run_tasks):
    _invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)
    assert mail.outbox == []  # committed and queued, not sent by the service

    run_tasks()

    assert invite_path("sam@acme.test") == f"/invite/{raw}/"


def test_invite_link_works_once(tenant_a, alice):
    _invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)
    invite_accept(raw_token=raw, name="Sam", password=PASSWORD)

    with pytest.raises(NotFound):
        invite_accept(raw_token=raw, name="Mallory", password=PASSWORD)
    assert Membership.objects.filter(tenant=tenant_a).count() == 2


def test_expired_invite_is_refused_and_creates_nobody(tenant_a, alice):
    invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(NotFound):
        invite_lookup(raw)
    with pytest.raises(NotFound):
        invite_accept(raw_token=raw, name="Sam", password=PASSWORD)
    assert not User.objects.filter(email="sam@acme.test").exists()


def test_revoked_invite_is_refused(tenant_a, alice):
    invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)
    invite_revoke(invite=invite, actor=alice)

    with pytest.raises(NotFound):
        invite_accept(raw_token=raw, name="Sam", password=PASSWORD)
    assert not User.objects.filter(email="sam@acme.test").exists()


def test_resend_gives_a_new_link_and_the_old_one_stops_working(tenant_a, alice):
    invite, old = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    resent, new = invite_resend(invite=invite, actor=alice)

    assert resent.expires_at > timezone.now()
    with pytest.raises(NotFound):
        invite_lookup(old)
    assert invite_lookup(new).pk == invite.pk


def test_a_new_invite_replaces_the_pending_one_for_the_same_person(tenant_a, alice):
    _first, first_raw = invite_create(
        tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES
    )
    _second, second_raw = invite_create(
        tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.CUSTOMER_SUPPORT
    )

    with pytest.raises(NotFound):
        invite_lookup(first_raw)
    user = invite_accept(raw_token=second_raw, name="Sam", password=PASSWORD)
    assert Membership.objects.get(tenant=tenant_a, user=user).role == StaffRole.CUSTOMER_SUPPORT


def test_inviting_someone_already_on_the_team_is_refused(tenant_a, alice):
    with pytest.raises(ValidationFailed) as caught:
        invite_create(tenant=tenant_a, actor=alice, email="alice@acme.test", role=StaffRole.SALES)
    assert "email" in caught.value.fields
    assert not Invite.objects.exists()


def test_staff_invite_refuses_a_customer_role(tenant_a, alice):
    with pytest.raises(ValidationFailed) as caught:
        invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=CustomerRole.CUSTOMER_USER)
    assert "role" in caught.value.fields
    assert not Invite.objects.exists()


def test_newcomer_needs_an_acceptable_password_and_nothing_is_created_without_one(tenant_a, alice):
    invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.SALES)

    with pytest.raises(ValidationFailed) as missing:
        invite_accept(raw_token=raw, name="Sam", password="")
    with pytest.raises(ValidationFailed) as weak:
        invite_accept(raw_token=raw, name="Sam", password="password")

    assert "password" in missing.value.fields and "password" in weak.value.fields
    assert not User.objects.filter(email="sam@acme.test").exists()
    assert invite_lookup(raw).pk == invite.pk  # still usable


def test_existing_staff_member_accepting_a_second_staff_invite_gets_a_conflict(tenant_a, alice, make_staff):
    sam = make_staff(StaffRole.SALES, email="sam@acme.test")
    # Invite created before sam joined by another route: accepting must not create a second membership.
    Membership.objects.filter(user=sam).delete()
    _invite, raw = invite_create(tenant=tenant_a, actor=alice, email="sam@acme.test", role=StaffRole.ADMIN)
    Membership.objects.create(tenant=tenant_a, user=sam, role=StaffRole.SALES)

    with pytest.raises(Conflict):
        invite_accept(raw_token=raw)
    assert Membership.objects.get(user=sam).role == StaffRole.SALES


def test_customer_invite_links_an_existing_user_to_a_second_customer(tenant_a, alice, acme_customer, buyer):
    second = customer_create(
        tenant=tenant_a, actor=alice, data={"name": "Acme Solar", "email": "s@acme.test"}
    )
    _invite, raw = invite_create(
        tenant=tenant_a, actor=alice, email=buyer.email, role=CustomerRole.CUSTOMER_USER, customer=second
    )

    user = invite_accept(raw_token=raw)

    assert user == buyer
    linked = CustomerMembership.objects.filter(user=buyer).order_by("customer__name")
    assert [(m.customer.name, m.role) for m in linked] == [
        ("Acme Insurance", CustomerRole.CUSTOMER_ADMIN),
        ("Acme Solar", CustomerRole.CUSTOMER_USER),
    ]
    assert not Membership.objects.filter(user=buyer).exists()  # a customer user is not tenant staff
