"""Property test: any sequence of credits, debits and holds keeps the ledger exact and never negative.

A tiny reference model predicts each step's outcome; the database must agree after every step, and a
refused step must leave no trace (balance, rows, holds, audit, idempotency records).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from juiced.core.errors import DomainError, InsufficientFunds, InvalidState, ValidationFailed
from juiced.customers.services import customer_create
from juiced.wallets.models import Hold, TransactionEvent, Wallet
from juiced.wallets.selectors import ledger_check
from juiced.wallets.services import hold_capture, hold_place, hold_release, wallet_credit, wallet_debit

from .ledger_state import active_holds, ledger_sums, wallet_state

pytestmark = pytest.mark.django_db

CREDIT_EVENTS = [
    TransactionEvent.FUNDS_ADDED,
    TransactionEvent.FUNDS_ADDED_BY_TENANT,
    TransactionEvent.AUTO_RECHARGE,
    TransactionEvent.LEAD_RETURNED,
]
DEBIT_EVENTS = [TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT, TransactionEvent.LEAD_ASSIGNED]
cents = st.integers(min_value=1, max_value=30_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("credit"), cents, st.sampled_from(CREDIT_EVENTS)),
        st.tuples(st.just("debit"), cents, st.sampled_from(DEBIT_EVENTS)),
        st.tuples(st.just("hold"), cents),
        st.tuples(st.just("release"), st.integers(min_value=0, max_value=7)),
        st.tuples(st.just("capture"), st.integers(min_value=0, max_value=7), cents),
    ),
    max_size=20,
)


@dataclass
class Model:
    balance: int = 0
    held: int = 0
    holds: list[list] = field(default_factory=list)  # [amount, active?, Hold]

    @property
    def available(self) -> int:
        return self.balance - self.held


def _step(model: Model, wallet: Wallet, actor, op: tuple) -> type[DomainError] | None:
    """Apply one operation to the database; return the error class the model predicts, if any."""
    kind = op[0]
    if kind == "credit":
        _kind, amount, event = op
        if event == TransactionEvent.FUNDS_ADDED_BY_TENANT and amount < 100:
            expected = ValidationFailed
        else:
            expected = None
            model.balance += amount
        call = lambda: wallet_credit(wallet=wallet, amount=amount, event=event, description="c", actor=actor)  # noqa: E731
    elif kind == "debit":
        _kind, amount, event = op
        expected = InsufficientFunds if amount > model.available else None
        if expected is None:
            model.balance -= amount
        call = lambda: wallet_debit(wallet=wallet, amount=amount, event=event, description="d", actor=actor)  # noqa: E731
    elif kind == "hold":
        amount = op[1]
        expected = InsufficientFunds if amount > model.available else None
        if expected is None:
            model.held += amount

        def call():
            hold, _ = hold_place(wallet=wallet, amount=amount)
            model.holds.append([amount, True, hold])

    else:
        if not model.holds:
            return None
        entry = model.holds[op[1] % len(model.holds)]
        hold_amount, active, hold = entry
        if kind == "release":
            expected = None if active else InvalidState
            call = lambda: hold_release(hold=hold)  # noqa: E731
        else:
            amount = op[2]
            expected = ValidationFailed if amount > hold_amount else (None if active else InvalidState)
            call = lambda: hold_capture(hold=hold, amount=amount)  # noqa: E731
            if expected is None:
                model.balance -= amount
        if expected is None:
            model.held -= hold_amount
            entry[1] = False

    before = wallet_state(wallet)
    if expected is None:
        call()
    else:
        with pytest.raises(expected):
            call()
        assert wallet_state(wallet) == before, f"refused {op} changed the wallet"
    return expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_sequence_keeps_balance_equal_to_transactions_and_available_never_negative(tenant_a, alice, ops):
    with transaction.atomic():
        customer = customer_create(tenant=tenant_a, actor=alice, data={"name": "Prop", "email": "p@x.test"})
        wallet = customer.wallet
        model = Model()
        for op in ops:
            _step(model, wallet, alice, op)
            fresh = Wallet.objects.get(pk=wallet.pk)
            assert (fresh.balance, fresh.held) == (model.balance, model.held), op
            assert fresh.available >= 0
            assert ledger_sums(wallet) == (fresh.balance, fresh.held)
            assert active_holds(wallet) == fresh.held
            assert Hold.objects.filter(wallet=wallet, status=Hold.Status.ACTIVE).count() == sum(
                1 for h in model.holds if h[1]
            )
        assert ledger_check(wallets=Wallet.objects.filter(pk=wallet.pk)) == (1, [])
        transaction.set_rollback(True)  # each example starts from an empty wallet
