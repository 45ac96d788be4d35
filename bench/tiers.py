"""Return-tier recalculation benchmark on PostgreSQL: 10,000 customers, 1,000,000 sold leads.

Builds the ledger set-based (INSERT … SELECT generate_series, not the wallet services): per customer one
FUNDS_ADDED credit, 100 LEAD_ASSIGNED debits and, for a share of customers, LEAD_RETURNED credits (0–30 %
of their leads), with running balance_after; then one UPDATE sets every wallet's cached balance to its sum
so `juiced ledger check` stays clean. Every 20th customer spent under $5,000 (the new-customer tier).
With the seed's five-tier ladder switched on it times `recalculation_run` twice: the first run (every
customer moves into a tier and is notified) and a second run (nothing changes).

    .venv/bin/python bench/tiers.py [--customers 10000] [--leads-per-customer 100]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/juiced_bench_tiers; the
database is dropped and created). Goal: under 10 s for the recalculation.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wallet import fresh_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/juiced_bench_tiers"

# price(n, g) in cents of lead g (1..L) of customer n: every 20th customer buys $10 leads, the rest $50–$99.
PRICE = "CASE WHEN c.n %% 20 = 0 THEN 1000 ELSE 5000 + ((c.n * 7 + g) %% 50) * 100 END"

LEDGER_SQL = f"""
WITH c AS (
    SELECT w.id AS wallet_id, row_number() OVER (ORDER BY w.id) AS n
    FROM wallets_wallet w WHERE w.tenant_id = %(tenant)s
), moves AS (
    SELECT c.wallet_id, 0 AS seq, 'funds_added' AS event, 100000000::bigint AS amount, '' AS related
    FROM c
    UNION ALL
    SELECT c.wallet_id, g, 'lead_assigned', -({PRICE})::bigint, 'lead_b' || c.n || '_' || g
    FROM c CROSS JOIN generate_series(1, %(leads)s) AS g
    UNION ALL
    SELECT c.wallet_id, %(leads)s + g, 'lead_returned', ({PRICE})::bigint, 'ret_b' || c.n || '_' || g
    FROM c CROSS JOIN generate_series(1, %(leads)s) AS g
    WHERE g <= c.n %% 31
)
INSERT INTO wallets_transaction (
    public_id, tenant_id, wallet_id, event, amount, held_delta, balance_after, held_after, description,
    receipt_url, related_type, related_id, actor_label, created_at
)
SELECT 'txn_bench' || lpad((row_number() OVER ())::text, 12, '0'), %(tenant)s, wallet_id, event, amount, 0,
       sum(amount) OVER (PARTITION BY wallet_id ORDER BY seq), 0, 'bench',
       '', CASE WHEN event = 'funds_added' THEN '' WHEN event = 'lead_assigned' THEN 'lead' ELSE 'return' END,
       related, 'System', now() - make_interval(mins => 1000 - seq)
FROM moves
"""

BALANCE_SQL = """
UPDATE wallets_wallet w SET balance = s.total, updated_at = now()
FROM (SELECT wallet_id, sum(amount) AS total FROM wallets_transaction GROUP BY wallet_id) s
WHERE s.wallet_id = w.id
"""


def build(customers: int, leads: int):
    from django.db import connection, transaction

    from juiced.customers.models import Customer
    from juiced.returns.models import ReturnSettings, ReturnTier
    from juiced.tenants.services import tenant_create
    from juiced.wallets.models import Wallet

    tenant, _admin = tenant_create(
        slug="bench", name="Bench Leads", admin_email="admin@bench.test", admin_password="bench-password-1"
    )
    with transaction.atomic():
        made = Customer.objects.bulk_create(
            [
                Customer(tenant=tenant, name=f"Buyer {i:05d}", email=f"b{i}@bench.test")
                for i in range(customers)
            ],
            batch_size=2000,
        )
        Wallet.objects.bulk_create([Wallet(tenant=tenant, customer=c) for c in made], batch_size=2000)
        with connection.cursor() as cursor:
            cursor.execute(LEDGER_SQL, {"tenant": tenant.pk, "leads": leads})
            rows = cursor.rowcount
            cursor.execute(BALANCE_SQL)
            cursor.execute("ANALYZE wallets_transaction")
            cursor.execute("ANALYZE wallets_wallet")
        ReturnSettings.objects.update_or_create(tenant=tenant, defaults={"tiers_enabled": True})
        ladder = [
            ("Fresh", True, None, None, None, None, False),
            ("Golden", False, "0", "5", "5", None, False),
            ("Ripe", False, "5", "15", None, None, False),
            ("Overripe", False, "15", "25", None, "15", False),
            ("Rotten", False, "25", "100", None, None, True),
        ]
        for position, (name, new, low, up, discount, penalty, match) in enumerate(ladder):
            ReturnTier.objects.create(
                tenant=tenant, name=name, position=position, applies_to_new_customers=new,
                lower_bound=Decimal(low) if low else None, upper_bound=Decimal(up) if up else None,
                discount_enabled=discount is not None,
                discount_percent=Decimal(discount) if discount else None,
                penalty_enabled=penalty is not None or match, penalty_matches_return_rate=match,
                penalty_percent=Decimal(penalty) if penalty else None,
            )  # fmt: skip
    return tenant, rows


def timed_run(tenant) -> tuple[float, object]:
    from juiced.returns.recalc import recalculation_request, recalculation_run

    run = recalculation_request(tenant=tenant, actor=None, in_background=False)
    started = time.perf_counter()
    done = recalculation_run(recalculation_id=run.pk)
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--leads-per-customer", type=int, default=100)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    fresh_database(url)

    started = time.perf_counter()
    tenant, rows = build(args.customers, args.leads_per_customer)
    print(f"built {args.customers} customers, {rows} ledger rows in {time.perf_counter() - started:.1f} s")

    from django.db.models import Count

    from juiced.notifications.models import Notification
    from juiced.returns.models import CustomerTier
    from juiced.wallets.models import Transaction, TransactionEvent
    from juiced.wallets.selectors import ledger_check

    sold = Transaction.objects.filter(tenant=tenant, event=TransactionEvent.LEAD_ASSIGNED).count()
    returned = Transaction.objects.filter(tenant=tenant, event=TransactionEvent.LEAD_RETURNED).count()
    print(f"sold leads: {sold}, returned leads: {returned}")

    first, run = timed_run(tenant)
    notified = Notification.objects.count()
    print(f"recalculation 1: {run.processed} customers, {run.changed} changed, {first:.2f} s "
          f"({notified} notifications)")  # fmt: skip
    second, run = timed_run(tenant)
    print(f"recalculation 2: {run.processed} customers, {run.changed} changed, {second:.2f} s")

    per_tier = dict(
        CustomerTier.objects.filter(tenant=tenant)
        .values_list("tier__name")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("tier__name", "n")
    )
    for name in ("Fresh", "Golden", "Ripe", "Overripe", "Rotten", None):
        print(f"  {name or '(no tier)':<10} {per_tier.get(name, 0):>6}")
    checked, mismatches = ledger_check()
    print(f"ledger check: {checked} wallets, {len(mismatches)} mismatches")
    goal = "MET" if max(first, second) < 10 else "MISSED"
    print(f"goal < 10 s: {goal}")
    if mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
