"""Staff roles and removal: the tenant always keeps an Admin; removal cuts API access at once."""

from __future__ import annotations

import pytest

from juiced.core.errors import InvalidState, NotFound, ValidationFailed
from juiced.tenants.models import ApiToken, Membership
from juiced.tenants.roles import StaffRole
from juiced.tenants.services import (
    api_token_authenticate,
    api_token_create,
    membership_remove,
    membership_set_role,
)

pytestmark = pytest.mark.django_db


def test_the_last_admin_cannot_be_demoted(tenant_a, alice):
    with pytest.raises(InvalidState):
        membership_set_role(
            tenant=tenant_a, actor=alice, user_public_id=alice.public_id, role=StaffRole.SALES
        )
    assert Membership.objects.get(tenant=tenant_a, user=alice).role == StaffRole.ADMIN


def test_the_last_admin_cannot_be_removed(tenant_a, alice):
    with pytest.raises(InvalidState):
        membership_remove(tenant=tenant_a, actor=alice, user_public_id=alice.public_id)
    assert Membership.objects.filter(tenant=tenant_a, user=alice).exists()


def test_an_admin_can_be_demoted_when_another_admin_remains(tenant_a, alice, make_staff):
    make_staff(StaffRole.ADMIN, email="ada@acme.test")

    membership_set_role(tenant=tenant_a, actor=alice, user_public_id=alice.public_id, role=StaffRole.SALES)

    assert Membership.objects.get(tenant=tenant_a, user=alice).role == StaffRole.SALES


def test_unknown_role_is_refused(tenant_a, alice, make_staff):
    sam = make_staff(StaffRole.SALES)
    with pytest.raises(ValidationFailed):
        membership_set_role(tenant=tenant_a, actor=alice, user_public_id=sam.public_id, role="owner")
    assert Membership.objects.get(user=sam).role == StaffRole.SALES


def test_another_tenants_member_is_not_found(tenant_a, alice, bob):
    with pytest.raises(NotFound):
        membership_set_role(tenant=tenant_a, actor=alice, user_public_id=bob.public_id, role=StaffRole.SALES)
    with pytest.raises(NotFound):
        membership_remove(tenant=tenant_a, actor=alice, user_public_id=bob.public_id)
    assert Membership.objects.get(user=bob).role == StaffRole.ADMIN


def test_removing_a_member_revokes_their_api_tokens(tenant_a, alice, make_staff):
    sam = make_staff(StaffRole.CUSTOMER_SUPPORT)
    token, raw = api_token_create(tenant=tenant_a, user=sam, name="sam's script")

    membership_remove(tenant=tenant_a, actor=alice, user_public_id=sam.public_id)

    assert not Membership.objects.filter(user=sam).exists()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert api_token_authenticate(raw) is None
