"""Real threads on PostgreSQL: account numbers never collide; a meter ends on at most one active account."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from juiced.core.errors import ValidationFailed
from juiced.core.tenancy import StaffAccess
from juiced.tenants.roles import StaffRole
from juiced.vending.models import Account
from juiced.vending.setup import account_activate, account_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(count: int, work) -> list:
    def worker(n: int):
        try:
            return work(n)
        except ValidationFailed as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


@pytest.fixture
def admin(alice, tenant_a):
    return StaffAccess(user=alice, tenant=tenant_a, role=StaffRole.ADMIN)


def test_concurrent_creations_get_distinct_generated_numbers(admin, tenant_a, make_account, make_meter):
    template = make_account(tenant_a, status="pending")
    parts = {"customer": template.customer, "location": template.location, "tariff": template.tariff}
    meters = [make_meter(tenant_a) for _ in range(8)]
    results = run_in_threads(8, lambda n: account_create(access=admin, data={**parts, "meter": meters[n]}))
    assert all(isinstance(r, Account) for r in results)
    numbers = sorted(r.number for r in results)
    assert len(set(numbers)) == 8
    assert numbers == [str(int(numbers[0]) + i) for i in range(8)]


def test_concurrent_activations_on_one_meter_leave_one_active(admin, tenant_a, make_account, make_meter):
    meter = make_meter(tenant_a)
    pending = [make_account(tenant_a, meter=meter, status="pending") for _ in range(6)]
    results = run_in_threads(6, lambda n: account_activate(access=admin, account=pending[n]))
    assert sum(isinstance(r, Account) for r in results) == 1
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(refused) == 5 and all(set(r.fields) == {"meter"} for r in refused)
    assert Account.objects.filter(meter=meter, status="active").count() == 1
