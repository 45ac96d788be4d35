"""Wallet endpoints: balances, tenant credits and debits, idempotency keys, exact integer money."""

from __future__ import annotations

import pytest

from juiced.core.models import AuditEntry
from juiced.wallets.models import Transaction, TransactionEvent
from juiced.wallets.selectors import ledger_check
from juiced.wallets.services import hold_place
from tests.api.conftest import assert_error, call, snapshot


def credit(client, customer, body, **headers):
    return call(client, "post", f"/customers/{customer.public_id}/wallet/credits", body, **headers)


def debit(client, customer, body, **headers):
    return call(client, "post", f"/customers/{customer.public_id}/wallet/debits", body, **headers)


def test_wallet_shows_balance_held_and_available_in_cents(alice_api, funded_acme):
    hold_place(wallet=funded_acme.wallet, amount=1200, description="Buy order")
    response = call(alice_api, "get", f"/customers/{funded_acme.public_id}/wallet")
    assert response.status_code == 200
    assert response.json() == {
        "object": "wallet",
        "customer": funded_acme.public_id,
        "balance": 5000,
        "held": 1200,
        "available": 3800,
        "currency": "usd",
    }


def test_credit_adds_funds_and_returns_the_transaction(alice_api, acme_customer, alice):
    body = {"amount": 12345, "description": "Wire received", "receipt_url": "https://bank.test/r/1"}
    response = credit(alice_api, acme_customer, body)
    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response.headers
    txn = response.json()
    assert txn["id"].startswith("txn_") and txn["object"] == "transaction"
    assert txn["customer"] == acme_customer.public_id
    assert (txn["event"], txn["event_label"]) == ("funds_added_by_tenant", "Funds Added By Tenant")
    assert (txn["amount"], txn["held_delta"], txn["balance_after"], txn["available_after"]) == (
        12345,
        0,
        12345,
        12345,
    )
    assert (txn["currency"], txn["description"], txn["receipt_url"]) == (
        "usd",
        "Wire received",
        "https://bank.test/r/1",
    )
    assert txn["related"] is None
    assert txn["actor"] == {"type": "user", "id": alice.public_id, "email": "alice@acme.test"}
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 12345
    assert AuditEntry.objects.filter(customer=acme_customer, action="funds.added", actor=alice).exists()


def test_debit_removes_funds_with_a_negative_amount(alice_api, funded_acme):
    response = debit(alice_api, funded_acme, {"amount": 1999, "description": "Chargeback"})
    assert response.status_code == 201, response.content
    txn = response.json()
    assert (txn["event"], txn["amount"], txn["balance_after"], txn["receipt_url"]) == (
        "funds_subtracted_by_tenant",
        -1999,
        3001,
        None,
    )
    assert call(alice_api, "get", f"/customers/{funded_acme.public_id}/wallet").json()["available"] == 3001


def test_debit_beyond_available_is_409_insufficient_funds_and_changes_nothing(alice_api, funded_acme):
    hold_place(wallet=funded_acme.wallet, amount=1000, description="Buy order")
    before = snapshot()
    error = assert_error(
        debit(alice_api, funded_acme, {"amount": 4001, "description": "Too much"}), 409, "insufficient_funds"
    )
    assert "amount" in error["fields"]
    assert snapshot() == before
    assert (
        debit(alice_api, funded_acme, {"amount": 4000, "description": "Exactly all"}).json()[
            "available_after"
        ]
        == 0
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "No amount"}, "amount"),
        ({"amount": 12.5, "description": "Fraction"}, "amount"),
        ({"amount": 1000.0, "description": "Float"}, "amount"),
        ({"amount": "1000", "description": "String"}, "amount"),
        ({"amount": True, "description": "Bool"}, "amount"),
        ({"amount": 0, "description": "Zero"}, "amount"),
        ({"amount": -500, "description": "Negative"}, "amount"),
        ({"amount": 99, "description": "Under a dollar"}, "amount"),
        ({"amount": 10**13, "description": "Typo"}, "amount"),
        ({"amount": 1000}, "description"),
        ({"amount": 1000, "description": "   "}, "description"),
        ({"amount": 1000, "description": "x" * 501}, "description"),
        ({"amount": 1000, "description": "Bad URL", "receipt_url": "ftp://x"}, "receipt_url"),
        ({"amount": 1000, "description": "Wrong currency", "currency": "eur"}, "currency"),
        ({"amount": 1000, "description": "Typo field", "amount_cents": 1000}, "amount_cents"),
    ],
)
def test_credit_rejects_invalid_input_with_422_and_changes_nothing(alice_api, funded_acme, body, field):
    before = snapshot()
    assert_error(
        credit(alice_api, funded_acme, body, **{"Idempotency-Key": "k-invalid"}), 422, "invalid", field
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 0.5, "description": "Fraction"}, "amount"),
        ({"amount": 0, "description": "Zero"}, "amount"),
        ({"amount": 100}, "description"),
    ],
)
def test_debit_rejects_invalid_input_with_422_and_changes_nothing(alice_api, funded_acme, body, field):
    before = snapshot()
    assert_error(debit(alice_api, funded_acme, body), 422, "invalid", field)
    assert snapshot() == before


