"""Helpers for dashboard and portal page tests."""

from __future__ import annotations

import pytest

from juiced.wallets.services import wallet_credit
from tests.returns.conftest import sold_lead  # noqa: F401  (sold_lead(customer, price) for the tab tests)


@pytest.fixture
def funded(acme_customer, alice):
    """acme_customer's wallet with $100.00 added by alice."""
    wallet_credit(wallet=acme_customer.wallet, amount=100_00, description="Opening credit", actor=alice)
    acme_customer.wallet.refresh_from_db()
    return acme_customer


def customer_url(customer, suffix: str = "") -> str:
    return f"/manage/{customer.tenant.slug}/customers/{customer.public_id}/{suffix}"
