"""Quick Pay benchmark over HTTP on PostgreSQL: prepaid energy sales per second vs the trivial endpoint.

Serves the app with granian's WSGI interface (2 workers), then measures with wrk, in the same run:
  - GET /health/live                          the trivial JSON endpoint (no database), the baseline
  - POST /api/manage/vending/accounts/{id}/quick-pay
                                              cash sales over many accounts (one meter each), by several
                                              cashiers (each has a till and an open batch), every request with
                                              its own Idempotency-Key
then drives Quick Pay at half its measured throughput with an open-loop generator for p50/p99 at that rate.
Finally it proves the books: one sale per 201, token counts unique per meter, `vending_ledger_check` clean.

    make bench-vending          # or: .venv/bin/python bench/vending.py [--seconds 10] [--accounts 500]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/juiced_bench_vending; the
database is dropped and created) and `wrk`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wallet import (  # noqa: E402
    free_port,
    fresh_database,
    percentile,
    run_wrk,
    send_at_rate,
    start_server,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/juiced_bench_vending"
QUICK_PAY = "/api/manage/vending/accounts/{id}/quick-pay"
BODY = '{"amount": 1000, "payment_kind": "cash", "tendered": 2000}'

WRK_SCRIPT = """
local ids = {%(ids)s}
local tokens = {%(tokens)s}
local run = "%(run)s"
local n = 0
local counter = 0
setup = function(thread) thread:set("tid", counter); counter = counter + 1 end
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  local headers = {}
  headers["Authorization"] = "Bearer " .. tokens[(n %% #tokens) + 1]
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "bench-" .. run .. "-" .. tid .. "-" .. n
  return wrk.format("POST", "/api/manage/vending/accounts/" .. id .. "/quick-pay", headers, '%(body)s')
end
"""


def prepare_database(url: str, accounts: int, cashiers: int) -> tuple[list[str], list[str]]:
    """Recreate the database; a tenant, a flat tariff, N active accounts (own meter each), cashier tokens."""
    fresh_database(url)
    from django.db import connections

    from juiced.core.tenancy import StaffAccess
    from juiced.tenants.models import Membership, User
    from juiced.tenants.roles import StaffRole
    from juiced.tenants.services import api_token_create, tenant_create
    from juiced.vending.setup import (
        account_activate,
        account_create,
        customer_create,
        location_create,
        meter_create,
        tariff_create,
        vendor_create,
    )

    tenant, admin = tenant_create(
        slug="bench", name="Bench Power", admin_email="admin@bench.test", admin_password="bench-password-1"
    )
    access = StaffAccess(user=admin, tenant=tenant, role=StaffRole.ADMIN)
    tariff = tariff_create(
        access=access,
        data={"name": "Flat", "kind": "flat", "flat_rate": 23_450, "fixed_per_purchase": 10, "tax_bp": 1_600},
    )
    tokens = []
    for i in range(cashiers):
        user = User.objects.create_user(
            email=f"till{i}@bench.test", password="bench-password-1", name=f"Till {i}"
        )
        Membership.objects.create(tenant=tenant, user=user, role=StaffRole.CASHIER)
        vendor_create(access=access, data={"user": user.public_id, "name": f"Till {i}"})
        tokens.append(api_token_create(tenant=tenant, user=user, name="bench")[1])
    ids = []
    for i in range(accounts):
        customer = customer_create(
            access=access,
            data={"name": f"Household {i:04d}", "phone": f"+2547{i:08d}", "email": f"h{i}@bench.test"},
        )
        location = location_create(
            access=access, data={"loc_id": f"B-{i:05d}", "address_1": f"{i} Bench Road"}
        )
        meter = meter_create(
            access=access,
            data={"serial_number": f"BM-{i:05d}", "openpaygo_secret_key": secrets.token_hex(16)},
        )
        account = account_create(
            access=access,
            data={"customer": customer, "location": location, "meter": meter, "tariff": tariff},
        )
        account_activate(access=access, account=account)
        ids.append(account.public_id)
    connections.close_all()
    return tokens, ids


async def open_loop(port: int, tokens: list[str], ids: list[str], rate: float, seconds: float):
    body = BODY.encode()

    def sale(n: int) -> bytes:
        return (
            f"POST {QUICK_PAY.format(id=ids[n % len(ids)])} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {tokens[n % len(tokens)]}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: open-{n}-{time.time_ns()}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    return await send_at_rate(port, sale, rate, seconds)


def books_after() -> dict[str, int]:
    """Sales, tokens, meters whose token counts repeat (must be 0), ledger mismatches (must be 0)."""
    from django.db import connections
    from django.db.models import Count

    from juiced.vending.ledger import vending_ledger_check
    from juiced.vending.models import Sale, Token

    connections.close_all()
    repeated = Token.objects.values("meter_id", "count").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "sales": Sale.objects.filter(kind="sale").count(),
        "tokens": Token.objects.count(),
        "repeated_counts": repeated,
        "ledger_mismatches": len(vending_ledger_check()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--cashiers", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench-vending does it)")
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    print(f"preparing {url}: {args.accounts} accounts, {args.cashiers} cashiers…", flush=True)
    print("load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    tokens, ids = prepare_database(url, args.accounts, args.cashiers)
    port = free_port()
    server = start_server(url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, float]] = {}
    quoted = lambda xs: ", ".join(f'"{x}"' for x in xs)  # noqa: E731
    script = WRK_SCRIPT % {"ids": quoted(ids), "tokens": quoted(tokens), "run": "many", "body": BODY}
    try:
        run_wrk(f"{base}/health/live", 2, args.connections)  # warm-up
        results["trivial GET /health/live"] = run_wrk(f"{base}/health/live", args.seconds, args.connections)
        results[f"quick pay, {len(ids)} accounts"] = run_wrk(
            base + "/", args.seconds, args.connections, script
        )
        rate = results[f"quick pay, {len(ids)} accounts"]["rps"] / 2
        latencies, statuses, achieved = asyncio.run(open_loop(port, tokens, ids, rate, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=15)

    trivial = results["trivial GET /health/live"]["rps"]
    print()
    print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'scenario':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs trivial':>10}")
    for name, r in results.items():
        print(
            f"{name:34} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:8d} "
            f"{r['rps'] / trivial:9.0%}"
        )
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    failed = sum(v for k, v in statuses.items() if k != 201)
    print(
        f"{'quick pay @ half rate':34} {achieved:9.0f} {p50:8.2f} {p99:8.2f} {failed:8d} {'(open loop)':>10}"
    )
    print(f"mean latency at half rate: {statistics.mean(latencies):.2f} ms over {len(latencies)} requests")
    books = books_after()
    wrk_run = results[f"quick pay, {len(ids)} accounts"]
    sent_ok = int(wrk_run["requests"] - wrk_run["errors"]) + statuses.get(201, 0)
    in_flight = args.connections  # wrk stops counting with requests in flight; the server completes them
    consistent = sent_ok <= books["sales"] <= sent_ok + in_flight
    print(
        f"books: {books['sales']} sales for {sent_ok} 201s counted by the clients (+ at most {in_flight} in "
        f"flight when wrk stopped): {'consistent' if consistent else 'INCONSISTENT'}; "
        f"{books['tokens']} tokens, "
        f"{books['repeated_counts']} repeated token counts per meter; vending ledger check: "
        f"{books['ledger_mismatches']} mismatches"
    )
    ratio = wrk_run["rps"] / trivial
    print(f"quick pay / trivial endpoint: {ratio:.0%} (goal ≥ 20 %)")
    if args.json:
        half = {"rps": achieved, "p50": p50, "p99": p99}
        print(json.dumps({"results": results, "half_rate": half, "books": books, "ratio": ratio}))
    clean = books["repeated_counts"] == 0 and books["ledger_mismatches"] == 0
    return 0 if clean and consistent else 1


if __name__ == "__main__":
    sys.exit(main())