def test_currency_matches_case_insensitively(alice_api, acme_customer):
    response = credit(
        alice_api, acme_customer, {"amount": 100, "description": "One dollar", "currency": "USD"}
    )
    assert response.status_code == 201 and response.json()["currency"] == "usd"


def test_debit_of_one_cent_is_exact(alice_api, funded_acme):
    assert (
        debit(alice_api, funded_acme, {"amount": 1, "description": "A cent"}).json()["balance_after"] == 4999
    )


# --- idempotency --------------------------------------------------------------------------------------


def test_replay_returns_the_same_body_and_moves_money_once(alice_api, acme_customer):
    body = {"amount": 2500, "description": "Deposit"}
    first = credit(alice_api, acme_customer, body, **{"Idempotency-Key": "dep-1"})
    again = credit(alice_api, acme_customer, body, **{"Idempotency-Key": "dep-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Transaction.objects.filter(wallet=acme_customer.wallet).count() == 1
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 2500


def test_replay_after_the_wallet_changed_still_returns_the_first_body(alice_api, funded_acme):
    body = {"amount": 1000, "description": "Fee"}
    first = debit(alice_api, funded_acme, body, **{"Idempotency-Key": "fee-1"})
    credit(alice_api, funded_acme, {"amount": 700, "description": "Top-up"})
    again = debit(alice_api, funded_acme, body, **{"Idempotency-Key": "fee-1"})
    assert again.json() == first.json()
    assert again.json()["balance_after"] == 4000
    assert call(alice_api, "get", f"/customers/{funded_acme.public_id}/wallet").json()["balance"] == 4700


def test_a_replay_of_a_refused_debit_is_still_refused_until_funds_arrive(alice_api, acme_customer):
    body = {"amount": 500, "description": "Fee"}
    assert_error(
        debit(alice_api, acme_customer, body, **{"Idempotency-Key": "fee-2"}), 409, "insufficient_funds"
    )
    credit(alice_api, acme_customer, {"amount": 1000, "description": "Top-up"})
    assert (
        debit(alice_api, acme_customer, body, **{"Idempotency-Key": "fee-2"}).json()["balance_after"] == 500
    )


@pytest.mark.parametrize(
    "second",
    [
        {"path": "credits", "body": {"amount": 2501, "description": "Deposit"}},
        {"path": "credits", "body": {"amount": 2500, "description": "Another deposit"}},
        {
            "path": "credits",
            "body": {"amount": 2500, "description": "Deposit", "receipt_url": "https://r.test/1"},
        },
        {"path": "debits", "body": {"amount": 2500, "description": "Deposit"}},
    ],
    ids=["other-amount", "other-description", "other-receipt", "other-operation"],
)
def test_same_key_with_different_parameters_is_409_and_changes_nothing(alice_api, funded_acme, second):
    credit(alice_api, funded_acme, {"amount": 2500, "description": "Deposit"}, **{"Idempotency-Key": "dep-2"})
    before = snapshot()
    response = call(
        alice_api,
        "post",
        f"/customers/{funded_acme.public_id}/wallet/{second['path']}",
        second["body"],
        **{"Idempotency-Key": "dep-2"},
    )
    assert_error(response, 409, "idempotency_key_reused")
    assert snapshot() == before


def test_same_key_on_another_customer_is_409(alice_api, funded_acme, tenant_a, alice):
    from juiced.customers.services import customer_create

    other = customer_create(tenant=tenant_a, actor=alice, data={"name": "Other", "email": "o@o.test"})
    body = {"amount": 1000, "description": "Deposit"}
    credit(alice_api, funded_acme, body, **{"Idempotency-Key": "dep-3"})
    before = snapshot()
    assert_error(
        credit(alice_api, other, body, **{"Idempotency-Key": "dep-3"}), 409, "idempotency_key_reused"
    )
    assert snapshot() == before


def test_keys_are_per_tenant(alice_api, bob_api, acme_customer, bolt_customer):
    body = {"amount": 1000, "description": "Deposit"}
    a = credit(alice_api, acme_customer, body, **{"Idempotency-Key": "shared"})
    b = credit(bob_api, bolt_customer, body, **{"Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert "Idempotent-Replayed" not in b.headers


def test_an_overlong_key_is_422(alice_api, acme_customer):
    before = snapshot()
    response = credit(
        alice_api, acme_customer, {"amount": 1000, "description": "D"}, **{"Idempotency-Key": "k" * 256}
    )
    assert_error(response, 422, "invalid", "idempotency_key")
    assert snapshot() == before


def test_api_movements_keep_the_ledger_consistent(alice_api, funded_acme):
    for n in range(5):
        credit(alice_api, funded_acme, {"amount": 100 + n, "description": f"c{n}"})
        debit(alice_api, funded_acme, {"amount": 50 + n, "description": f"d{n}"})
    checked, mismatches = ledger_check()
    assert checked >= 1 and mismatches == []
    events = set(Transaction.objects.filter(wallet=funded_acme.wallet).values_list("event", flat=True))
    assert events == {TransactionEvent.FUNDS_ADDED_BY_TENANT, TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT}
