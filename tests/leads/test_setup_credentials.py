"""Credentials made by lead setup work (and stop working) at the source API's authenticator."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from juiced.leads import setup
from juiced.leads.models import SourceToken
from juiced.leads.source_auth import source_authenticate
from tests.leads.conftest import basic_auth


def test_secret_rotation_stops_the_old_secret_at_once(tenant_a, alice, make_category):
    category = make_category(tenant_a)
    source, secret = setup.source_create(
        tenant=tenant_a, actor=alice, data={"name": "Form", "default_category": category.public_id}
    )
    assert source_authenticate(authorization=basic_auth(source.api_key, secret)).pk == source.pk
    new = setup.source_secret_rotate(source=source, actor=alice)
    assert source_authenticate(authorization=basic_auth(source.api_key, secret)) is None
    assert source_authenticate(authorization=basic_auth(source.api_key, new)).pk == source.pk


def test_rotated_token_keeps_working_for_24_hours_then_stops(tenant_a, alice, make_category):
    category = make_category(tenant_a)
    source, _secret = setup.source_create(
        tenant=tenant_a, actor=alice, data={"name": "Form", "default_category": category.public_id}
    )
    _old, old_raw = setup.source_token_create(source=source, actor=alice)
    _new, new_raw = setup.source_token_rotate(source=source, actor=alice)
    assert source_authenticate(authorization=f"Bearer {old_raw}").pk == source.pk
    assert source_authenticate(authorization=f"Bearer {new_raw}").pk == source.pk
    # A day later the old one has expired.
    SourceToken.objects.filter(token_hash=setup.credential_hash(old_raw)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert source_authenticate(authorization=f"Bearer {old_raw}") is None


def test_paused_and_deleted_sources_are_refused(tenant_a, alice, make_category):
    category = make_category(tenant_a)
    source, secret = setup.source_create(
        tenant=tenant_a, actor=alice, data={"name": "Form", "default_category": category.public_id}
    )
    _token, raw = setup.source_token_create(source=source, actor=alice)
    setup.source_update(source=source, actor=alice, data={"is_active": False})
    assert source_authenticate(authorization=basic_auth(source.api_key, secret)) is None
    setup.source_update(source=source, actor=alice, data={"is_active": True})
    assert source_authenticate(authorization=f"Bearer {raw}").pk == source.pk
    setup.source_delete(source=source, actor=alice)
    assert source_authenticate(authorization=basic_auth(source.api_key, secret)) is None
    assert source_authenticate(authorization=f"Bearer {raw}") is None
