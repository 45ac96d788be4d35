"""The `juiced` console command: serve, worker, migrate, demo, createtenant, token, ledger, tiers, manage.

Every sub-command calls the same services the web and API use; nothing here decides a business rule.
`main(argv)` returns the exit code so tests can call it in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "juiced.config.settings")
    import django

    django.setup()
    _ensure_data_folders()


def _ensure_data_folders() -> None:
    """The embedded SQLite database and collected static files live under VAR_DIR: create it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and str(database["NAME"]) not in ("", ":memory:"):
        if not str(database["NAME"]).startswith("file:"):
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _print_fields(message: str, fields: dict[str, list[str]]) -> None:
    print(message, file=sys.stderr)
    for field, messages in fields.items():
        for text in messages:
            print(f"  --{field.replace('_', '-')}: {text}", file=sys.stderr)


# --- serve --------------------------------------------------------------------------------------------


def _granian_command(args: argparse.Namespace) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--workers",
        str(args.workers),
        "--blocking-threads",
        "1",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--no-ws",
        "juiced.config.wsgi:application",
    ]


def _worker_command() -> list[str]:
    return [sys.executable, "-m", "juiced.config.cli", "worker"]


def _print_welcome(host: str, port: int) -> None:
    from juiced.config.demo import DEMO_TENANT_SLUG, demo_logins

    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = f"http://{shown_host}:{port}"
    print(f"Juiced is starting on {base}  (health: {base}/health, API docs: {base}/api/docs)")
    logins = demo_logins()
    if logins:
        print(f"  Dashboard: {base}/manage/{DEMO_TENANT_SLUG}/customers/")
        print(f"  Portal:    {base}/app/")
        for label, email, password in logins:
            print(f"  {label:<18} {email} / {password}")
    sys.stdout.flush()


