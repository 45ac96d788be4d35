"""Shared factories for the returns tests (used by every returns part).

lead = sold_lead(acme_customer, price=2500)               # assigned now, charged 25.00 through the ledger
lead = sold_lead(acme_customer, price=2500, days_ago=10)  # sold 10 days ago (outside a 7-day window)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from juiced.leads.models import Lead, LeadCategory, LeadStatus, Source
from juiced.wallets.models import TransactionEvent
from juiced.wallets.services import Related, wallet_credit, wallet_debit


@pytest.fixture
def sold_lead():
    """sold_lead(customer, price=2500, *, days_ago=0, status="assigned", fund=True) → a Lead sold to the
    customer: the wallet is funded with the price (unless fund=False), then debited LEAD_ASSIGNED."""

    def make(customer, price: int = 2500, *, days_ago: int = 0, status: str = LeadStatus.ASSIGNED,
             fund: bool = True, first_name: str = "Lena") -> Lead:  # fmt: skip
        tenant = customer.tenant
        category, _ = LeadCategory.objects.get_or_create(tenant=tenant, name="Returns test category")
        source, _ = Source.objects.get_or_create(
            tenant=tenant, name="Returns test source", defaults={"api_key": f"key_ret_{tenant.pk}"}
        )
        lead = Lead.objects.create(
            tenant=tenant,
            source=source,
            category=category,
            status=status,
            customer=customer,
            price=price,
            bid_amount=price,
            data={"first_name": first_name, "last_name": "Lead", "email": "lena@example.com"},
            assigned_at=timezone.now() - timedelta(days=days_ago),
        )
        if price > 0:
            if fund:
                wallet_credit(
                    wallet=customer.wallet, amount=price, event=TransactionEvent.FUNDS_ADDED,
                    description="Test funds",
                )  # fmt: skip
            txn, _ = wallet_debit(
                wallet=customer.wallet,
                amount=price,
                event=TransactionEvent.LEAD_ASSIGNED,
                description=f"Lead {lead.public_id}",
                related=Related("lead", lead.public_id),
            )
            lead.transaction = txn
            lead.save(update_fields=["transaction"])
            customer.wallet.refresh_from_db()
        return lead

    return make


@pytest.fixture
def make_customer(tenant_a, alice):
    """make_customer(name, tenant=tenant_a) → another customer (with a wallet)."""
    from juiced.customers.services import customer_create

    def make(name: str, tenant=None, actor=None):
        return customer_create(
            tenant=tenant or tenant_a,
            actor=actor or alice,
            data={"name": name, "email": f"{name.lower().replace(' ', '.')}@example.com"},
        )

    return make
