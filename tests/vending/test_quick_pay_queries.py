"""Quick Pay's cost on PostgreSQL, pinned: the statements of one sale over the API, and the rules its
prepared statements must keep (the month's energy read after the account lock, another tenant's id a 404);
and the one job that sends a sale's receipts.

The numbers are ceilings: a change that adds a statement to every sale fails here and must say why.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from juiced.core.tenancy import staff_access_for_tenant
from juiced.vending.arrears import debt_add, wallet_topup
from juiced.vending.batches import batch_close
from juiced.vending.ledger import vending_ledger_check
from juiced.vending.models import AccountEntry, Batch, Sale, Token, VendingMessage
from juiced.vending.sales import quick_pay
from juiced.vending.tasks import send_vending_messages
from tests.concurrency import run_at_once
from tests.notifications import conftest as channel_servers
from tests.vending.test_api import vend
from tests.vending.test_concurrency import tills  # noqa: F401  (the eight cashiers fixture)

pytestmark = pytest.mark.django_db(transaction=True)
postgres = pytest.mark.postgres

twilio_server = channel_servers.twilio_server
sms_tenant = channel_servers.sms_tenant

# auth token, BEGIN, account+meter lock, batch lock (+ month's energy, key), all writes, COMMIT, receipt job
CASH_SALE_STATEMENTS = 7
# the same plus the account's debts locked (only an account with arrears has any)
ARREARS_SALE_STATEMENTS = 8

CASH = {"amount": 1_000, "payment_kind": "cash", "tendered": 2_000}  # 50 kWh: one token


def _pay(client, account, body, key):
    return vend(client, "post", f"/accounts/{account.public_id}/quick-pay", body, **{"Idempotency-Key": key})


def _statements(context: CaptureQueriesContext) -> str:
    return "\n".join(f"{n}. {query['sql'][:160]}" for n, query in enumerate(context.captured_queries, 1))


@postgres
def test_one_cash_quick_pay_takes_at_most_seven_statements(api_client, cashier, tenant_a, make_account):
    client = api_client(cashier, tenant_a)
    account = make_account(tenant_a)
    assert _pay(client, account, CASH, "warm-up").status_code == 201  # opens the till's batch
    jobs = DBTaskResult.objects.count()
    with CaptureQueriesContext(connection) as context:
        response = _pay(client, account, CASH, "second")
    assert response.status_code == 201, response.content
    assert len(context.captured_queries) <= CASH_SALE_STATEMENTS, _statements(context)
    sale = Sale.objects.get(public_id=response.json()["id"])
    (token,) = Token.objects.filter(sale=sale)
    assert response.json()["tokens"][0]["token"] == token.token and token.count == 4
    assert VendingMessage.objects.filter(sale=sale).count() == 1  # e-mail (no SMS configured)
    assert DBTaskResult.objects.count() == jobs + 1  # queued after commit
    assert vending_ledger_check(tenant_a) == []


@postgres
def test_a_wallet_sale_recovering_arrears_takes_one_statement_more(
    api_client, cashier, supervisor, tenant_a, make_account
):
    account = make_account(tenant_a)
    boss = staff_access_for_tenant(supervisor, tenant_a)
    debt_add(access=boss, account=account, amount=500, reason="Old bill", recovery_bp=1_000)
    debt_add(access=boss, account=account, amount=300, reason="Meter damage", recovery_bp=1_000)
    wallet_topup(
        access=staff_access_for_tenant(cashier, tenant_a), account=account, amount=10_000, payment_kind="cash"
    )
    client = api_client(cashier, tenant_a)
    assert _pay(client, account, {"amount": 1_000, "payment_kind": "cash"}, "warm-up").status_code == 201
    with CaptureQueriesContext(connection) as context:
        response = _pay(client, account, {"amount": 6_000, "payment_kind": "wallet"}, "wallet")
    assert response.status_code == 201, response.content
    assert len(context.captured_queries) <= ARREARS_SALE_STATEMENTS, _statements(context)
    sale = Sale.objects.get(public_id=response.json()["id"])
    assert sale.arrears_share == 600
    # the warm-up sale recovered 100 of the first debt; this one the first debt's 400, then 200 of the second
    entries = sorted(AccountEntry.objects.filter(sale=sale).values_list("kind", "amount"))
    assert entries == [("arrears_recovered", -400), ("arrears_recovered", -200), ("wallet_sale", -6_000)]
    account.refresh_from_db()
    assert (account.wallet_balance, account.arrears_balance) == (4_000, 800 - 100 - 600)
    assert vending_ledger_check(tenant_a) == []


@postgres
def test_another_tenants_account_id_is_404_and_sells_nothing(
    api_client, cashier, tenant_a, tenant_b, make_account
):
    theirs = make_account(tenant_b)
    response = _pay(api_client(cashier, tenant_a), theirs, CASH, "theirs")
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert not Sale.objects.exists() and not Token.objects.exists()


@postgres
def test_sales_at_once_on_a_block_tariff_each_see_the_months_earlier_energy(
    tenant_a,
    make_account,
    make_tariff,
    tills,  # noqa: F811
):
    # 10 kWh at 10 ¢, then 40 ¢: only the month's first sale gets the cheap block. A month's energy read in a
    # snapshot taken before the account lock was granted would let several sales buy the first block.
    tariff = make_tariff(
        tenant_a,
        kind="blocks",
        flat_rate=None,
        blocks=[{"up_to_kwh": 10, "rate": 10_000}, {"up_to_kwh": None, "rate": 40_000}],
    )
    account = make_account(tenant_a, tariff=tariff)
    calls = [
        (lambda access=access: quick_pay(access=access, account=account, amount=100, payment_kind="cash"))
        for access in tills
    ]  # fmt: skip
    results = run_at_once(calls)
    assert all(isinstance(result, tuple) for result in results), results
    energy = sorted(Sale.objects.filter(account=account).values_list("energy_wh", flat=True))
    assert energy == [2_500] * (len(tills) - 1) + [10_000]
    assert vending_ledger_check(tenant_a) == []


def test_one_job_sends_a_sales_receipts_and_its_retry_only_the_one_that_failed(
    sms_tenant, twilio_server, make_account, cashier, run_tasks
):
    account = make_account(sms_tenant, phone="+15555550142")
    twilio_server.status = 400  # Twilio refuses the SMS; the e-mail goes
    sale, _ = quick_pay(
        access=staff_access_for_tenant(cashier, sms_tenant),
        account=account,
        amount=1_000,
        payment_kind="cash",
    )
    sms, email = VendingMessage.objects.filter(sale=sale).order_by("pk")
    assert (sms.channel, email.channel) == ("sms", "email")
    assert DBTaskResult.objects.filter(task_path__endswith="send_vending_messages").count() == 1
    run_tasks()
    sms.refresh_from_db()
    email.refresh_from_db()
    assert (sms.status, email.status) == ("failed", "sent") and len(mail.outbox) == 1
    twilio_server.status = 201
    outcome = send_vending_messages.call(message_ids=[sms.pk, email.pk], tenant_id=sms_tenant.pk)
    assert outcome == "sent, already sent"
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("sent", 2) and len(mail.outbox) == 1
    assert len(twilio_server.requests) == 2


@postgres
def test_the_prepared_look_ups_use_their_indexes_in_a_generic_plan(tenant_a):
    # psycopg prepares the statement after two uses, and PostgreSQL may then plan it once for any
    # parameters: the key must still find the partial unique index, the open batch its partial index.
    from juiced.vending.sales import _batch_sql

    sql = _batch_sql(True)
    for n in range(1, sql.count("%s") + 1):
        sql = sql.replace("%s", f"${n}", 1)
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE quick_pay_batch AS {sql}")
        cursor.execute("EXPLAIN EXECUTE quick_pay_batch(1, now(), now(), 1, 'key', 1)")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE quick_pay_batch")
        cursor.execute("RESET plan_cache_mode")
    assert "vending_sale_idempotency_unique" in plan, plan
    assert "vending_one_open_batch" in plan, plan
    assert "Seq Scan" not in plan, plan  # the month's energy by an index on the account too


def test_a_sale_without_a_token_and_one_with_three_write_every_row(
    api_client, cashier, tenant_a, make_account, make_meter
):
    # Both writers (one statement on PostgreSQL, the ORM on SQLite) with no token row and with several.
    client = api_client(cashier, tenant_a)
    whole_kwh = make_account(tenant_a, meter=make_meter(tenant_a, energy_step_wh=1_000))
    response = _pay(client, whole_kwh, {"amount": 10, "payment_kind": "cash"}, "small")  # 0.5 kWh
    assert response.status_code == 201, response.content
    assert response.json()["tokens"] == [] and response.json()["carry_out_mc"] == 10_000
    whole_kwh.meter.refresh_from_db()
    assert whole_kwh.meter.token_count == 1 and not Token.objects.exists()
    assert "No token" in VendingMessage.objects.get(sale__public_id=response.json()["id"]).body

    account = make_account(tenant_a)
    response = _pay(client, account, {"amount": 5_000, "payment_kind": "cash"}, "big")  # 250 kWh
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(t["value"], t["count"]) for t in body["tokens"]] == [(995, 2), (995, 4), (510, 6)]
    stored = Token.objects.filter(sale__public_id=body["id"]).order_by("count")
    assert [t.public_id for t in stored] == [t["id"] for t in body["tokens"]]
    account.meter.refresh_from_db()
    assert account.meter.token_count == 6
    (receipt,) = VendingMessage.objects.filter(sale__public_id=body["id"])
    assert receipt.body.count("Token ") == 3
    account.refresh_from_db()
    assert account.last_purchase_at is not None and account.carry_mc == body["carry_out_mc"]
    assert vending_ledger_check(tenant_a) == []


def test_a_replay_after_the_till_closed_its_batch_opens_no_batch(tenant_a, make_account, cashier):
    till = staff_access_for_tenant(cashier, tenant_a)
    account = make_account(tenant_a)
    body = {"amount": 1_000, "payment_kind": "cash", "idempotency_key": "once"}
    sale, _ = quick_pay(access=till, account=account, **body)
    batch_close(access=till, batch=sale.batch)
    again, replayed = quick_pay(access=till, account=account, **body)
    assert replayed and again.pk == sale.pk
    assert Batch.objects.filter(vendor=sale.vendor_id).count() == 1 and Sale.objects.count() == 1
