"""The issue's concurrency story through the front door: 200 leads POSTed to /api/leads from 16 threads
against 5 buyers with tight funds, caps and budgets. No cap or budget is exceeded, no wallet goes
negative, every 201 "assigned" is exactly one charge, charges sum to the sold prices, the ledger is exact."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client

from juiced.leads.models import Lead, LeadStatus, Submission
from juiced.wallets.models import Transaction, TransactionEvent, Wallet
from juiced.wallets.selectors import ledger_check
from tests.leads.conftest import basic_auth

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEADS = 200
THREADS = 16


def test_two_hundred_posts_from_sixteen_threads_keep_money_caps_and_budgets_exact(
    tenant_a, make_category, make_lead_type, make_source, make_customer, make_bid, fund
):
    category = make_category(tenant_a)
    lead_type = make_lead_type(category, "Auto", minimum=1000, step=100)
    source, secret = make_source(tenant_a, category=category, rate_limit_per_minute=100_000)
    auth = basic_auth(source.api_key, secret)
    plans = [  # (name, funds, customer limits, bid) — every limit binds well before 200 leads
        ("Zest", 30_000, {"daily_cap": 12}, {"amount": 2500}),
        ("Yolk", 25_000, {}, {"amount": 2400, "daily_budget": 15_000}),
        ("Kiwi", 40_000, {"weekly_budget": 20_000}, {"amount": 2300, "monthly_cap": 9}),
        ("Lime", 12_000, {}, {"amount": 2200}),
        ("Fig", 50_000, {"daily_cap": 15, "daily_budget": 30_000}, {"amount": 2100}),
    ]
    customers = []
    for name, funds, limits, bid in plans:
        customer = make_customer(name, **limits)
        fund(customer, funds)
        make_bid(customer, lead_type, **bid)
        customers.append(customer)

    answers: list[tuple[int, dict]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    counter = iter(range(LEADS))
    barrier = threading.Barrier(THREADS)

    def worker() -> None:
        client = Client()
        try:
            barrier.wait()
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                body = {"first_name": "Lead", "last_name": str(n), "email": f"lead{n}@example.com",
                        "phone": f"555-010-{n:04d}", "zip": "90012", "state": "CA"}  # fmt: skip
                response = client.post(
                    "/api/leads", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth
                )
                with lock:
                    answers.append((response.status_code, response.json()))
        except BaseException as error:  # reported by the assertions below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(answers) == LEADS and {status for status, _ in answers} == {201}

    sold = Lead.objects.filter(status=LeadStatus.ASSIGNED)
    said_assigned = [body for _, body in answers if body["status"] == "assigned"]
    assert len(said_assigned) == sold.count() > 0
    assert sum(round(body["price"] * 100) for body in said_assigned) == sold.aggregate(s=Sum("price"))["s"]
    assert Lead.objects.count() == LEADS and Submission.objects.filter(kind="post").count() == LEADS
    charges = Transaction.objects.filter(event=TransactionEvent.LEAD_ASSIGNED)
    assert charges.count() == sold.count()
    assert -charges.aggregate(s=Sum("amount"))["s"] == sold.aggregate(s=Sum("price"))["s"]
    for wallet in Wallet.objects.filter(customer__in=customers):
        assert wallet.balance >= wallet.held >= 0
    for customer, (_name, funds, limits, bid) in zip(customers, plans, strict=True):
        won = sold.filter(customer=customer)
        count, spent = won.count(), won.aggregate(s=Sum("price"))["s"] or 0
        assert spent <= funds
        assert count <= min(limits.get("daily_cap", LEADS), bid.get("monthly_cap", LEADS))
        budget = min(limits.get("daily_budget", 10**9), limits.get("weekly_budget", 10**9),
                     bid.get("daily_budget", 10**9))  # fmt: skip
        assert spent <= budget
    assert ledger_check()[1] == []
