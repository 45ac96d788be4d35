"""The Team page: Admins list staff, invite, change roles and remove; nobody else gets in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from juiced.tenants.models import Invite, Membership, User
from juiced.tenants.roles import StaffRole
from juiced.tenants.services import invite_create, invite_lookup
from tests.conftest import PASSWORD
from tests.mailbox import invite_path

pytestmark = pytest.mark.django_db
# Tests that run the real worker need real commits: it closes connections that are inside a transaction.
with_worker = pytest.mark.django_db(transaction=True)

TEAM = "/manage/acme-leads/team/"


def _state():
    """Everything the Team page can change, to prove a refused request changed nothing."""
    memberships = sorted(Membership.objects.values_list("tenant__slug", "user__email", "role"))
    invites = sorted(Invite.objects.values_list("email", "role", "token_hash", "revoked_at", "accepted_at"))
    return memberships, invites


def test_admin_sees_the_staff_with_their_roles_and_the_pending_invites(
    login_client, tenant_a, alice, make_staff
):
    make_staff(StaffRole.SALES, email="sam@acme.test")
    invite_create(tenant=tenant_a, actor=alice, email="dee@acme.test", role=StaffRole.DATA_VALIDATION)

    response = login_client(alice).get(TEAM)

    assert response.status_code == 200
    html = response.content.decode()
    assert "alice@acme.test" in html and "sam@acme.test" in html
    assert 'value="sales" selected' in html
    assert "dee@acme.test" in html and "Data Validation" in html
    assert "bob@bolt.test" not in html


@with_worker
def test_admin_invites_staff_through_the_form_and_the_mailed_link_makes_a_member(
    login_client, tenant_a, alice, run_tasks
):
    response = login_client(alice).post(
        f"{TEAM}invites/", {"email": "dee@acme.test", "role": StaffRole.DATA_VALIDATION}
    )
    assert response.status_code == 302 and response.url == TEAM
    run_tasks()

    accepted = Client().post(invite_path("dee@acme.test"), {"name": "Dee", "password": PASSWORD})

    assert accepted.status_code == 302
    dee = User.objects.get(email="dee@acme.test")
    assert Membership.objects.get(tenant=tenant_a, user=dee).role == StaffRole.DATA_VALIDATION


def test_invite_form_shows_field_errors_keeps_the_input_and_creates_nothing(login_client, tenant_a, alice):
    client = login_client(alice)

    bad_email = client.post(f"{TEAM}invites/", {"email": "not-an-email", "role": StaffRole.SALES})
    already = client.post(f"{TEAM}invites/", {"email": "alice@acme.test", "role": StaffRole.SALES})

    assert bad_email.status_code == 422
    assert 'value="not-an-email"' in bad_email.content.decode()
    assert already.status_code == 422
    assert "already on your team" in already.content.decode()
    assert not Invite.objects.exists()


def test_admin_changes_a_members_role(login_client, tenant_a, alice, make_staff):
    sam = make_staff(StaffRole.SALES)

    response = login_client(alice).post(
        f"{TEAM}members/{sam.public_id}/role/", {"role": StaffRole.CUSTOMER_SUPPORT}, follow=True
    )

    assert response.status_code == 200
    assert "is now Customer Support" in response.content.decode()
    assert Membership.objects.get(user=sam).role == StaffRole.CUSTOMER_SUPPORT


def test_the_last_admin_can_be_neither_demoted_nor_removed_from_the_page(login_client, tenant_a, alice):
    client = login_client(alice)
    before = _state()

    demote = client.post(f"{TEAM}members/{alice.public_id}/role/", {"role": StaffRole.SALES}, follow=True)
    remove = client.post(f"{TEAM}members/{alice.public_id}/remove/", follow=True)

    assert "at least one Admin" in demote.content.decode()
    assert "at least one Admin" in remove.content.decode()
    assert _state() == before


def test_admin_removes_a_member(login_client, tenant_a, alice, make_staff):
    sam = make_staff(StaffRole.SALES)

    response = login_client(alice).post(f"{TEAM}members/{sam.public_id}/remove/")

    assert response.status_code == 302 and response.url == TEAM
    assert not Membership.objects.filter(user=sam).exists()
    assert User.objects.filter(pk=sam.pk).exists()  # the account stays; only the access goes


def test_revoking_an_invite_from_the_page_kills_its_link(login_client, tenant_a, alice):
    invite, raw = invite_create(tenant=tenant_a, actor=alice, email="dee@acme.test", role=StaffRole.SALES)

    login_client(alice).post(f"{TEAM}invites/{invite.public_id}/revoke/")

    assert Client().get(f"/invite/{raw}/").status_code == 404


@with_worker
def test_resending_an_expired_invite_mails_a_fresh_link(login_client, tenant_a, alice, run_tasks):
    invite, old = invite_create(tenant=tenant_a, actor=alice, email="dee@acme.test", role=StaffRole.SALES)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    login_client(alice).post(f"{TEAM}invites/{invite.public_id}/resend/")
    run_tasks()

    new_path = invite_path("dee@acme.test")
    assert new_path != f"/invite/{old}/"
    assert Client().get(new_path).status_code == 200
    assert Client().get(f"/invite/{old}/").status_code == 404


def _team_requests(tenant, alice):
    sam = User.objects.get(email="sam@acme.test")
    invite = Invite.objects.get(tenant=tenant)
    return [
        ("get", TEAM, {}),
        ("post", f"{TEAM}invites/", {"email": "eve@acme.test", "role": StaffRole.ADMIN}),
        ("post", f"{TEAM}invites/{invite.public_id}/resend/", {}),
        ("post", f"{TEAM}invites/{invite.public_id}/revoke/", {}),
        ("post", f"{TEAM}members/{sam.public_id}/role/", {"role": StaffRole.ADMIN}),
        ("post", f"{TEAM}members/{alice.public_id}/role/", {"role": StaffRole.SALES}),
        ("post", f"{TEAM}members/{sam.public_id}/remove/", {}),
    ]


@pytest.fixture
def team_with_an_invite(tenant_a, alice, make_staff):
    make_staff(StaffRole.SALES, email="sam@acme.test")
    invite_create(tenant=tenant_a, actor=alice, email="dee@acme.test", role=StaffRole.SALES)
    return tenant_a


def test_another_tenants_admin_gets_404_everywhere_and_changes_nothing(
    login_client, team_with_an_invite, alice, bob
):
    client = login_client(bob)
    before = _state()

    for method, url, data in _team_requests(team_with_an_invite, alice):
        assert getattr(client, method)(url, data).status_code == 404, url

    assert _state() == before


@pytest.mark.parametrize("role", [StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION])
def test_non_admin_roles_get_403_everywhere_and_change_nothing(
    login_client, team_with_an_invite, alice, make_staff, role
):
    client = login_client(make_staff(role, email=f"not-admin-{role}@acme.test"))
    before = _state()

    for method, url, data in _team_requests(team_with_an_invite, alice):
        assert getattr(client, method)(url, data).status_code == 403, url

    assert _state() == before


def test_a_customer_user_gets_404_on_the_team_page(login_client, buyer):
    assert login_client(buyer).get(TEAM).status_code == 404


def test_another_tenants_invite_or_member_is_not_found_from_my_team_page(
    login_client, tenant_a, tenant_b, alice, bob
):
    bolt_invite, raw = invite_create(tenant=tenant_b, actor=bob, email="x@bolt.test", role=StaffRole.SALES)
    client = login_client(alice)

    assert client.post(f"{TEAM}invites/{bolt_invite.public_id}/revoke/").status_code == 404
    client.post(f"{TEAM}members/{bob.public_id}/remove/")

    assert invite_lookup(raw).pk == bolt_invite.pk
    assert Membership.objects.filter(user=bob, tenant=tenant_b).exists()
