"""Shared fixtures. Tenants and people have names so tests read like stories:

alice is Admin at Acme Leads (tenant A), bob is Admin at Bolt Leads (tenant B); acme_customer is a
customer of tenant A whose portal user is buyer; bolt_customer belongs to tenant B.
"""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from juiced.customers.models import CustomerMembership
from juiced.customers.services import customer_create
from juiced.tenants.models import Membership, User
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.tenants.services import api_token_create, tenant_create

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct-horse-42"


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run only on the PostgreSQL pass of `make test`."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="PostgreSQL-only: runs in the PostgreSQL pass of `make test`")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def tenant_a(db):
    tenant, _admin = tenant_create(
        slug="acme-leads", name="Acme Leads", admin_email="alice@acme.test", admin_password=PASSWORD
    )
    return tenant


@pytest.fixture
def tenant_b(db):
    tenant, _admin = tenant_create(
        slug="bolt-leads", name="Bolt Leads", admin_email="bob@bolt.test", admin_password=PASSWORD
    )
    return tenant


@pytest.fixture
def alice(tenant_a):
    return User.objects.get(email="alice@acme.test")


@pytest.fixture
def bob(tenant_b):
    return User.objects.get(email="bob@bolt.test")


@pytest.fixture
def make_staff(tenant_a):
    """make_staff(role, tenant=tenant_a) → a staff user with that role."""

    def make(role: str, tenant=None, email: str | None = None) -> User:
        tenant = tenant or tenant_a
        email = email or f"{role}@{tenant.slug}.test"
        user = User.objects.create_user(email=email, password=PASSWORD, name=role.replace("_", " ").title())
        Membership.objects.create(tenant=tenant, user=user, role=role)
        return user

    return make


@pytest.fixture
def acme_customer(tenant_a, alice):
    return customer_create(
        tenant=tenant_a, actor=alice, data={"name": "Acme Insurance", "email": "ops@acmeins.test"}
    )


@pytest.fixture
def bolt_customer(tenant_b, bob):
    return customer_create(
        tenant=tenant_b, actor=bob, data={"name": "Bolt Roofing", "email": "ops@boltroof.test"}
    )


@pytest.fixture
def buyer(acme_customer):
    user = User.objects.create_user(email="buyer@acmeins.test", password=PASSWORD, name="Betty Buyer")
    CustomerMembership.objects.create(customer=acme_customer, user=user, role=CustomerRole.CUSTOMER_ADMIN)
    return user


@pytest.fixture
def login_client():
    """login_client(user) → a Django test client logged in as that user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client():
    """api_client(user, tenant) → a test client sending that user's bearer token for that tenant."""

    def make(user: User, tenant) -> Client:
        _token, raw = api_token_create(tenant=tenant, user=user, name="tests")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def run_tasks():
    """run_tasks() runs every queued background task through the real worker, then returns."""

    def run() -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    return run


__all__ = ["IN_CI", "PASSWORD", "StaffRole", "on_postgres"]
