"""The Settings page: Admins create API tokens (the secret shown once) and revoke them."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from juiced.tenants.models import ApiToken
from juiced.tenants.roles import StaffRole
from juiced.tenants.services import api_token_authenticate, api_token_create

pytestmark = pytest.mark.django_db

SETTINGS = "/manage/acme-leads/settings/"


def _raw_token_in(html: str) -> str:
    found = re.search(r'data-testid="raw-token">(jcd_[^<]+)<', html)
    assert found, "the raw token is not on the page"
    return found.group(1)


def _state():
    return sorted(ApiToken.objects.values_list("name", "user__email", "revoked_at"))


def test_token_is_shown_once_and_the_api_accepts_it(login_client, tenant_a, alice):
    client = login_client(alice)

    created = client.post(f"{SETTINGS}tokens/", {"name": "CRM sync"})

    assert created.status_code == 201
    assert created["Cache-Control"] == "no-store"
    raw = _raw_token_in(created.content.decode())
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/manage/customers")
    assert api.status_code == 200
    later = client.get(SETTINGS).content.decode()
    assert raw not in later
    assert "CRM sync" in later and raw[:10] in later and "Active" in later
    token = ApiToken.objects.get(name="CRM sync")
    assert (token.user, token.tenant, token.last_used_at is not None) == (alice, tenant_a, True)


def test_a_revoked_token_no_longer_authenticates(login_client, tenant_a, alice):
    token, raw = api_token_create(tenant=tenant_a, user=alice, name="CRM sync")

    response = login_client(alice).post(f"{SETTINGS}tokens/{token.public_id}/revoke/", follow=True)

    assert response.status_code == 200
    assert "Revoked" in response.content.decode()
    assert api_token_authenticate(raw) is None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/manage/customers").status_code == 401


def test_an_over_long_token_name_is_a_field_error_and_creates_nothing(login_client, tenant_a, alice):
    response = login_client(alice).post(f"{SETTINGS}tokens/", {"name": "x" * 101})

    assert response.status_code == 422
    assert "field-error" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_another_tenants_admin_gets_404_and_changes_nothing(login_client, tenant_a, alice, bob):
    token, _raw = api_token_create(tenant=tenant_a, user=alice, name="CRM sync")
    client = login_client(bob)
    before = _state()

    assert client.get(SETTINGS).status_code == 404
    assert client.post(f"{SETTINGS}tokens/", {"name": "sneaky"}).status_code == 404
    assert client.post(f"{SETTINGS}tokens/{token.public_id}/revoke/").status_code == 404

    assert _state() == before


def test_another_tenants_token_cannot_be_revoked_from_my_settings(
    login_client, tenant_a, tenant_b, alice, bob
):
    bolt_token, raw = api_token_create(tenant=tenant_b, user=bob, name="Bolt's script")

    response = login_client(alice).post(f"{SETTINGS}tokens/{bolt_token.public_id}/revoke/")

    assert response.status_code == 404
    assert api_token_authenticate(raw) is not None


@pytest.mark.parametrize("role", [StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION])
def test_non_admin_roles_get_403_and_change_nothing(login_client, tenant_a, alice, make_staff, role):
    token, raw = api_token_create(tenant=tenant_a, user=alice, name="CRM sync")
    client = login_client(make_staff(role))
    before = _state()

    assert client.get(SETTINGS).status_code == 403
    assert client.post(f"{SETTINGS}tokens/", {"name": "mine"}).status_code == 403
    assert client.post(f"{SETTINGS}tokens/{token.public_id}/revoke/").status_code == 403

    assert _state() == before
    assert api_token_authenticate(raw) is not None
