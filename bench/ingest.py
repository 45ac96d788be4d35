"""Lead ingestion benchmark over HTTP on PostgreSQL: POST /api/leads with 1, 10, 100 and 1,000 active bids.

Serves the app with granian's WSGI interface (2 workers) and measures with wrk:
  - GET /health/live              the trivial JSON endpoint (no database), the baseline
  - POST /api/leads               a full lead from an internal source (Basic auth), validated, typed,
                                  checked for duplicates, auctioned among N active bids, charged, assigned
for N in 1, 10, 100, 1000 (every bid covers the lead's location: nationwide, state and county bids mixed,
one bid per buyer, every wallet funded). Then it drives the 100-bid case at half its measured throughput
with an open-loop generator to read p50/p99 at that rate, counts the SQL queries of one post per N (in
process, through Django's test client), and proves the money: every 201 "assigned" is one Lead Assigned
charge, the charges sum to the sold leads' prices, and `ledger check` is clean.

    make bench-ingest           # or: .venv/bin/python bench/ingest.py [--seconds 10] [--connections 16]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/juiced_bench_ingest;
the database is dropped and created) and `wrk`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wallet import free_port, fresh_database, percentile, run_wrk, send_at_rate, start_server  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/juiced_bench_ingest"
BID_COUNTS = (1, 10, 100, 1000)
ZIP, STATE, COUNTY = "90012", "CA", "Los Angeles County"

WRK_SCRIPT = """
local auth = "%(auth)s"
local run = "%(run)s"
local n = 0
local counter = 0
setup = function(thread) thread:set("tid", counter); counter = counter + 1 end
request = function()
  n = n + 1
  local email = "lead-" .. run .. "-" .. tid .. "-" .. n .. "@bench.test"
  local body = '{"first_name": "Bench", "last_name": "Lead", "email": "' .. email ..
    '", "phone": "555-123-4567", "address_1": "1 Main St", "city": "Los Angeles", "state": "CA", ' ..
    '"zip": "%(zip)s", "age": 42}'
  local headers = {}
  headers["Authorization"] = auth
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/leads", headers, body)
end
"""


def lead_body(email: str) -> bytes:
    return json.dumps(
        {
            "first_name": "Bench",
            "last_name": "Lead",
            "email": email,
            "phone": "555-123-4567",
            "address_1": "1 Main St",
            "city": "Los Angeles",
            "state": STATE,
            "zip": ZIP,
            "age": 42,
        }
    ).encode()


def prepare_database(url: str, buyers: int) -> tuple[str, list[int]]:
    """Recreate the bench database and build a market: a category, a lead type, an internal source, a
    duplicate rule on email, and `buyers` funded customers with one bid each (all archived for now)."""
    fresh_database(url)
    from django.utils import timezone

    from juiced.customers.services import customer_create
    from juiced.leads.demo import market_build
    from juiced.leads.models import Bid, DuplicateRule, Scope
    from juiced.tenants.services import tenant_create
    from juiced.wallets.models import TransactionEvent
    from juiced.wallets.services import wallet_credit

    tenant, admin = tenant_create(
        slug="bench", name="Bench Leads", admin_email="admin@bench.test", admin_password="bench-password-1"
    )
    market = market_build(tenant=tenant, actor=admin, category_name="Bench leads")
    # The per-source rate limit would answer 429 long before the server is saturated.
    market.internal.rate_limit_per_minute = 100_000_000
    market.internal.save(update_fields=["rate_limit_per_minute"])
    DuplicateRule.objects.create(tenant=tenant, category=market.category, fields=["email"], lookback_days=30)
    lead_type = market.fallback_type
    scopes = [(Scope.NATIONWIDE, "", ""), (Scope.STATE, STATE, ""), (Scope.COUNTY, STATE, COUNTY)]
    bid_ids = []
    for i in range(buyers):
        customer = customer_create(
            tenant=tenant,
            actor=admin,
            data={"name": f"Bench Buyer {i:04d}", "email": f"buyer{i}@bench.test", "is_onboarded": True},
        )
        wallet_credit(
            wallet=customer.wallet,
            amount=50_000_000_00,
            event=TransactionEvent.FUNDS_ADDED,
            description="bench funding",
            actor=admin,
        )
        scope, state, county = scopes[i % 3]
        # Amounts on the grid, spread so ranks differ and some tie.
        amount = lead_type_minimum(lead_type, scope) + 50 * (i % 40)
        bid = Bid.objects.create(
            tenant=tenant,
            customer=customer,
            lead_type=lead_type,
            scope=scope,
            state=state,
            county=county,
            amount=amount,
            archived_at=timezone.now(),
        )
        bid_ids.append(bid.pk)
    from django.db import connections

    connections.close_all()
    return basic_auth(market.internal_key, market.internal_secret), bid_ids


def lead_type_minimum(lead_type, scope: str) -> int:
    return lead_type.pricing.get(scope=scope).minimum


def basic_auth(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def activate_bids(bid_ids: list[int], count: int) -> None:
    from django.db import connections
    from django.utils import timezone

    from juiced.leads.models import Bid

    Bid.objects.filter(pk__in=bid_ids[:count]).update(archived_at=None)
    Bid.objects.filter(pk__in=bid_ids[count:]).update(archived_at=timezone.now())
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give a long-running market
        cursor.execute("ANALYZE leads_bid, customers_customer, wallets_wallet")
    connections.close_all()


def queries_per_post(auth: str) -> int:
    """The SQL statements one accepted post runs, counted in process with Django's test client."""
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.post(  # warm caches (category schema, lead types) as a running server has them
        "/api/leads", lead_body(f"warm-{time.time_ns()}@bench.test"), "application/json",
        HTTP_AUTHORIZATION=auth, HTTP_HOST="127.0.0.1",
    )  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/api/leads", lead_body(f"count-{time.time_ns()}@bench.test"), "application/json",
            HTTP_AUTHORIZATION=auth, HTTP_HOST="127.0.0.1",
        )  # fmt: skip
    assert response.status_code == 201, response.content
    connections.close_all()
    return len(captured.captured_queries)


