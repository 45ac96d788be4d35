"""Selectors: tenant-scoped look-ups (another tenant's row is not found) and the account search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from juiced.core.errors import NotFound
from juiced.vending import selectors
from juiced.vending.models import VendingCustomer


@pytest.fixture
def wanjiku(tenant_a, make_account, make_meter):
    account = make_account(tenant_a, meter=make_meter(tenant_a, "KE-SM-001"), phone="+254700000001")
    VendingCustomer.objects.filter(pk=account.customer_id).update(name="Wanjiku Kamau")
    account.location.loc_id = "KIS-001"
    account.location.save()
    return account


def test_account_get_by_public_id_or_number_within_the_tenant(tenant_a, tenant_b, wanjiku):
    assert selectors.account_get(tenant_a, wanjiku.public_id) == wanjiku
    assert selectors.account_get(tenant_a, wanjiku.number) == wanjiku
    with pytest.raises(NotFound):
        selectors.account_get(tenant_b, wanjiku.public_id)
    with pytest.raises(NotFound):
        selectors.account_get(tenant_b, wanjiku.number)


@pytest.mark.parametrize(
    ("getter", "attr", "key"),
    [
        (selectors.customer_get, "customer", "public_id"),
        (selectors.location_get, "location", "public_id"),
        (selectors.location_get, "location", "loc_id"),
        (selectors.meter_get, "meter", "public_id"),
        (selectors.meter_get, "meter", "serial_number"),
        (selectors.tariff_get, "tariff", "public_id"),
    ],
)
def test_every_get_is_scoped_to_the_tenant(tenant_a, tenant_b, wanjiku, getter, attr, key):
    row = getattr(wanjiku, attr)
    assert getter(tenant_a, getattr(row, key)) == row
    with pytest.raises(NotFound):
        getter(tenant_b, getattr(row, key))


@pytest.mark.parametrize(
    "query",
    ["wanjiku", "Kamau", "+254 700 000 001", "0700000001"[1:], "kis-001", "ke-sm-001"],
)
def test_search_finds_the_account_by_name_phone_loc_id_or_serial(tenant_a, wanjiku, make_account, query):
    make_account(tenant_a, phone="+15555550100")
    found = selectors.accounts_search(tenant_a, query)
    assert found and found[0] == wanjiku


@pytest.mark.parametrize("query", ["0700000001", "0700 000 001", "(0700) 000-001"])
def test_search_finds_a_phone_read_out_in_national_format(tenant_a, wanjiku, make_account, query):
    """Customers read their number with the trunk 0; it is stored international (+254…)."""
    make_account(tenant_a, phone="+15555550100")
    assert selectors.accounts_search(tenant_a, query) == [wanjiku]
    assert list(selectors.customer_list(tenant_a, q=query)) == [wanjiku.customer]


def test_search_puts_exact_matches_first(tenant_a, make_account):
    accounts = [make_account(tenant_a) for _ in range(3)]
    for account, number in zip(accounts, ("7001", "700", "17000"), strict=True):
        account.number = number
        account.save(update_fields=["number"])
    found = selectors.accounts_search(tenant_a, "700")
    assert found[0] == accounts[1]
    assert set(found) == set(accounts)


def test_search_never_returns_another_tenants_accounts(tenant_b, wanjiku):
    assert selectors.accounts_search(tenant_b, "Wanjiku") == []
    assert selectors.accounts_search(tenant_b, wanjiku.number) == []


def test_search_and_lists_cost_a_constant_number_of_queries(tenant_a, make_account):
    for _ in range(8):
        make_account(tenant_a)
    with CaptureQueriesContext(connection) as queries:
        found = selectors.accounts_search(tenant_a, "Household")
        names = [
            (a.customer.name, a.location.loc_id, a.meter.serial_number, a.tariff.current_version.number)
            for a in found
        ]
    assert len(names) == 8 and len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        rows = list(selectors.account_list(tenant_a, status="active"))
        [(a.customer.name, a.meter.serial_number, a.master) for a in rows]
    assert len(queries) == 1


def test_account_list_filters_by_status(tenant_a, make_account):
    active = make_account(tenant_a)
    pending = make_account(tenant_a, status="pending")
    assert list(selectors.account_list(tenant_a, status="pending")) == [pending]
    assert set(selectors.account_list(tenant_a)) == {active, pending}
