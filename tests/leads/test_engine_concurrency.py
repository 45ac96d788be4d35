"""Real threads against PostgreSQL: 200 leads allocated from 16 threads to 5 buyers with tight money and
limits never exceed a cap or budget, never overdraw a wallet, and keep the ledger exact."""

from __future__ import annotations

import queue
import threading

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from juiced.leads.allocation import lead_allocate
from juiced.leads.models import Lead, LeadStatus, UsageCounter
from juiced.leads.usage import period_start_dates
from juiced.wallets.models import Transaction, TransactionEvent, Wallet
from juiced.wallets.selectors import ledger_check

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEADS = 200
THREADS = 16


def test_two_hundred_leads_from_sixteen_threads(
    tenant_a, make_category, make_lead_type, make_source, make_customer, make_bid, fund
):
    category = make_category(tenant_a)
    auto = make_lead_type(category, "Auto", minimum=1000, step=100)
    source, _secret = make_source(tenant_a, category=category)
    # Five buyers: small wallets, customer caps, bid caps and budgets that bind well before 200 leads.
    plans = [
        ("Zest", 30_000, {"daily_cap": 12}, {"amount": 2500}),
        ("Yolk", 25_000, {}, {"amount": 2400, "daily_budget": 15_000}),
        ("Kiwi", 40_000, {"daily_budget": 20_000}, {"amount": 2300, "daily_cap": 9}),
        ("Lime", 12_000, {}, {"amount": 2200}),
        ("Fig", 50_000, {"daily_cap": 15, "daily_budget": 30_000}, {"amount": 2100}),
    ]
    customers = []
    for name, funds, customer_limits, bid in plans:
        customer = make_customer(name, **customer_limits)
        fund(customer, funds)
        make_bid(customer, auto, **bid)
        customers.append(customer)
    leads = [
        Lead(tenant=tenant_a, source=source, category=category, lead_type=auto, status=LeadStatus.PROCESSING,
             data={"first_name": f"Lead {i}"}, zip_code="90001", state="CA", county="Los Angeles County")
        for i in range(LEADS)
    ]  # fmt: skip
    Lead.objects.bulk_create(leads)
    work: queue.Queue[int] = queue.Queue()
    for lead in Lead.objects.values_list("pk", flat=True):
        work.put(lead)
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                try:
                    lead_id = work.get_nowait()
                except queue.Empty:
                    return
                lead_allocate(lead=Lead.objects.select_related("lead_type").get(pk=lead_id))
        except BaseException as error:  # the assertions below report it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    sold = Lead.objects.filter(status=LeadStatus.ASSIGNED)
    assert Lead.objects.filter(status=LeadStatus.PROCESSING).count() == 0
    assert sold.count() + Lead.objects.filter(status=LeadStatus.UNASSIGNED).count() == LEADS
    assert sold.count() > 0
    for wallet in Wallet.objects.filter(customer__in=customers):
        assert wallet.balance >= wallet.held >= 0
    charges = Transaction.objects.filter(event=TransactionEvent.LEAD_ASSIGNED).aggregate(total=Sum("amount"))
    assert -charges["total"] == sold.aggregate(total=Sum("price"))["total"]
    assert Transaction.objects.filter(event=TransactionEvent.LEAD_ASSIGNED).count() == sold.count()
    today = period_start_dates(timezone.now())["daily"]
    for customer, (_name, _funds, customer_limits, bid) in zip(customers, plans, strict=True):
        won = sold.filter(customer=customer)
        count, spent = won.count(), won.aggregate(total=Sum("price"))["total"] or 0
        counter = UsageCounter.objects.filter(customer=customer, bid__isnull=True, period="daily",
                                              period_start=today).first()  # fmt: skip
        assert (counter.leads, counter.spent) == (count, spent) if counter else count == 0
        assert count <= min(customer_limits.get("daily_cap", LEADS), bid.get("daily_cap", LEADS))
        assert spent <= min(customer_limits.get("daily_budget", 10**9), bid.get("daily_budget", 10**9))
    assert ledger_check()[1] == []
