"""Real threads against PostgreSQL through the HTTP API: the wallet row lock serialises debits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from juiced.wallets.models import Transaction, TransactionEvent
from juiced.wallets.selectors import ledger_check
from juiced.wallets.services import wallet_credit
from tests.api.conftest import call

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(count: int, request) -> list:
    def worker(n: int):
        try:
            return request(n)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def test_twenty_concurrent_debits_on_a_wallet_that_affords_ten(api_client, alice, tenant_a, acme_customer):
    wallet_credit(wallet=acme_customer.wallet, amount=10 * 500, description="Ten debits' worth", actor=alice)
    auth = api_client(alice, tenant_a).defaults["HTTP_AUTHORIZATION"]
    path = f"/customers/{acme_customer.public_id}/wallet/debits"

    def debit(n: int):
        response = call(
            Client(HTTP_AUTHORIZATION=auth), "post", path, {"amount": 500, "description": f"d{n}"}
        )
        return response.status_code, response.json()

    results = run_in_threads(20, debit)
    assert sorted(status for status, _ in results) == [201] * 10 + [409] * 10
    assert {body["error"]["code"] for status, body in results if status == 409} == {"insufficient_funds"}
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 0
    assert ledger_check()[1] == []


def test_one_key_replayed_concurrently_moves_money_once(api_client, alice, tenant_a, acme_customer):
    auth = api_client(alice, tenant_a).defaults["HTTP_AUTHORIZATION"]
    path = f"/customers/{acme_customer.public_id}/wallet/credits"

    def credit(_n: int):
        response = call(
            Client(HTTP_AUTHORIZATION=auth),
            "post",
            path,
            {"amount": 1500, "description": "Deposit"},
            **{"Idempotency-Key": "same-key"},
        )
        return response.status_code, response.json()["id"]

    results = run_in_threads(12, credit)
    assert {status for status, _ in results} == {201}
    assert len({txn_id for _, txn_id in results}) == 1
    credits = Transaction.objects.filter(
        wallet=acme_customer.wallet, event=TransactionEvent.FUNDS_ADDED_BY_TENANT
    )
    assert credits.count() == 1
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == 1500
