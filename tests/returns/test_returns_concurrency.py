"""Real threads against PostgreSQL: approving one return many times at once credits it once."""

from __future__ import annotations

import pytest

from juiced.core.errors import InvalidState
from juiced.returns import services
from juiced.returns.models import ReturnRequest
from juiced.wallets.models import Transaction, TransactionEvent
from juiced.wallets.selectors import ledger_check
from tests.concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def test_concurrent_approvals_credit_once(tenant_a, acme_customer, alice, sold_lead):
    lead = sold_lead(acme_customer, 4321)
    req = services.return_request(tenant=tenant_a, lead_id=lead.public_id, reason="Other")
    before = acme_customer.wallet.balance

    def approve() -> ReturnRequest:
        return services.return_approve(tenant=tenant_a, request_id=req.public_id, actor=alice)

    results = run_at_once([approve] * THREADS)
    approved = [r for r in results if isinstance(r, ReturnRequest)]
    refused = [r for r in results if isinstance(r, InvalidState)]
    assert (len(approved), len(refused)) == (1, THREADS - 1), results
    acme_customer.wallet.refresh_from_db()
    assert acme_customer.wallet.balance == before + 4321
    assert Transaction.objects.filter(event=TransactionEvent.LEAD_RETURNED).count() == 1
    assert ledger_check()[1] == []


def test_concurrent_requests_open_one(tenant_a, acme_customer, sold_lead):
    lead = sold_lead(acme_customer, 1000)

    def ask() -> ReturnRequest:
        return services.return_request(tenant=tenant_a, lead_id=lead.public_id, reason="Other")

    results = run_at_once([ask] * THREADS)
    assert len([r for r in results if isinstance(r, ReturnRequest)]) == 1, results
    assert ReturnRequest.objects.filter(lead=lead).count() == 1


def test_a_recalculation_racing_a_return_ends_consistent(tenant_a, acme_customer, alice, sold_lead):
    """Approving a return while the tiers are recalculated: the credit happens exactly once, the run
    finishes, and the customer's stored rate is the one before or after the return — never anything else;
    the next run sees the return."""
    from decimal import Decimal

    from juiced.returns.models import CustomerTier, ReturnSettings, ReturnTier
    from juiced.returns.recalc import recalculation_request, recalculation_run

    ReturnSettings.objects.update_or_create(tenant=tenant_a, defaults={"tiers_enabled": True})
    ReturnTier.objects.create(tenant=tenant_a, name="All", lower_bound=0, upper_bound=100)
    lead = sold_lead(acme_customer, 600_000)  # established: over $5,000 charged
    req = services.return_request(tenant=tenant_a, lead_id=lead.public_id, reason="Other")
    run = recalculation_request(tenant=tenant_a, actor=alice, in_background=False)

    results = run_at_once(
        [
            lambda: services.return_approve(tenant=tenant_a, request_id=req.public_id, actor=alice),
            lambda: recalculation_run(recalculation_id=run.pk),
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    run.refresh_from_db()
    assert run.status == "finished"
    stored = CustomerTier.objects.get(customer=acme_customer).return_rate
    assert stored in (Decimal("0.00"), Decimal("100.00"))
    assert Transaction.objects.filter(event=TransactionEvent.LEAD_RETURNED).count() == 1
    again = recalculation_request(tenant=tenant_a, actor=alice, in_background=False)
    recalculation_run(recalculation_id=again.pk)
    assert CustomerTier.objects.get(customer=acme_customer).return_rate == Decimal("100.00")
    assert ledger_check()[1] == []
