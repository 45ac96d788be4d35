"""API tokens: stored hashed, shown once, revocable, and only as good as the owner's membership."""

from __future__ import annotations

import pytest

from juiced.core.errors import NotFound
from juiced.tenants.models import ApiToken, Membership
from juiced.tenants.roles import StaffRole
from juiced.tenants.services import api_token_authenticate, api_token_create, api_token_revoke, hash_secret

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_token_is_stored(tenant_a, alice):
    token, raw = api_token_create(tenant=tenant_a, user=alice, name="ci")

    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in {stored.token_hash, stored.prefix, stored.name}
    assert stored.token_hash == hash_secret(raw)
    assert raw.startswith(stored.prefix)


def test_a_live_token_authenticates_as_its_owner_at_its_tenant(tenant_a, alice):
    _token, raw = api_token_create(tenant=tenant_a, user=alice, name="ci")

    token, membership = api_token_authenticate(raw)

    assert (token.tenant, token.user, membership.role) == (tenant_a, alice, StaffRole.ADMIN)


def test_a_revoked_token_no_longer_authenticates(tenant_a, alice):
    token, raw = api_token_create(tenant=tenant_a, user=alice, name="ci")

    api_token_revoke(token=token, actor=alice)

    assert api_token_authenticate(raw) is None


def test_a_token_stops_working_when_its_owner_leaves_the_staff(tenant_a, make_staff):
    sam = make_staff(StaffRole.SALES)
    _token, raw = api_token_create(tenant=tenant_a, user=sam, name="ci")

    Membership.objects.filter(user=sam).delete()

    assert api_token_authenticate(raw) is None


def test_unknown_or_malformed_tokens_do_not_authenticate(tenant_a, alice):
    api_token_create(tenant=tenant_a, user=alice, name="ci")
    assert api_token_authenticate("") is None
    assert api_token_authenticate("jcd_not-a-real-token") is None
    assert api_token_authenticate("Bearer something") is None


def test_a_token_cannot_be_made_for_someone_outside_the_tenant(tenant_a, bob):
    with pytest.raises(NotFound):
        api_token_create(tenant=tenant_a, user=bob, name="sneaky")
    assert not ApiToken.objects.exists()