def _stop(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _start_fake_stripe(args: argparse.Namespace) -> subprocess.Popen | None:
    """localstripe (a local fake Stripe, demo only) on 127.0.0.1:8420, posting signed events to the demo."""
    from juiced.config.demo import DEMO_TENANT_SLUG
    from juiced.payments.demo import FAKE_STRIPE_PORT, fake_stripe_register_webhook

    binary = Path(sys.executable).with_name("localstripe")
    process = subprocess.Popen(
        [str(binary), "--port", str(FAKE_STRIPE_PORT)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    server_url = f"http://{shown_host}:{args.port}"
    for _attempt in range(50):
        try:
            fake_stripe_register_webhook(server_url=server_url, tenant_slug=DEMO_TENANT_SLUG)
            print(f"  Fake Stripe (localstripe) on 127.0.0.1:{FAKE_STRIPE_PORT}: card 4242 4242 4242 4242")
            return process
        except OSError:
            time.sleep(0.2)
    print("juiced: the fake Stripe did not start; card payments will fail.", file=sys.stderr)
    return process


def cmd_serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    _print_welcome(args.host, args.port)
    server_command = _granian_command(args)
    if not args.with_worker and not args.with_fake_stripe:
        # Nothing to supervise: become granian, so signals reach it directly.
        os.execv(server_command[0], server_command)

    stopping = False

    def request_stop(signum, _frame):
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    fake_stripe = _start_fake_stripe(args) if args.with_fake_stripe else None
    worker = subprocess.Popen(_worker_command()) if args.with_worker else None
    server = subprocess.Popen(server_command)
    exit_code = EXIT_OK
    try:
        while not stopping:
            code = server.poll()
            if code is not None:
                exit_code = code
                break
            if worker is not None and worker.poll() is not None:
                # A crashed worker should not take the site down: note it and start another.
                print(
                    f"juiced: the background worker exited ({worker.returncode}); restarting it.",
                    file=sys.stderr,
                )
                time.sleep(1)
                worker = subprocess.Popen(_worker_command())
            time.sleep(0.2)
    finally:
        _stop(server)
        _stop(worker)
        _stop(fake_stripe)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return exit_code


# --- worker -------------------------------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from juiced.core.jobs import SchedulerThread, scheduled_jobs_discover, scheduler_tick
    from juiced.core.tasks import stale_tasks_reclaim

    reclaimed = stale_tasks_reclaim(older_than_minutes=args.stale_minutes)
    if reclaimed:
        print(f"Marked {reclaimed} task(s) left RUNNING by a stopped worker as FAILED.", file=sys.stderr)
    scheduled_jobs_discover()
    options = ["--no-reload", "--queue-name", args.queue_name, "--interval", str(args.interval)]
    scheduler = None
    if args.batch:
        options.append("--batch")
        if not args.no_scheduler:
            scheduler_tick()  # a batch run (e.g. from cron) also queues the scheduled jobs that are due
    elif not args.no_scheduler:
        scheduler = SchedulerThread(tick_seconds=args.schedule_interval)
        scheduler.start()
    try:
        call_command("db_worker", *options)
    finally:
        if scheduler is not None:
            scheduler.stop()
    return EXIT_OK


# --- migrate, manage ----------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return EXIT_OK


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["juiced manage", *args.django_args])
    return EXIT_OK


# --- demo, tenants, tokens ----------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from juiced.config.demo import demo_load, demo_summary

    console = _stderr_console()
    result = demo_load(console=console, with_token=args.json)
    summary = demo_summary(result)
    if args.json:
        print(json.dumps(summary))
        return EXIT_OK
    verb = "Loaded" if result.created else "Already loaded:"
    print(f"{verb} the demo tenant “{result.tenant.name}” ({result.customer_count} customers).")
    print(f"  Dashboard: {summary['dashboard_url']}")
    print(f"  Portal:    {summary['portal_url']}")
    from juiced.config.demo import demo_logins

    for label, email, password in demo_logins():
        print(f"  {label:<18} {email} / {password}")
    return EXIT_OK


def cmd_createtenant(args: argparse.Namespace) -> int:
    from juiced.core.errors import ValidationFailed
    from juiced.tenants.services import tenant_create

    try:
        tenant, admin = tenant_create(
            slug=args.slug, name=args.name, admin_email=args.admin_email, admin_password=args.admin_password
        )
    except ValidationFailed as exc:
        _print_fields(exc.message, exc.fields)
        return EXIT_USAGE
    print(f"Created tenant {tenant.slug} ({tenant.name}); Admin: {admin.email}")
    return EXIT_OK


def cmd_token_create(args: argparse.Namespace) -> int:
    from juiced.core.errors import DomainError
    from juiced.tenants.models import Tenant, User
    from juiced.tenants.services import api_token_create

    tenant = Tenant.objects.filter(slug=args.tenant.strip().lower()).first()
    if tenant is None:
        print(f"No tenant with the slug “{args.tenant}”.", file=sys.stderr)
        return EXIT_USAGE
    user = User.objects.filter(email=args.email.strip().lower()).first()
    if user is None:
        print(f"No user with the e-mail “{args.email}”.", file=sys.stderr)
        return EXIT_USAGE
    try:
        token, raw = api_token_create(tenant=tenant, user=user, name=args.name)
    except DomainError as exc:
        _print_fields(exc.message, exc.fields)
        return EXIT_USAGE
    print(f"Created API token {token.public_id} “{token.name}” for {user.email} at {tenant.slug}.")
    print("It is shown once; store it now:")
    print(raw)
    return EXIT_OK


# --- ledger -------------------------------------------------------------------------------------------

LEDGER_CHUNK = 1000


def cmd_ledger_check(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from juiced.wallets.models import Wallet
    from juiced.wallets.selectors import ledger_check

    wallet_ids = list(Wallet.objects.order_by("pk").values_list("pk", flat=True))
    chunks = [wallet_ids[i : i + LEDGER_CHUNK] for i in range(0, len(wallet_ids), LEDGER_CHUNK)]
    checked = 0
    mismatches = []
    with Progress(console=_stderr_console(), transient=True, disable=len(chunks) < 3) as progress:
        bar = progress.add_task("Checking wallets", total=len(wallet_ids))
        for chunk in chunks:
            # A chunk by primary-key range keeps each query bounded and lets the bar move.
            n, found = ledger_check(wallets=Wallet.objects.filter(pk__gte=chunk[0], pk__lte=chunk[-1]))
            checked += n
            mismatches.extend(found)
            progress.advance(bar, len(chunk))
    from juiced.vending.ledger import vending_ledger_check

    vending_problems = vending_ledger_check()
    for problem in vending_problems:
        print(f"  vending: {problem}")
    if not mismatches:
        print(f"Checked {checked} wallets: every cached balance and hold agrees with its transactions.")
        return EXIT_FAILED if vending_problems else EXIT_OK
    print(f"Checked {checked} wallets: {len(mismatches)} disagree with their transactions:")
    for mismatch in mismatches:
        print(f"  {mismatch.describe()}")
    return EXIT_FAILED


# --- return tiers -------------------------------------------------------------------------------------


def cmd_tiers_recalculate(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from juiced.core.errors import Conflict
    from juiced.returns.recalc import recalculation_request, recalculation_run
    from juiced.tenants.models import Tenant

    tenants = Tenant.objects.order_by("slug")
    if args.tenant:
        tenants = tenants.filter(slug=args.tenant.strip().lower())
        if not tenants.exists():
            print(f"No tenant with the slug “{args.tenant}”.", file=sys.stderr)
            return EXIT_USAGE
    exit_code = EXIT_OK
    for tenant in tenants:
        try:
            run = recalculation_request(tenant=tenant, actor=None, in_background=False)
        except Conflict as exc:
            print(f"{tenant.slug}: {exc.message}", file=sys.stderr)
            exit_code = EXIT_FAILED
            continue
        with Progress(console=_stderr_console(), transient=True) as progress:
            bar = progress.add_task(f"Recalculating {tenant.slug}", total=run.total or None)

            def advance(processed: int, total: int, bar=bar, progress=progress) -> None:
                progress.update(bar, completed=processed, total=total)

            try:
                done = recalculation_run(recalculation_id=run.pk, progress=advance)
            except Exception as exc:  # the run is marked failed with the error; go on with the next tenant
                print(f"{tenant.slug}: recalculation failed: {exc}", file=sys.stderr)
                exit_code = EXIT_FAILED
                continue
        if done is not None:
            print(f"{tenant.slug}: {done.processed} customers recalculated, {done.changed} changed tier.")
    return exit_code


# --- parser -------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="juiced", description="Run and operate a Juiced installation.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="serve the app with granian (WSGI); collects static files first"
    )
    serve.add_argument("--host", default=os.environ.get("JUICED_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("JUICED_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("JUICED_WORKERS", "2")))
    serve.add_argument("--with-worker", action="store_true", help="also run the background worker")
    serve.add_argument(
        "--with-fake-stripe", action="store_true", help="demo only: run localstripe (a fake Stripe) on :8420"
    )
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run background jobs (django-tasks database worker)")
    worker.add_argument("--queue-name", default="*", help="queues to process, comma-separated ('*': all)")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
    worker.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    worker.add_argument(
        "--stale-minutes", type=int, default=30, help="mark tasks RUNNING longer than this as FAILED at start"
    )
    worker.add_argument(
        "--schedule-interval", type=float, default=5.0, help="seconds between checks for due scheduled jobs"
    )
    worker.add_argument(
        "--no-scheduler", action="store_true", help="do not queue scheduled jobs from this worker"
    )
    worker.set_defaults(handler=cmd_worker)

    migrate = commands.add_parser("migrate", help="create or update the database schema")
    migrate.add_argument("--verbosity", type=int, default=1)
    migrate.set_defaults(handler=cmd_migrate)

    manage = commands.add_parser("manage", help="run any Django management command", add_help=False)
    manage.add_argument("django_args", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)

    demo = commands.add_parser("demo", help="load the demo tenant (idempotent)")
    demo.add_argument("--json", action="store_true", help="print the URLs, logins and an API token as JSON")
    demo.set_defaults(handler=cmd_demo)

    createtenant = commands.add_parser("createtenant", help="create a tenant and its first Admin")
    createtenant.add_argument("--slug", required=True)
    createtenant.add_argument("--name", required=True)
    createtenant.add_argument("--admin-email", required=True)
    createtenant.add_argument("--admin-password", required=True)
    createtenant.set_defaults(handler=cmd_createtenant)

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    token_create = token_commands.add_parser(
        "create", help="create a bearer token (printed on the last line)"
    )
    token_create.add_argument("--tenant", required=True, help="tenant slug")
    token_create.add_argument("--email", required=True, help="a staff user's e-mail")
    token_create.add_argument("--name", default="cli")
    token_create.set_defaults(handler=cmd_token_create)

    ledger = commands.add_parser("ledger", help="wallet ledger")
    ledger_commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    ledger_check_parser = ledger_commands.add_parser(
        "check", help="prove every wallet's cached balance equals the sum of its transactions"
    )
    ledger_check_parser.set_defaults(handler=cmd_ledger_check)

    tiers = commands.add_parser("tiers", help="return tiers")
    tiers_commands = tiers.add_subparsers(dest="tiers_command", required=True, metavar="ACTION")
    tiers_recalculate = tiers_commands.add_parser(
        "recalculate", help="recalculate every customer's return tier now (for cron)"
    )
    tiers_recalculate.add_argument("--tenant", default="", help="tenant slug (default: every tenant)")
    tiers_recalculate.set_defaults(handler=cmd_tiers_recalculate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        # Everything after `manage` belongs to Django, options like --help included.
        args = argparse.Namespace(handler=cmd_manage, django_args=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    _setup_django()
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
