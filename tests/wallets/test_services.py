"""The wallet ledger's rules (SPEC §2), through the services every caller uses."""

from __future__ import annotations

import pytest

from juiced.core.errors import (
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidState,
    ValidationFailed,
)
from juiced.core.models import AuditEntry
from juiced.wallets.models import Hold, ImmutableRowError, Transaction, TransactionEvent, Wallet
from juiced.wallets.selectors import adjustment_timeline, ledger_check
from juiced.wallets.services import (
    Related,
    hold_capture,
    hold_place,
    hold_release,
    wallet_credit,
    wallet_debit,
)

from .ledger_state import active_holds, ledger_sums, wallet_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def wallet(acme_customer) -> Wallet:
    return acme_customer.wallet


@pytest.fixture
def funded(wallet, alice) -> Wallet:
    """Acme's wallet with $100.00 added by alice."""
    wallet_credit(wallet=wallet, amount=10_000, description="Opening credit", actor=alice)
    wallet.refresh_from_db()
    return wallet


def _fresh(wallet: Wallet) -> Wallet:
    return Wallet.objects.get(pk=wallet.pk)


# --- tenant add funds -----------------------------------------------------------------------------


def test_tenant_add_funds_moves_balance_records_actor_and_audits(wallet, alice):
    txn, replayed = wallet_credit(
        wallet=wallet,
        amount=2_500,
        description="Promo credit",
        receipt_url="https://example.com/r/1",
        actor=alice,
    )
    assert not replayed
    assert txn.public_id.startswith("txn_")
    assert (txn.event, txn.amount, txn.balance_after, txn.actor, txn.description) == (
        TransactionEvent.FUNDS_ADDED_BY_TENANT,
        2_500,
        2_500,
        alice,
        "Promo credit",
    )
    assert _fresh(wallet).balance == 2_500
    entry = AuditEntry.objects.get(action="funds.added")
    assert entry.actor == alice and entry.changes == {"balance": [0, 2_500]}
    assert list(adjustment_timeline(wallet=wallet)) == [txn]


def test_tenant_add_funds_needs_at_least_one_dollar(wallet, alice):
    before = wallet_state(wallet)
    with pytest.raises(ValidationFailed) as refused:
        wallet_credit(wallet=wallet, amount=99, description="Too small", actor=alice)
    assert "amount" in refused.value.fields
    assert wallet_state(wallet) == before
    wallet_credit(wallet=wallet, amount=100, description="Just enough", actor=alice)
    assert _fresh(wallet).balance == 100


def test_other_credits_may_be_a_single_cent(wallet):
    txn, _ = wallet_credit(wallet=wallet, amount=1, event=TransactionEvent.LEAD_RETURNED, description="")
    assert txn.amount == 1


def test_tenant_add_funds_requires_a_description(wallet, alice):
    before = wallet_state(wallet)
    with pytest.raises(ValidationFailed) as refused:
        wallet_credit(wallet=wallet, amount=500, description="   ", actor=alice)
    assert "description" in refused.value.fields
    assert wallet_state(wallet) == before


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/r", "javascript:alert(1)"])
def test_receipt_url_must_be_a_full_http_url(wallet, alice, url):
    before = wallet_state(wallet)
    with pytest.raises(ValidationFailed) as refused:
        wallet_credit(wallet=wallet, amount=500, description="Credit", receipt_url=url, actor=alice)
    assert "receipt_url" in refused.value.fields
    assert wallet_state(wallet) == before


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100", True, None, 100_000_000_01])
def test_amounts_are_positive_whole_cents_within_the_limit(wallet, alice, amount):
    before = wallet_state(wallet)
    with pytest.raises(ValidationFailed) as refused:
        wallet_credit(wallet=wallet, amount=amount, description="Credit", actor=alice)
    assert "amount" in refused.value.fields
    assert wallet_state(wallet) == before


# --- tenant remove funds --------------------------------------------------------------------------


def test_remove_funds_up_to_available_then_refuses(funded, alice):
    txn, _ = wallet_debit(wallet=funded, amount=10_000, description="Refund", actor=alice)
    assert (txn.amount, txn.balance_after, txn.event) == (
        -10_000,
        0,
        TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT,
    )
    before = wallet_state(funded)
    with pytest.raises(InsufficientFunds):
        wallet_debit(wallet=funded, amount=1, description="One cent more", actor=alice)
    assert wallet_state(funded) == before
    assert AuditEntry.objects.filter(action="funds.removed").count() == 1


