"""Webhook delivery benchmark on PostgreSQL, with real `juiced worker` processes and a local receiver.

1. Throughput: N events are committed at once (N deliveries, N queued jobs); W workers start and drain
   them into a local HTTP receiver (http.server, threads, answers 200). Prints deliveries/s.
2. Steady rate: events committed one by one at R/s for S seconds while the workers run; the receiver
   notes each arrival, and the delay from commit to receipt gives p50/p99 (for each poll interval).

Every request is signed and checked by the receiver (HMAC-SHA256), so signing is in the measured path.

    .venv/bin/python bench/webhooks.py [--events 2000] [--workers 2] [--rate 20] [--seconds 20]

Needs PostgreSQL (BENCH_WEBHOOKS_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/juiced_bench_webhooks;
the database is dropped and created).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wallet import fresh_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/juiced_bench_webhooks"


class Receiver:
    """Records the arrival time of each event id; counts bad signatures."""

    def __init__(self, secret: str):
        from juiced.webhooks.signing import signature_verify

        self.arrivals: dict[str, float] = {}
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.time()
                ok = signature_verify(
                    secret=secret, header=self.headers.get("Juiced-Signature", ""), body=body
                )
                with receiver.lock:
                    receiver.arrivals.setdefault(json.loads(body)["id"], at)
                    receiver.bad_signatures += 0 if ok else 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/juiced"

    def count(self, ids: set[str]) -> int:
        with self.lock:
            return sum(1 for i in ids if i in self.arrivals)


def start_workers(url: str, count: int, interval: float) -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "ERROR"}
    cmd = [str(ROOT / ".venv/bin/juiced"), "worker", "--interval", str(interval)]
    return [
        subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=30)


def emit(tenant, count: int) -> list[tuple[str, float]]:
    """Commit `count` lead.created events in one transaction; (event id, commit time) for each."""
    from django.db import transaction

    from juiced.webhooks.services import webhook_emit

    with transaction.atomic():
        ids = [
            webhook_emit(tenant=tenant, event="lead.created", data={"n": n})[0].event_id for n in range(count)
        ]
    committed = time.time()
    return [(i, committed) for i in ids]


def wait_for(receiver: Receiver, ids: set[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while receiver.count(ids) < len(ids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--intervals", default="1.0,0.1", help="worker poll intervals for the steady phase")
    args = parser.parse_args()
    url = os.environ.get("BENCH_WEBHOOKS_DATABASE_URL", DEFAULT_URL)
    print(f"preparing {url}…", flush=True)
    fresh_database(url)

    from juiced.tenants.services import tenant_create
    from juiced.webhooks.services import webhook_create, webhook_settings_update, webhook_update

    tenant, admin = tenant_create(
        slug="bench", name="Bench", admin_email="bench@bench.test", admin_password="bench-password-1"
    )
    webhook_settings_update(tenant=tenant, actor=admin, allow_private_addresses=True)
    # The receiver needs the secret, which exists once the webhook does: create it, then point it there.
    endpoint, secret = webhook_create(
        tenant=tenant,
        actor=admin,
        data={"name": "bench", "url": "http://127.0.0.1:9/", "events": ["lead.created"]},
    )
    receiver = Receiver(secret)
    webhook_update(endpoint=endpoint, actor=admin, data={"url": receiver.url})

    rows: list[tuple[str, str, str, str]] = []

    # 1. throughput: a backlog drained by the workers
    backlog = emit(tenant, args.events)
    ids = {i for i, _ in backlog}
    started = time.time()
    workers = start_workers(url, args.workers, 0.1)
    try:
        done = wait_for(receiver, ids, timeout=600)
    finally:
        stop(workers)
    last = max(receiver.arrivals[i] for i in ids if i in receiver.arrivals)
    elapsed = last - started
    rate = receiver.count(ids) / elapsed
    rows.append((f"backlog of {args.events}, {args.workers} workers", f"{rate:,.0f}/s", "—", "—"))
    print(
        f"throughput: {receiver.count(ids)} deliveries in {elapsed:.1f} s (incl. worker start-up)", flush=True
    )
    if not done:
        print("not every delivery arrived", file=sys.stderr)

    # 2. steady rate: commit → receipt delay
    for interval in [float(x) for x in args.intervals.split(",")]:
        workers = start_workers(url, args.workers, interval)
        time.sleep(3)  # let the workers start and go idle
        sent: list[tuple[str, float]] = []
        try:
            period = 1 / args.rate
            next_at = time.monotonic()
            end = next_at + args.seconds
            while next_at < end:
                sent += emit(tenant, 1)
                next_at += period
                time.sleep(max(0.0, next_at - time.monotonic()))
            wait_for(receiver, {i for i, _ in sent}, timeout=60)
        finally:
            stop(workers)
        delays = [(receiver.arrivals[i] - t) * 1000 for i, t in sent if i in receiver.arrivals]
        rows.append(
            (
                f"steady {args.rate:g}/s for {args.seconds:g} s, poll {interval:g} s",
                f"{len(delays) / args.seconds:,.1f}/s",
                f"{percentile(delays, 50):,.0f}",
                f"{percentile(delays, 99):,.0f}",
            )
        )
        print(
            f"steady (poll {interval:g} s): {len(delays)}/{len(sent)} arrived, "
            f"mean {statistics.mean(delays):.0f} ms"
        )

    print()
    print(f"{'scenario':44} {'deliveries':>11} {'p50 ms':>8} {'p99 ms':>8}")
    for name, throughput, p50, p99 in rows:
        print(f"{name:44} {throughput:>11} {p50:>8} {p99:>8}")
    print(f"bad signatures at the receiver: {receiver.bad_signatures}")
    receiver.server.shutdown()
    return 0 if receiver.bad_signatures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
