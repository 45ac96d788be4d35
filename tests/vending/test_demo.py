"""The vending demo: tariffs, accounts, a master, a cashier and a supervisor, a month of sales; idempotent."""

from __future__ import annotations

from django.test import Client

from juiced.vending.demo import CASHIER_EMAIL, DEMO_PASSWORD, SUPERVISOR_EMAIL, vending_demo
from juiced.vending.ledger import vending_ledger_check
from juiced.vending.models import (
    Account,
    ArrearsDebt,
    Batch,
    MasterAccount,
    RepaymentPlan,
    Sale,
    Tariff,
    Token,
    Vendor,
)


def test_vending_demo_loads_a_consistent_history_once(tenant_a, alice):
    assert vending_demo(tenant=tenant_a, admin=alice) is True
    assert sorted(Tariff.objects.filter(tenant=tenant_a).values_list("current_version__kind", flat=True)) == [
        "blocks",
        "flat",
        "tou",
    ]
    accounts = Account.objects.filter(tenant=tenant_a)
    assert accounts.count() == 12 and accounts.filter(status="active").count() == 11
    master = MasterAccount.objects.get(tenant=tenant_a)
    assert master.accounts.count() == 4
    sales = Sale.objects.filter(tenant=tenant_a)
    assert 55 <= sales.filter(kind="sale").count() <= 65
    assert sales.filter(kind="reversal").count() == 1
    assert sales.filter(payment_kind="free_issue").count() == 1
    oldest = sales.order_by("created_at").first().created_at
    assert (sales.order_by("-created_at").first().created_at - oldest).days >= 25
    assert Token.objects.filter(tenant=tenant_a, status="void").exists()
    assert ArrearsDebt.objects.filter(tenant=tenant_a).count() == 1
    assert RepaymentPlan.objects.filter(tenant=tenant_a).count() == 1
    vendor = Vendor.objects.get(tenant=tenant_a, user__email=CASHIER_EMAIL)
    assert (vendor.limit_per_sale, vendor.limit_per_day) == (50_000, 2_000_000)
    closed = Batch.objects.get(vendor=vendor, status="closed")
    assert closed.sales_count >= 45 and closed.total == sum(closed.totals.values())
    assert Batch.objects.filter(vendor=vendor, status="open").count() == 1
    assert vending_ledger_check(tenant_a) == []
    # Running it again adds nothing.
    counts = (Sale.objects.count(), Account.objects.count(), Tariff.objects.count())
    assert vending_demo(tenant=tenant_a, admin=alice) is False
    assert (Sale.objects.count(), Account.objects.count(), Tariff.objects.count()) == counts


def test_demo_cashier_and_supervisor_can_log_in(tenant_a, alice):
    vending_demo(tenant=tenant_a, admin=alice)
    for email in (CASHIER_EMAIL, SUPERVISOR_EMAIL):
        assert Client().login(email=email, password=DEMO_PASSWORD), email