def test_remove_funds_counts_holds_against_available(funded, alice):
    hold_place(wallet=funded, amount=6_000)
    before = wallet_state(funded)
    with pytest.raises(InsufficientFunds) as refused:
        wallet_debit(wallet=funded, amount=4_001, description="More than available", actor=alice)
    assert "$40.00 available" in refused.value.message
    assert wallet_state(funded) == before
    wallet_debit(wallet=funded, amount=4_000, description="Exactly available", actor=alice)
    fresh = _fresh(funded)
    assert (fresh.balance, fresh.held, fresh.available) == (6_000, 6_000, 0)


def test_remove_funds_requires_a_description(funded, alice):
    before = wallet_state(funded)
    with pytest.raises(ValidationFailed) as refused:
        wallet_debit(wallet=funded, amount=100, description="", actor=alice)
    assert "description" in refused.value.fields
    assert wallet_state(funded) == before


def test_lead_charge_refused_on_an_empty_wallet(wallet):
    before = wallet_state(wallet)
    with pytest.raises(InsufficientFunds):
        wallet_debit(wallet=wallet, amount=1, event=TransactionEvent.LEAD_ASSIGNED, description="")
    assert wallet_state(wallet) == before


# --- holds ----------------------------------------------------------------------------------------


def test_hold_reduces_available_but_not_balance(funded):
    hold, _ = hold_place(wallet=funded, amount=3_000, related=Related("buy_order", "bo_1"))
    fresh = _fresh(funded)
    assert (fresh.balance, fresh.held, fresh.available) == (10_000, 3_000, 7_000)
    txn = hold.transactions.get()
    assert (txn.event, txn.amount, txn.held_delta, txn.display_amount) == (
        TransactionEvent.PLACED_BUY_ORDER,
        0,
        3_000,
        -3_000,
    )
    assert (txn.related_type, txn.related_id) == ("buy_order", "bo_1")


def test_hold_cannot_exceed_available(funded):
    hold_place(wallet=funded, amount=9_000)
    before = wallet_state(funded)
    with pytest.raises(InsufficientFunds):
        hold_place(wallet=funded, amount=1_001)
    assert wallet_state(funded) == before


def test_release_gives_the_funds_back_and_spends_nothing(funded):
    hold, _ = hold_place(wallet=funded, amount=3_000)
    txn = hold_release(hold=hold, event=TransactionEvent.CANCELED_BUY_ORDER)
    fresh = _fresh(funded)
    assert (fresh.balance, fresh.held) == (10_000, 0)
    assert (txn.amount, txn.held_delta) == (0, -3_000)
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.RELEASED


def test_double_release_is_refused(funded):
    hold, _ = hold_place(wallet=funded, amount=3_000)
    hold_release(hold=hold)
    before = wallet_state(funded)
    with pytest.raises(InvalidState):
        hold_release(hold=hold)
    with pytest.raises(InvalidState):
        hold_capture(hold=hold, amount=1_000)
    assert wallet_state(funded) == before


def test_full_capture_charges_the_held_amount(funded):
    hold, _ = hold_place(wallet=funded, amount=3_000)
    txn = hold_capture(hold=hold, amount=3_000, related=Related("lead", "lead_x"))
    fresh = _fresh(funded)
    assert (fresh.balance, fresh.held) == (7_000, 0)
    assert (txn.event, txn.amount, txn.held_delta, txn.related_id) == (
        TransactionEvent.LEAD_ASSIGNED,
        -3_000,
        -3_000,
        "lead_x",
    )


def test_partial_capture_releases_the_rest_of_the_hold(funded):
    hold, _ = hold_place(wallet=funded, amount=3_000)
    hold_capture(hold=hold, amount=1_200)
    fresh = _fresh(funded)
    assert (fresh.balance, fresh.held, fresh.available) == (8_800, 0, 8_800)
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.CAPTURED


def test_capture_cannot_exceed_the_hold(funded):
    hold, _ = hold_place(wallet=funded, amount=3_000)
    before = wallet_state(funded)
    with pytest.raises(ValidationFailed) as refused:
        hold_capture(hold=hold, amount=3_001)
    assert "amount" in refused.value.fields
    assert wallet_state(funded) == before


def test_a_capture_is_never_refused_for_funds_the_hold_reserved(funded, alice):
    hold, _ = hold_place(wallet=funded, amount=3_000)
    wallet_debit(wallet=funded, amount=7_000, description="Remove the rest", actor=alice)
    hold_capture(hold=hold, amount=3_000)
    fresh = _fresh(funded)
    assert (fresh.balance, fresh.held) == (0, 0)


# --- immutability and the ledger ------------------------------------------------------------------


