"""Vending demo data for the demo tenant: tariffs, accounts, a master account, a cashier and a sales history.

Everything goes through the real services (setup, masters, quick_pay, sale_reverse, debt_add, plan_create,
batch_close), so `juiced ledger check` stays clean. Idempotent: nothing is added when the tenant already has
vending accounts; the whole load is one transaction, so an interrupted run is simply redone.

The history is spread over the last 30 days by moving each sale's timestamps back after it is made (the
services stamp "now"); amounts, tokens and ledger rows are exactly what the services produced.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from juiced.core.tenancy import StaffAccess
from juiced.tenants.models import Membership, Tenant, User
from juiced.tenants.roles import StaffRole
from juiced.vending.arrears import debt_add, plan_create
from juiced.vending.batches import batch_close, batch_open_for
from juiced.vending.masters import master_create
from juiced.vending.models import Account, AccountEntry, Batch, Sale, Token, Vendor
from juiced.vending.sales import quick_pay, sale_reverse
from juiced.vending.setup import (
    account_activate,
    account_create,
    customer_create,
    location_create,
    meter_create,
    tariff_create,
    vendor_create,
)

CASHIER_EMAIL = "cashier@demo.test"
SUPERVISOR_EMAIL = "supervisor@demo.test"
DEMO_PASSWORD = "demo"
HISTORY_DAYS = 30
SALES = 60

TARIFFS = [
    {
        "name": "Residential flat",
        "description": "Households: one price per kWh, a small charge per purchase.",
        "kind": "flat",
        "flat_rate": 25_000,
        "fixed_per_purchase": 50,
        "tax_bp": 1_600,
        "minimum_purchase": 200,
    },
    {
        "name": "Lifeline blocks",
        "description": "The first 50 kWh of the month are cheapest.",
        "kind": "blocks",
        "blocks": [
            {"up_to_kwh": 50, "rate": 12_000},
            {"up_to_kwh": 200, "rate": 22_000},
            {"up_to_kwh": None, "rate": 30_000},
        ],
        "fixed_per_day": 5,
        "tax_bp": 1_600,
    },
    {
        "name": "Business time of use",
        "description": "Night power is cheap, the evening peak dear.",
        "kind": "tou",
        "tou": [
            {"start": "00:00", "end": "06:00", "rate": 15_000},
            {"start": "06:00", "end": "18:00", "rate": 28_000},
            {"start": "18:00", "end": "24:00", "rate": 35_000},
        ],
        "fixed_per_purchase": 100,
        "tax_bp": 1_600,
        "minimum_purchase": 1_000,
    },
]

# (customer name, Loc ID, town, tariff index)
HOUSEHOLDS = [
    ("Wanjiku Kamau", "RIV-001", "Kisumu", 0),
    ("Otieno Odhiambo", "RIV-002", "Kisumu", 0),
    ("Achieng Atieno", "RIV-003", "Kisumu", 0),
    ("Kiprono Kirui", "RIV-004", "Kisumu", 0),
    ("Mwangi Njoroge", "NKR-101", "Nakuru", 0),
    ("Fatuma Hassan", "MSA-201", "Mombasa", 0),
    ("Chebet Rotich", "ELD-301", "Eldoret", 1),
    ("Baraka Mutua", "MCH-401", "Machakos", 1),
    ("Nafula Wekesa", "BGM-501", "Bungoma", 1),
    ("Lakeside Hardware Ltd", "KSM-B01", "Kisumu", 2),
    ("Sunrise Bakery", "NKR-B02", "Nakuru", 2),
    ("Pwani Cold Stores", "MSA-B03", "Mombasa", 2),
]


def _user(tenant: Tenant, email: str, name: str, role: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, name=name)
        user.set_password(DEMO_PASSWORD)  # set directly: the validators would refuse the short demo password
        user.save()
    Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
    return user


def _backdate(sale: Sale, when: datetime.datetime) -> None:
    """Move one service-made sale (its tokens and ledger rows) back to `when` (demo history only)."""
    Sale.objects.filter(pk=sale.pk).update(created_at=when)
    Token.objects.filter(sale=sale).update(created_at=when)
    AccountEntry.objects.filter(sale=sale).update(created_at=when)
    Account.objects.filter(pk=sale.account_id).update(last_purchase_at=when)


def _accounts(admin: StaffAccess, tariffs: list, rng: random.Random) -> list[Account]:
    accounts = []
    for n, (name, loc_id, town, tariff_index) in enumerate(HOUSEHOLDS, start=1):
        first = name.split()[0].lower()
        customer = customer_create(
            access=admin,
            data={
                "name": name,
                "phone": f"+2547000{n:05d}",
                "email": f"{first}@example.test",
                "address": f"{n} Grid Road, {town}",
                "discount_bp": 500 if tariff_index == 2 and n == 10 else 0,
            },
        )
        location = location_create(
            access=admin,
            data={"loc_id": loc_id, "address_1": f"{n} Grid Road", "city": town, "country": "KE"},
        )
        meter = meter_create(
            access=admin,
            data={
                "serial_number": f"OPG-24-{n:04d}",
                "com": "OpenPAYGO keypad" if tariff_index < 2 else "OpenPAYGO / GSM gateway",
                "openpaygo_secret_key": rng.randbytes(16).hex(),
                "openpaygo_starting_code": rng.randrange(100_000_000, 999_999_999),
            },
        )
        account = account_create(
            access=admin,
            data={
                "customer": customer,
                "location": location,
                "meter": meter,
                "tariff": tariffs[tariff_index],
                "minimum_purchase": None,
            },
        )
        if n != len(HOUSEHOLDS):  # the last one waits for activation
            account = account_activate(access=admin, account=account, note="Meter installed and tested.")
        accounts.append(account)
    return accounts


def _sales_history(
    *, cashier: StaffAccess, supervisor: StaffAccess, accounts: list[Account], rng: random.Random
) -> list[Sale]:
    """≈60 sales over the last 30 days, oldest first; the first ~50 in a batch closed at the end."""
    now = timezone.now()
    active = [a for a in accounts if a.status == "active"]
    kinds = ["cash"] * 6 + ["mobile_money"] * 3 + ["card"] * 2 + ["cheque"]
    sales = []
    for i in range(SALES):
        account = rng.choice(active)
        days_ago = HISTORY_DAYS - (i * HISTORY_DAYS) // SALES
        when = now - datetime.timedelta(days=days_ago, hours=rng.randrange(0, 10), minutes=rng.randrange(60))
        if i >= SALES - 10:
            when = now - datetime.timedelta(minutes=(SALES - i) * 7)
        amount = rng.choice([1_000, 1_500, 2_000, 2_500, 5_000, 10_000])  # above every minimum
        kind = rng.choice(kinds)
        tendered = -(-amount // 500) * 500 + rng.choice([0, 500, 1_000]) if kind == "cash" else None
        reference = f"MPESA{rng.randrange(10**7, 10**8)}" if kind == "mobile_money" else ""
        sale, _ = quick_pay(
            access=cashier,
            account=account,
            amount=amount,
            payment_kind=kind,
            tendered=tendered,
            reference=reference,
        )
        _backdate(sale, when)
        sales.append(sale)
        if i == SALES - 11:
            vendor = Vendor.objects.get(tenant=cashier.tenant, user=cashier.user)
            batch = batch_close(access=cashier, batch=batch_open_for(vendor=vendor))
            Batch.objects.filter(pk=batch.pk).update(business_date=timezone.localdate(when))
    free, _ = quick_pay(
        access=supervisor,
        account=active[0],
        amount=1_000,
        payment_kind="free_issue",
        note="Goodwill credit after the outage on the Riverside feeder.",
    )
    sales.append(free)
    sale_reverse(
        access=supervisor, sale=sales[-3], reason="Sold to the wrong meter; customer came back at once."
    )
    return sales


@transaction.atomic
def vending_demo(*, tenant: Tenant, admin: User) -> bool:
    """Add the vending demo to the demo tenant; False when it is there already."""
    if Account.objects.filter(tenant=tenant).exists():
        return False
    rng = random.Random(8)  # the same demo every time
    admin_access = StaffAccess(user=admin, tenant=tenant, role=StaffRole.ADMIN)
    cashier_user = _user(tenant, CASHIER_EMAIL, "Cate Cashier", StaffRole.CASHIER)
    supervisor_user = _user(tenant, SUPERVISOR_EMAIL, "Sol Supervisor", StaffRole.VENDING_SUPERVISOR)
    if not Vendor.objects.filter(tenant=tenant, user=cashier_user).exists():
        vendor_create(
            access=admin_access,
            data={
                "user": cashier_user.public_id,
                "name": "Kisumu front counter",
                "limit_per_sale": 50_000,
                "limit_per_day": 2_000_000,
            },
        )
    cashier = StaffAccess(user=cashier_user, tenant=tenant, role=StaffRole.CASHIER)
    supervisor = StaffAccess(user=supervisor_user, tenant=tenant, role=StaffRole.VENDING_SUPERVISOR)
    tariffs = [tariff_create(access=admin_access, data=spec) for spec in TARIFFS]
    accounts = _accounts(admin_access, tariffs, rng)
    master_create(
        access=admin_access,
        data={
            "name": "Riverside Estate",
            "tariff": tariffs[0].public_id,
            "arrears_recovery_bp": 1_000,
            "notes": "Four households on the Riverside feeder, billed alike.",
            "accounts": [a.public_id for a in accounts[:4]],
        },
    )
    debtor = accounts[1]
    debt = debt_add(
        access=supervisor,
        account=debtor,
        amount=15_000,
        reason="Unpaid post-paid bill before the switch to prepaid.",
        recovery_bp=2_000,
    )
    plan_create(
        access=supervisor,
        debt=debt,
        instalments=6,
        interest_bp=500,
        frequency="monthly",
        start_date=timezone.localdate() + datetime.timedelta(days=7),
    )
    _sales_history(cashier=cashier, supervisor=supervisor, accounts=accounts, rng=rng)
    return True
