"""Real threads on PostgreSQL: cashiers selling on one meter at once never share a token count, one
Idempotency-Key replayed at once sells once, and every balance stays equal to the sum of its rows."""

from __future__ import annotations

import openpaygo
import pytest
from django.db.models import Sum

from juiced.core.tenancy import staff_access_for_tenant
from juiced.tenants.roles import StaffRole
from juiced.vending.arrears import debt_add, wallet_topup
from juiced.vending.ledger import vending_ledger_check
from juiced.vending.models import Sale, Token
from juiced.vending.sales import quick_pay
from tests.concurrency import run_at_once
from tests.vending.conftest import METER_KEY_HEX, METER_STARTING_CODE

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CASHIERS = 8


@pytest.fixture
def tills(tenant_a, make_staff, make_vendor):
    accesses = []
    for n in range(CASHIERS):
        user = make_staff(StaffRole.CASHIER, email=f"till{n}@acme.test")
        make_vendor(user, tenant_a)
        accesses.append(staff_access_for_tenant(user, tenant_a))
    return accesses


def test_eight_cashiers_on_one_meter_get_unique_consecutive_counts(tenant_a, make_account, tills, supervisor):
    account = make_account(tenant_a)
    boss = staff_access_for_tenant(supervisor, tenant_a)
    debt_add(access=boss, account=account, amount=1_000, reason="Old bill", recovery_bp=1_000)
    wallet_topup(access=tills[0], account=account, amount=5_000, payment_kind="cash")
    calls = [
        (lambda access=access, n=n: quick_pay(
            access=access, account=account, amount=1_000 + n, payment_kind="wallet" if n % 2 else "cash"
        ))
        for n, access in enumerate(tills)
    ]  # fmt: skip
    results = run_at_once(calls)
    assert all(isinstance(result, tuple) for result in results), results
    counts = sorted(Token.objects.filter(meter=account.meter).values_list("count", flat=True))
    assert counts == list(range(2, 2 + 2 * CASHIERS, 2))  # ADD_TIME counts: unique, consecutive even numbers
    account.refresh_from_db()
    account.meter.refresh_from_db()
    assert account.meter.token_count == counts[-1]
    wallet_sales = sum(1_000 + n for n in range(CASHIERS) if n % 2)
    assert account.wallet_balance == 5_000 - wallet_sales
    recovered = Sale.objects.filter(account=account).aggregate(total=Sum("arrears_share"))["total"]
    assert account.arrears_balance == 1_000 - recovered
    # each token decodes with the library, in the order the meter would receive them
    last = 1
    for token in Token.objects.filter(meter=account.meter).order_by("count"):
        value, kind, count, _ = openpaygo.decode_token(
            token=token.token,
            secret_key=METER_KEY_HEX,
            count=last,
            used_counts=[],
            starting_code=METER_STARTING_CODE,
        )
        assert (value, kind, count) == (token.value, openpaygo.TokenType.ADD_TIME, token.count)
        last = count
    assert vending_ledger_check(tenant_a) == []


def test_one_idempotency_key_replayed_at_once_sells_once(tenant_a, make_account, tills):
    account = make_account(tenant_a)
    access = tills[0]
    calls = [
        lambda: quick_pay(
            access=access, account=account, amount=1_000, payment_kind="cash", idempotency_key="dbl"
        )
        for _ in range(CASHIERS)
    ]
    results = run_at_once(calls)
    assert all(isinstance(result, tuple) for result in results), results
    assert len({sale.pk for sale, _replayed in results}) == 1
    assert sorted(replayed for _sale, replayed in results) == [False] + [True] * (CASHIERS - 1)
    assert Sale.objects.count() == 1 and Token.objects.count() == 1


def test_one_key_on_two_accounts_at_once_is_refused_for_the_second(tenant_a, make_account, tills):
    from juiced.core.errors import IdempotencyKeyReused

    first, second = make_account(tenant_a), make_account(tenant_a)
    results = run_at_once(
        [
            lambda: quick_pay(
                access=tills[0], account=first, amount=1_000, payment_kind="cash", idempotency_key="k"
            ),
            lambda: quick_pay(
                access=tills[1], account=second, amount=1_000, payment_kind="cash", idempotency_key="k"
            ),
        ]
    )
    assert sorted(type(r).__name__ for r in results) == sorted(["tuple", IdempotencyKeyReused.__name__])
    assert Sale.objects.count() == 1