def test_transactions_cannot_be_saved_again_or_deleted(funded):
    txn = Transaction.objects.get(wallet=funded)
    txn.amount = 1_000_000
    with pytest.raises(ImmutableRowError):
        txn.save()
    with pytest.raises(ImmutableRowError):
        txn.delete()
    assert Transaction.objects.get(pk=txn.pk).amount == 10_000


def test_balance_equals_the_sum_of_transactions_after_mixed_activity(funded, alice):
    hold, _ = hold_place(wallet=funded, amount=2_000)
    kept, _ = hold_place(wallet=funded, amount=1_000)
    hold_capture(hold=hold, amount=1_500)
    wallet_debit(wallet=funded, amount=500, event=TransactionEvent.LEAD_ASSIGNED, description="")
    wallet_credit(wallet=funded, amount=500, event=TransactionEvent.LEAD_RETURNED, description="")
    fresh = _fresh(funded)
    assert ledger_sums(funded) == (fresh.balance, fresh.held)
    assert active_holds(funded) == fresh.held == kept.amount
    assert ledger_check() == (1, [])


def test_each_transaction_records_the_running_totals(funded):
    hold_place(wallet=funded, amount=4_000)
    wallet_debit(wallet=funded, amount=1_000, event=TransactionEvent.LEAD_ASSIGNED, description="")
    rows = list(Transaction.objects.filter(wallet=funded).order_by("pk"))
    assert [(t.balance_after, t.held_after, t.available_after) for t in rows] == [
        (10_000, 0, 10_000),
        (10_000, 4_000, 6_000),
        (9_000, 4_000, 5_000),
    ]


# --- idempotency ----------------------------------------------------------------------------------


def test_replay_with_the_same_key_returns_the_first_transaction(wallet, alice):
    first, replayed = wallet_credit(
        wallet=wallet, amount=1_000, description="Top-up", actor=alice, idempotency_key="k-1"
    )
    assert not replayed
    after_first = wallet_state(wallet)
    again, replayed = wallet_credit(
        wallet=wallet, amount=1_000, description="Top-up", actor=alice, idempotency_key="k-1"
    )
    assert replayed and again.pk == first.pk
    assert wallet_state(wallet) == after_first


def test_same_key_with_different_parameters_is_refused(funded, alice):
    wallet_debit(wallet=funded, amount=1_000, description="Refund", actor=alice, idempotency_key="k-2")
    before = wallet_state(funded)
    with pytest.raises(IdempotencyKeyReused):
        wallet_debit(wallet=funded, amount=2_000, description="Refund", actor=alice, idempotency_key="k-2")
    with pytest.raises(IdempotencyKeyReused):
        wallet_credit(wallet=funded, amount=1_000, description="Refund", actor=alice, idempotency_key="k-2")
    assert wallet_state(funded) == before


def test_a_refused_request_does_not_burn_its_key(wallet, alice):
    with pytest.raises(InsufficientFunds):
        wallet_debit(wallet=wallet, amount=1_000, description="Too early", actor=alice, idempotency_key="k-3")
    wallet_credit(wallet=wallet, amount=1_000, description="Top-up", actor=alice)
    txn, replayed = wallet_debit(
        wallet=wallet, amount=1_000, description="Too early", actor=alice, idempotency_key="k-3"
    )
    assert not replayed and _fresh(wallet).balance == 0


def test_hold_replay_returns_the_same_hold(funded):
    hold, replayed = hold_place(wallet=funded, amount=1_000, idempotency_key="h-1")
    again, replayed_again = hold_place(wallet=funded, amount=1_000, idempotency_key="h-1")
    assert (replayed, replayed_again, again.pk) == (False, True, hold.pk)
    assert _fresh(funded).held == 1_000


def test_idempotency_keys_belong_to_one_tenant(wallet, bolt_customer, alice, bob):
    acme_txn, _ = wallet_credit(
        wallet=wallet, amount=1_000, description="A", actor=alice, idempotency_key="same"
    )
    bolt_txn, replayed = wallet_credit(
        wallet=bolt_customer.wallet, amount=2_000, description="B", actor=bob, idempotency_key="same"
    )
    assert not replayed and bolt_txn.pk != acme_txn.pk
    assert _fresh(bolt_customer.wallet).balance == 2_000


def test_blank_idempotency_key_is_refused(wallet, alice):
    before = wallet_state(wallet)
    with pytest.raises(ValidationFailed) as refused:
        wallet_credit(wallet=wallet, amount=1_000, description="A", actor=alice, idempotency_key="  ")
    assert "idempotency_key" in refused.value.fields
    assert wallet_state(wallet) == before
