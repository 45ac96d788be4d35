"""Wallet debit benchmark over HTTP on PostgreSQL.

Serves the app with granian's WSGI interface (2 workers), then measures with wrk:
  - GET /health/live            the trivial JSON endpoint (no database), the baseline
  - GET /health                 a JSON endpoint with one database round trip
  - POST …/wallet/debits        one hot wallet (every request contends for one row lock)
  - POST …/wallet/debits        200 wallets, each request with its own Idempotency-Key
and then drives the 200-wallet debit at half its measured throughput with an open-loop generator to read
p50/p99 latency at that rate. Finally it proves the ledger: one transaction per 201, `ledger check` clean.

    make bench                  # or: .venv/bin/python bench/wallet.py [--seconds 10] [--connections 16]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/juiced_bench; the
database is dropped and created) and `wrk` (Debian package; installed by `make bench` when missing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/juiced_bench"

WRK_SCRIPT = """
local ids = {%(ids)s}
local token = "%(token)s"
local run = "%(run)s"
local n = 0
local thread_id = 0
local counter = 0
setup = function(thread) thread:set("tid", counter); counter = counter + 1 end
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  local body = '{"amount": 1, "description": "bench debit"}'
  local headers = {}
  headers["Authorization"] = "Bearer " .. token
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "bench-" .. run .. "-" .. tid .. "-" .. n
  return wrk.format("POST", "/api/manage/customers/" .. id .. "/wallet/debits", headers, body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(url: str) -> None:
    """Drop and create the bench database at `url`, point Django at it and migrate (every benchmark)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "juiced.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare_database(url: str, wallets: int) -> tuple[str, list[str], str]:
    """Recreate the bench database, migrate, and make a tenant, a token, one hot and N funded wallets."""
    fresh_database(url)
    from juiced.customers.services import customer_create
    from juiced.tenants.services import api_token_create, tenant_create
    from juiced.wallets.models import TransactionEvent
    from juiced.wallets.services import wallet_credit

    tenant, admin = tenant_create(
        slug="bench", name="Bench Leads", admin_email="admin@bench.test", admin_password="bench-password-1"
    )
    _token, raw = api_token_create(tenant=tenant, user=admin, name="bench")
    ids = []
    for i in range(wallets + 1):
        customer = customer_create(
            tenant=tenant, actor=admin, data={"name": f"Bench Buyer {i:03d}", "email": f"buyer{i}@bench.test"}
        )
        wallet_credit(
            wallet=customer.wallet,
            amount=50_000_000_00,
            event=TransactionEvent.FUNDS_ADDED,
            description="bench funding",
            actor=admin,
        )
        ids.append(customer.public_id)
    hot = ids.pop(0)
    from django.db import connections

    connections.close_all()
    return raw, ids, hot


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DEBUG="false",
        JUICED_VAR_DIR=tempfile.mkdtemp(prefix="juiced-bench-"),
        DJANGO_SETTINGS_MODULE="juiced.config.settings",
        LOG_LEVEL="ERROR",
    )
    cmd = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--workers",
        str(workers),
        "--blocking-threads",
        os.environ.get("BENCH_THREADS", "1"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "juiced.config.wsgi:application",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not come up")


def parse_wrk(output: str) -> dict[str, float]:
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.M)
        result[f"p{pct}"] = ms(m.group(1)) if m else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = int(bad.group(1)) if bad else 0
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    return result


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads), from /proc; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


class CpuMeter:
    """CPU seconds spent by the server (granian and its workers) and by PostgreSQL's backends for the bench
    database while a scenario runs: where the time per request goes (Linux /proc; empty elsewhere)."""

    def __init__(self, server_pid: int | None, database: str):
        self.server_pid, self.database = server_pid, database

    def _pids(self) -> tuple[list[int], list[int]]:
        if self.server_pid is None or not Path("/proc").is_dir():
            return [], []
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.database],
            ).fetchall()
        return _descendants(self.server_pid), [row[0] for row in rows]

    def snapshot(self) -> dict[int, tuple[str, float]]:
        server, backends = self._pids()
        snap = {pid: ("server", _cpu_seconds(pid)) for pid in server}
        snap.update({pid: ("postgres", _cpu_seconds(pid)) for pid in backends})
        return snap

    @staticmethod
    def spent(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
        totals = {"server": 0.0, "postgres": 0.0}
        for pid, (kind, seconds) in after.items():
            totals[kind] += seconds - before.get(pid, (kind, 0.0))[1]
        return totals


CPU: CpuMeter = CpuMeter(None, "")
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def run_wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        if script:
            f.write(script)
            cmd[1:1] = ["-s", f.name]
    before = CPU.snapshot()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    result = parse_wrk(out)
    spent = CPU.spent(before, CPU.snapshot())
    requests = max(result["requests"], 1)
    result["server_cpu_ms"] = spent["server"] * 1000 / requests
    result["postgres_cpu_ms"] = spent["postgres"] * 1000 / requests
    return result


async def open_loop(port: int, path: str, token: str, ids: list[str], rate: float, seconds: float):
    """Debit requests at a fixed rate (see send_at_rate)."""

    def debit(n: int) -> bytes:
        body = b'{"amount": 1, "description": "bench debit"}'
        return (
            f"POST {path.format(id=ids[n % len(ids)])} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: open-{n}-{time.time_ns()}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    return await send_at_rate(port, debit, rate, seconds)


async def send_at_rate(port: int, make_request, rate: float, seconds: float):
    """Send `make_request(n)` at a fixed rate, whatever the responses do, over keep-alive connections.

    Returns (latencies in ms measured from each request's scheduled time, {status: count}, achieved rate).
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(32):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))

    async def one(n: int, scheduled: float):
        reader, writer = await pool.get()
        writer.write(make_request(n))
        await writer.drain()
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        latencies.append((time.perf_counter() - scheduled) * 1000)
        code = int(status_line.split()[1])
        statuses[code] = statuses.get(code, 0) + 1
        pool.put_nowait((reader, writer))

    start = time.perf_counter()
    tasks = []
    total = int(rate * seconds)
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, scheduled)))
    await asyncio.gather(*tasks)
    return latencies, statuses, total / (time.perf_counter() - start)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def ledger_after(url: str) -> tuple[int, int, int]:
    from django.db import connections

    from juiced.wallets.models import Transaction, TransactionEvent
    from juiced.wallets.selectors import ledger_check

    connections.close_all()
    checked, mismatches = ledger_check()
    debits = Transaction.objects.filter(event=TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT).count()
    return checked, len(mismatches), debits


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--wallets", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does it)")
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    print(f"preparing {url} with {args.wallets} wallets + 1 hot wallet…", flush=True)
    token, ids, hot = prepare_database(url, args.wallets)
    port = free_port()
    server = start_server(url, port, args.workers)
    global CPU, ADMIN_URL
    ADMIN_URL = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    CPU = CpuMeter(server.pid, url.rsplit("/", 1)[1])
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, float]] = {}
    try:
        run_wrk(f"{base}/health/live", 2, args.connections)  # warm-up
        results["trivial GET /health/live"] = run_wrk(f"{base}/health/live", args.seconds, args.connections)
        results["GET /health (1 query)"] = run_wrk(f"{base}/health", args.seconds, args.connections)
        quoted = lambda xs: ", ".join(f'"{x}"' for x in xs)  # noqa: E731
        results["debit, 1 hot wallet"] = run_wrk(
            base + "/",
            args.seconds,
            args.connections,
            WRK_SCRIPT % {"ids": quoted([hot]), "token": token, "run": "hot"},
        )
        results[f"debit, {len(ids)} wallets"] = run_wrk(
            base + "/",
            args.seconds,
            args.connections,
            WRK_SCRIPT % {"ids": quoted(ids), "token": token, "run": "many"},
        )
        rate = results[f"debit, {len(ids)} wallets"]["rps"] / 2
        latencies, statuses, achieved = asyncio.run(
            open_loop(port, "/api/manage/customers/{id}/wallet/debits", token, ids, rate, args.seconds)
        )
    finally:
        server.terminate()
        server.wait(timeout=15)

    trivial = results["trivial GET /health/live"]["rps"]
    print()
    print(
        f"{'scenario':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs trivial':>10} "
        f"{'server CPU ms/req':>18} {'PostgreSQL CPU ms/req':>22}"
    )
    for name, r in results.items():
        print(
            f"{name:34} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:8d} "
            f"{r['rps'] / trivial:9.0%} {r['server_cpu_ms']:18.2f} {r['postgres_cpu_ms']:22.2f}"
        )
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(
        f"{'debit, 200 wallets @ half rate':34} {achieved:9.0f} {p50:8.2f} {p99:8.2f} "
        f"{sum(v for k, v in statuses.items() if k != 201):8d} {'(open loop)':>10}"
    )
    print(f"mean latency at half rate: {statistics.mean(latencies):.2f} ms over {len(latencies)} requests")
    checked, bad, debits = ledger_after(url)
    sent_ok = sum(int(r["requests"] - r["errors"]) for k, r in results.items() if k.startswith("debit"))
    sent_ok += statuses.get(201, 0)
    # wrk stops counting with up to `connections` requests in flight per debit scenario: the server still
    # completes them, so the ledger may hold up to that many more debits than wrk reported.
    in_flight = 2 * args.connections
    consistent = sent_ok <= debits <= sent_ok + in_flight
    print(
        f"ledger: {checked} wallets checked, {bad} mismatches; {debits} debit transactions for "
        f"{sent_ok} successful debit requests counted by the clients (+ at most {in_flight} in flight "
        f"when wrk stopped): {'consistent' if consistent else 'INCONSISTENT'}"
    )
    if args.json:
        print(json.dumps({"results": results, "half_rate": {"rps": achieved, "p50": p50, "p99": p99}}))
    return 0 if bad == 0 and consistent else 1


if __name__ == "__main__":
    sys.exit(main())