async def open_loop(port: int, auth: str, rate: float, seconds: float):
    """POST leads at a fixed rate (wallet.send_at_rate), each with a new e-mail address."""

    def post(n: int) -> bytes:
        body = lead_body(f"open-{n}-{time.time_ns()}@bench.test")
        return (
            f"POST /api/leads HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    return await send_at_rate(port, post, rate, seconds)


def money_after() -> dict[str, int]:
    from django.db import connections
    from django.db.models import Sum

    from juiced.leads.models import Lead, LeadStatus
    from juiced.wallets.models import Transaction, TransactionEvent
    from juiced.wallets.selectors import ledger_check

    connections.close_all()
    checked, mismatches = ledger_check()
    charges = Transaction.objects.filter(event=TransactionEvent.LEAD_ASSIGNED)
    sold = Lead.objects.filter(status=LeadStatus.ASSIGNED)
    return {
        "wallets_checked": checked,
        "mismatches": len(mismatches),
        "leads": Lead.objects.count(),
        "assigned": sold.count(),
        "charges": charges.count(),
        "charged": -(charges.aggregate(s=Sum("amount"))["s"] or 0),
        "sold_prices": sold.aggregate(s=Sum("price"))["s"] or 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does it)")
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    print(f"preparing {url}: {max(BID_COUNTS)} funded buyers with one bid each…", flush=True)
    auth, bid_ids = prepare_database(url, max(BID_COUNTS))
    port = free_port()
    server = start_server(url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, float]] = {}
    queries: dict[int, int] = {}
    try:
        run_wrk(f"{base}/health/live", 2, args.connections)  # warm-up
        results["trivial GET /health/live"] = run_wrk(f"{base}/health/live", args.seconds, args.connections)
        for count in BID_COUNTS:
            activate_bids(bid_ids, count)
            queries[count] = queries_per_post(auth)
            script = WRK_SCRIPT % {"auth": auth, "run": f"b{count}", "zip": ZIP}
            run_wrk(base + "/", 2, args.connections, script.replace('"b', '"warm'))  # warm this market
            results[f"POST /api/leads, {count} bids"] = run_wrk(
                base + "/", args.seconds, args.connections, script
            )
        activate_bids(bid_ids, 100)
        rate = results["POST /api/leads, 100 bids"]["rps"] / 2
        latencies, statuses, achieved = asyncio.run(open_loop(port, auth, rate, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=15)

    trivial = results["trivial GET /health/live"]["rps"]
    print()
    print(
        f"{'scenario':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs trivial':>10} "
        f"{'queries':>8}"
    )
    for name, r in results.items():
        count = int(name.split(", ")[1].split()[0]) if name.startswith("POST") else None
        q = f"{queries[count]:8d}" if count else f"{'':8}"
        print(
            f"{name:34} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:8d} "
            f"{r['rps'] / trivial:9.0%} {q}"
        )
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(
        f"{'100 bids @ half rate (open loop)':34} {achieved:9.0f} {p50:8.2f} {p99:8.2f} "
        f"{sum(v for k, v in statuses.items() if k != 201):8d}"
    )
    print(f"mean latency at half rate: {statistics.mean(latencies):.2f} ms over {len(latencies)} requests")
    money = money_after()
    ok = money["mismatches"] == 0 and money["charges"] == money["assigned"]
    ok = ok and money["charged"] == money["sold_prices"]
    print(
        f"money: {money['leads']} leads, {money['assigned']} assigned, {money['charges']} Lead Assigned "
        f"charges totalling {money['charged']} cents = sold prices {money['sold_prices']} cents; "
        f"ledger: {money['wallets_checked']} wallets, {money['mismatches']} mismatches: "
        f"{'consistent' if ok else 'INCONSISTENT'}"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "results": results,
                    "queries": queries,
                    "half_rate": {"rps": achieved, "p50": p50, "p99": p99},
                    "money": money,
                }
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
