"""A retry of a debit that emptied the wallet is answered with its first result, not 'insufficient funds'."""

import pytest

from juiced.core.errors import IdempotencyKeyReused, InsufficientFunds
from juiced.wallets.models import Transaction
from juiced.wallets.services import wallet_credit, wallet_debit


@pytest.fixture
def funded_wallet(acme_customer, alice):
    wallet = acme_customer.wallet
    wallet_credit(wallet=wallet, amount=1000, description="opening credit", actor=alice)
    return wallet


def test_replaying_the_debit_that_emptied_the_wallet_returns_the_first_transaction(funded_wallet, alice):
    first, replayed = wallet_debit(
        wallet=funded_wallet, amount=1000, description="clawback", actor=alice, idempotency_key="empty-1"
    )
    assert not replayed
    again, replayed = wallet_debit(
        wallet=funded_wallet, amount=1000, description="clawback", actor=alice, idempotency_key="empty-1"
    )
    assert replayed
    assert again.public_id == first.public_id
    assert Transaction.objects.filter(wallet=funded_wallet).count() == 2  # the credit and one debit
    funded_wallet.refresh_from_db()
    assert funded_wallet.balance == 0


def test_a_new_key_on_the_empty_wallet_is_refused_and_writes_nothing(funded_wallet, alice):
    wallet_debit(wallet=funded_wallet, amount=1000, description="clawback", actor=alice, idempotency_key="k1")
    with pytest.raises(InsufficientFunds):
        wallet_debit(wallet=funded_wallet, amount=1, description="more", actor=alice, idempotency_key="k2")
    assert Transaction.objects.filter(wallet=funded_wallet).count() == 2


def test_the_used_key_with_another_amount_is_refused_even_when_funds_would_not_cover_it(funded_wallet, alice):
    wallet_debit(wallet=funded_wallet, amount=1000, description="clawback", actor=alice, idempotency_key="k1")
    with pytest.raises(IdempotencyKeyReused):
        wallet_debit(
            wallet=funded_wallet, amount=5, description="clawback", actor=alice, idempotency_key="k1"
        )
    assert Transaction.objects.filter(wallet=funded_wallet).count() == 2
