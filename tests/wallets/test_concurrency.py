"""Real threads against PostgreSQL: the per-wallet row lock and the idempotency index under contention."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from juiced.core.errors import IdempotencyKeyReused, InsufficientFunds
from juiced.wallets.models import IdempotencyRecord, Transaction, TransactionEvent, Wallet
from juiced.wallets.selectors import ledger_check
from juiced.wallets.services import wallet_credit, wallet_debit
from tests.concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def test_twenty_debits_on_a_wallet_that_affords_ten_exactly_ten_succeed(acme_customer, alice):
    wallet = acme_customer.wallet
    wallet_credit(wallet=wallet, amount=10 * 500, description="Ten leads' worth", actor=alice)

    def charge() -> Transaction:
        return wallet_debit(
            wallet=Wallet.objects.get(pk=wallet.pk),
            amount=500,
            event=TransactionEvent.LEAD_ASSIGNED,
            description="Lead assigned",
        )[0]

    results = run_at_once([charge] * THREADS)
    succeeded = [r for r in results if isinstance(r, Transaction)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert (len(succeeded), len(refused)) == (10, 10), results
    assert all("Insufficient funds" in r.message for r in refused)
    fresh = Wallet.objects.get(pk=wallet.pk)
    assert (fresh.balance, fresh.held) == (0, 0)
    assert sorted(t.balance_after for t in succeeded) == list(range(0, 5_000, 500))
    assert ledger_check() == (1, [])


def test_the_same_key_replayed_concurrently_moves_money_once(acme_customer, alice):
    wallet = acme_customer.wallet
    wallet_credit(wallet=wallet, amount=10_000, description="Funds", actor=alice)

    def charge() -> tuple[Transaction, bool]:
        return wallet_debit(
            wallet=Wallet.objects.get(pk=wallet.pk),
            amount=700,
            event=TransactionEvent.LEAD_ASSIGNED,
            description="Lead assigned",
            idempotency_key="lead_01-charge",
        )

    results = run_at_once([charge] * THREADS)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({txn.pk for txn, _replayed in results}) == 1
    assert sum(1 for _txn, replayed in results if not replayed) == 1
    assert Transaction.objects.filter(event=TransactionEvent.LEAD_ASSIGNED).count() == 1
    assert Wallet.objects.get(pk=wallet.pk).balance == 10_000 - 700
    assert ledger_check() == (1, [])


def test_one_key_on_two_wallets_at_once_one_wins_the_other_is_refused(tenant_a, alice):
    from juiced.customers.services import customer_create

    wallets = []
    for name in ("First Buyer", "Second Buyer"):
        customer = customer_create(tenant=tenant_a, actor=alice, data={"name": name, "email": "b@x.test"})
        wallet_credit(wallet=customer.wallet, amount=5_000, description="Funds", actor=alice)
        wallets.append(customer.wallet)

    def charge(wallet_id: int) -> Callable[[], tuple[Transaction, bool]]:
        return lambda: wallet_debit(
            wallet=Wallet.objects.get(pk=wallet_id),
            amount=1_000,
            event=TransactionEvent.LEAD_ASSIGNED,
            description="",
            idempotency_key="shared-key",
        )

    for _attempt in range(5):  # repeat: the race has to be lost on the unique index, not by timing luck
        IdempotencyRecord.objects.filter(key="shared-key").delete()
        results = run_at_once([charge(wallets[0].pk), charge(wallets[1].pk)])
        winners = [r for r in results if isinstance(r, tuple)]
        losers = [r for r in results if isinstance(r, IdempotencyKeyReused)]
        assert (len(winners), len(losers)) == (1, 1), results
    assert ledger_check() == (2, [])
    assert sum(Wallet.objects.filter(pk__in=[w.pk for w in wallets]).values_list("balance", flat=True)) == (
        10_000 - 5 * 1_000
    )
