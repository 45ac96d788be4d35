"""Factories for the marketplace: plain ORM rows, so every test can build a market in a few lines.

category = make_category(tenant_a)                   # base fields + "age" (number)
auto = make_lead_type(category, "Auto", minimum=1000, step=100)   # all scopes enabled
source, secret = make_source(tenant_a)               # internal; Basic auth key:secret
bid = make_bid(acme_customer, auto, amount=2500)     # nationwide
fund(acme_customer, 10_000)
"""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest

from juiced.customers.services import customer_create
from juiced.leads import fields as lead_fields
from juiced.leads.models import Bid, CategoryField, LeadCategory, LeadType, LeadTypePricing, Scope, Source
from juiced.wallets.models import TransactionEvent
from juiced.wallets.services import wallet_credit


@pytest.fixture
def make_category():
    def make(tenant, name: str = "Auto insurance", extra: list[dict] | None = None) -> LeadCategory:
        category = LeadCategory.objects.create(tenant=tenant, name=name)
        specs = lead_fields.base_field_specs()
        for position, spec in enumerate(specs):
            CategoryField.objects.create(
                tenant=tenant,
                category=category,
                key=spec.key,
                label=spec.label,
                field_type=spec.field_type,
                is_base=True,
                required_for_ping=spec.required_for_ping,
                required_for_post=spec.required_for_post,
                position=position,
            )
        for offset, field in enumerate(extra or [{"key": "age", "label": "Age", "field_type": "number"}]):
            CategoryField.objects.create(
                tenant=tenant, category=category, position=len(specs) + offset, **field
            )
        return category

    return make


@pytest.fixture
def make_lead_type():
    def make(
        category: LeadCategory,
        name: str = "Standard",
        *,
        minimum: int = 1000,
        step: int = 100,
        maximum: int | None = 100_000,
        fixed: bool = False,
        scopes: tuple[str, ...] = (Scope.COUNTY, Scope.STATE, Scope.NATIONWIDE),
        conditions: list | None = None,
        is_fallback: bool = True,
        position: int = 0,
    ) -> LeadType:
        lead_type = LeadType.objects.create(
            tenant=category.tenant,
            category=category,
            name=name,
            conditions=conditions or [],
            is_fallback=is_fallback,
            position=position,
        )
        for scope in Scope.values:
            LeadTypePricing.objects.create(
                tenant=category.tenant,
                lead_type=lead_type,
                scope=scope,
                enabled=scope in scopes,
                fixed_price=fixed,
                minimum=minimum,
                maximum=None if fixed else maximum,
                step=step,
            )
        return lead_type

    return make


def basic_auth(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@pytest.fixture
def make_source():
    """Returns (source, secret); `basic_auth(source.api_key, secret)` is its Authorization header."""

    def make(tenant, name: str = "Web form", *, kind: str = Source.Kind.INTERNAL, category=None, **extra):
        secret = secrets.token_urlsafe(32)
        source = Source.objects.create(
            tenant=tenant,
            name=name,
            kind=kind,
            api_key="key_" + secrets.token_hex(12),
            api_secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
            default_category=category,
            **extra,
        )
        return source, secret

    return make


@pytest.fixture
def make_bid():
    def make(
        customer,
        lead_type: LeadType,
        *,
        amount: int = 2500,
        scope: str = Scope.NATIONWIDE,
        state: str = "",
        county: str = "",
        **extra,
    ) -> Bid:
        return Bid.objects.create(
            tenant=customer.tenant, customer=customer, lead_type=lead_type, scope=scope,
            state=state, county=county, amount=amount, **extra,
        )  # fmt: skip

    return make


@pytest.fixture
def fund():
    def add(customer, cents: int) -> None:
        wallet_credit(
            wallet=customer.wallet, amount=cents, event=TransactionEvent.FUNDS_ADDED, description="Test funds"
        )
        customer.wallet.refresh_from_db()

    return add


@pytest.fixture
def make_customer(tenant_a, alice):
    def make(name: str, tenant=None, actor=None, **extra):
        return customer_create(
            tenant=tenant or tenant_a,
            actor=actor or alice,
            data={"name": name, "email": f"{name.lower().replace(' ', '.')}@example.com", **extra},
        )

    return make
