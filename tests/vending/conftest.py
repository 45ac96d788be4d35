"""Vending fixtures: model-level factories (no services), so every vending test file can start at once.

make_tariff(tenant, **terms) → Tariff with its first version; make_meter(tenant, serial) → an OpenPAYGO
meter with a known secret key (METER_KEY_HEX, stored encrypted); make_account(tenant, ...) → an active
account with its own customer, location and meter; make_vendor(user, tenant) → a cashier's Vendor row.
"""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from juiced.core.crypto import encrypt_secret
from juiced.tenants.roles import StaffRole
from juiced.vending.models import (
    Account,
    AccountStatus,
    Location,
    Meter,
    Tariff,
    TariffKind,
    TariffVersion,
    VendingCustomer,
    Vendor,
)

METER_KEY_HEX = "a29ab82edc5fbbc41ec9530f6dac86b1"
METER_STARTING_CODE = 123456789

_seq = itertools.count(1)


@pytest.fixture
def make_tariff():
    def make(
        tenant, *, name: str | None = None, kind: str = TariffKind.FLAT, flat_rate: int = 20_000, **terms
    ):
        tariff = Tariff.objects.create(tenant=tenant, name=name or f"Tariff {next(_seq)}")
        version = TariffVersion.objects.create(
            tenant=tenant, tariff=tariff, number=1, kind=kind, flat_rate=flat_rate, **terms
        )
        tariff.current_version = version
        tariff.save(update_fields=["current_version"])
        return tariff

    return make


@pytest.fixture
def make_meter():
    def make(tenant, serial: str | None = None, **fields):
        fields.setdefault("openpaygo_secret_key", encrypt_secret(METER_KEY_HEX))
        fields.setdefault("openpaygo_starting_code", METER_STARTING_CODE)
        return Meter.objects.create(tenant=tenant, serial_number=serial or f"SM{next(_seq):06d}", **fields)

    return make


@pytest.fixture
def make_account(make_tariff, make_meter):
    def make(
        tenant, *, tariff=None, meter=None, status: str = AccountStatus.ACTIVE, phone="+15555550142", **fields
    ):
        n = next(_seq)
        customer = VendingCustomer.objects.create(
            tenant=tenant, name=f"Household {n}", phone=phone, email=f"household{n}@example.test"
        )
        location = Location.objects.create(tenant=tenant, loc_id=f"LOC{n:05d}", address_1=f"{n} Grid Road")
        return Account.objects.create(
            tenant=tenant,
            number=f"{100000 + n}",
            customer=customer,
            location=location,
            meter=meter or make_meter(tenant),
            tariff=tariff or make_tariff(tenant),
            status=status,
            activated_at=timezone.now() if status == AccountStatus.ACTIVE else None,
            **fields,
        )

    return make


@pytest.fixture
def make_vendor():
    def make(user, tenant, **fields):
        fields.setdefault("name", f"Till {next(_seq)}")
        return Vendor.objects.create(tenant=tenant, user=user, **fields)

    return make


@pytest.fixture
def cashier(make_staff, tenant_a, make_vendor):
    """A Cashier on tenant_a's staff with a Vendor row (no limits)."""
    user = make_staff(StaffRole.CASHIER)
    make_vendor(user, tenant_a)
    return user


@pytest.fixture
def supervisor(make_staff):
    return make_staff(StaffRole.VENDING_SUPERVISOR)
