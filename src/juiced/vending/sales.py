"""Quick Pay: quote, sell (one transaction: sale, tokens, ledger entries, batch, history, receipts), reverse.

Locks are taken in one order everywhere: the account row, then its meter row (the token count), then the
account's debts (by primary key), then the vendor's open batch. Side effects (receipt SMS and e-mail) are
VendingMessage rows sent by a job queued on commit.

A sale loads and locks its rows (`_lock_with_orm`, or on PostgreSQL `_lock_with_sql`: two prepared
statements), computes every row it writes in one place (`_sale_rows`: the checks, the quote, the tokens,
the entries, the history row, the receipts), then writes them (`_write_with_orm`, or on PostgreSQL one
prepared statement, `_write_in_one_statement`). Both paths apply the same rules; tests run on both.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import JSONField, Sum
from django.utils import timezone

from juiced.core import rawsql
from juiced.core.errors import (
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from juiced.core.idempotency import idempotency_key_clean, request_fingerprint
from juiced.core.ids import new_public_id
from juiced.core.money import format_money
from juiced.notifications.models import ChannelSettings
from juiced.tenants.models import Tenant
from juiced.vending import selectors
from juiced.vending.batches import (
    batch_guard_open,
    batch_lock_open,
    batch_open_for,
    cashier_limits_check,
    selling_vendor,
    selling_vendor_check,
)
from juiced.vending.history import account_record
from juiced.vending.messaging import kwh, messages_queue, receipt_rows, reversal_messages
from juiced.vending.models import (
    Account,
    AccountEntry,
    AccountEvent,
    AccountNote,
    AccountStatus,
    ArrearsDebt,
    Batch,
    Meter,
    PaymentKind,
    Pocket,
    Sale,
    Tariff,
    TariffVersion,
    Token,
    VendingCustomer,
    VendingMessage,
    Vendor,
)
from juiced.vending.tariffs import ENERGY_UNIT_WH, Quote, QuoteRequest, Terms, quote
from juiced.vending.tokens import lock_meter, sale_tokens_next

MAX_AMOUNT = 10**10  # 100 000 000.00: a typing-error guard, not a business limit
# The account columns a sale writes (cached balances, carry, last purchase).
_ACCOUNT_WRITES = ("arrears_balance", "wallet_balance", "carry_mc", "last_purchase_at", "updated_at")


def _positive_cents(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.on(field, "Enter an amount in cents (a whole number).")
    if value <= 0:
        raise ValidationFailed.on(field, "Enter an amount above zero.")
    if value > MAX_AMOUNT:
        raise ValidationFailed.on(field, "That amount is too large.")
    return value


# --- quoting ---------------------------------------------------------------------------------------------


def month_start(at: datetime.datetime) -> datetime.datetime:
    """The start of `at`'s calendar month in the current time zone (inclining blocks count from there)."""
    return timezone.localtime(at).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_energy_before(*, account: Account, at: datetime.datetime) -> int:
    """Wh the account bought this calendar month before `at` (sales minus reversals), for inclining blocks."""
    total = Sale.objects.filter(
        account=account, created_at__gte=month_start(at), created_at__lt=at
    ).aggregate(wh=Sum("energy_wh"))["wh"]
    return max(total or 0, 0)


def days_since_last_purchase(*, account: Account, at: datetime.datetime) -> int:
    """Whole days since the last purchase (or activation) for the per-day fixed charge; 0 the first time."""
    since = account.last_purchase_at or account.activated_at
    if since is None:
        return 0
    return max((timezone.localdate(at) - timezone.localdate(since)).days, 0)


def energy_unit_for(meter: Any) -> int:
    """Energy is rounded to 100 Wh, and to whole token steps when the meter's step is larger."""
    return math.lcm(ENERGY_UNIT_WH, meter.energy_step_wh)


def quote_request_for(
    *, account: Account, amount: int, at: datetime.datetime, month_wh_before: int | None = None
) -> tuple[QuoteRequest, Any]:
    """The calculator's input for `account` (month's energy looked up unless the caller has it)."""
    version = account.tariff.current_version
    if version is None:
        raise ValidationFailed.on("tariff", f"Tariff {account.tariff.name} has no terms yet.")
    req = QuoteRequest(
        amount=amount,
        terms=Terms.from_version(version),
        month_wh_before=(
            month_wh_before if month_wh_before is not None else month_energy_before(account=account, at=at)
        ),
        days_since_last=days_since_last_purchase(account=account, at=at),
        local_time=timezone.localtime(at).time(),
        arrears_balance=account.arrears_balance,
        arrears_recovery_bp=account.arrears_recovery_bp,
        carry_in_mc=account.carry_mc,
        discount_bp=account.customer.discount_bp,
        minimum_purchase=account.minimum_purchase,
        maximum_purchase=account.maximum_purchase,
        energy_unit_wh=energy_unit_for(account.meter),
    )
    return req, version


def quote_for_account(*, account: Account, amount: int, at: datetime.datetime | None = None) -> Quote:
    """What `amount` cents buy on this account at `at` (now by default): the tariff calculator."""
    _positive_cents(amount, "amount")
    req, _version = quote_request_for(account=account, amount=amount, at=at or timezone.now())
    return quote(req)


def _sellable_check(*, account: Account, meter: Any) -> None:
    """An inactive account or a meter with vending disabled cannot buy."""
    if account.status != AccountStatus.ACTIVE:
        raise ValidationFailed.on(
            "account", f"Account {account.number} is {account.get_status_display().lower()}: it cannot buy."
        )
    if not meter.vending_enabled:
        raise ValidationFailed.on(
            "meter", f"Vending is disabled on meter {meter.serial_number}: it cannot be sold to."
        )


def _wallet_check(*, account: Account, amount: int, payment_kind: str, currency: str) -> None:
    if payment_kind == PaymentKind.WALLET and account.wallet_balance < amount:
        raise InsufficientFunds(
            f"The wallet holds {format_money(account.wallet_balance, currency)}; "
            f"it does not cover {format_money(amount, currency)}."
        )


def quick_pay_quote(*, access: Any, account: Account, amount: int, payment_kind: str) -> Quote:
    """The confirmation's quote, refused up front (nothing locked, nothing written) with the error the
    sale itself would give: inactive account, disabled meter, the till's limits, a wallet that is short.
    `quick_pay` checks all of it again under its locks."""
    _sellable_check(account=account, meter=account.meter)
    cashier_limits_check(vendor=selling_vendor(access=access), amount=amount)
    result = quote_for_account(account=account, amount=amount)
    _wallet_check(account=account, amount=amount, payment_kind=payment_kind, currency=account.tenant.currency)
    return result


# --- selling ---------------------------------------------------------------------------------------------


def account_to_sell(access: Any, account_id: str) -> Account:
    """The account Quick Pay sells to, by public id or number within the access's tenant.

    On PostgreSQL an `acc_…` id is not looked up here: the sale's lock statement finds the row by it within
    the tenant (404 when there is none), so the account costs no statement of its own. Other keys, and
    SQLite, go through `selectors.account_to_sell`.
    """
    key = (account_id or "").strip()
    if key.startswith("acc_") and rawsql.available():
        return Account(public_id=key, tenant_id=access.tenant.pk)  # a reference: pk unknown until locked
    return selectors.account_to_sell(access, key)


def _lock_debts(account: Account) -> list[ArrearsDebt]:
    return list(ArrearsDebt.objects.select_for_update().filter(account=account, balance__gt=0).order_by("pk"))


def _entry(account: Account, **fields: Any) -> AccountEntry:
    return AccountEntry.objects.create(tenant_id=account.tenant_id, account=account, **fields)


def _validate_sale_request(
    *, access: Any, amount: int, payment_kind: str, tendered: int | None, note: str
) -> tuple[int, int]:
    _positive_cents(amount, "amount")
    if payment_kind not in PaymentKind.values:
        raise ValidationFailed.on(
            "payment_kind", "Choose cash, card, cheque, mobile money, wallet or free issue."
        )
    if payment_kind == PaymentKind.FREE_ISSUE:
        access.require("vending.free_issue")
        if not note.strip():
            raise ValidationFailed.on("note", "A note is required for a free or credit issue.")
    if payment_kind != PaymentKind.CASH:
        return 0, 0
    if tendered is None:
        return amount, 0
    if isinstance(tendered, bool) or not isinstance(tendered, int) or tendered > MAX_AMOUNT:
        raise ValidationFailed.on("tendered", "Enter the cash tendered in cents.")
    if tendered < amount:
        raise ValidationFailed.on("tendered", "The cash tendered is less than the amount.")
    return tendered, tendered - amount


@dataclass
class _Locked:
    """What a sale reads under its locks (account, meter, debts, the vendor's open batch, in that order)."""

    account: Account  # with tenant, customer, tariff → current version, and the locked meter loaded
    vendor: Vendor | None
    batch: Batch | None
    debts: list[ArrearsDebt]
    month_wh: int  # energy bought this month before `now`, read after the account lock
    now: datetime.datetime
    sms: bool | None  # the tenant has Twilio configured (None: look it up when needed)
    existing: Sale | None = None  # the first sale of a replayed Idempotency-Key


@dataclass
class _Rows:
    """Everything one sale writes, computed before any of it is written."""

    sale: Sale
    tokens: list[Token]
    meter: Meter  # with its new token count
    debt_balances: list[tuple[ArrearsDebt, int]]
    entries: list[AccountEntry]
    account_values: dict[str, Any]
    note: AccountNote | None
    event: AccountEvent
    messages: list[VendingMessage]


def quick_pay(
    *,
    access: Any,
    account: Account,
    amount: int,
    payment_kind: str,
    tendered: int | None = None,
    reference: str = "",
    note: str = "",
    idempotency_key: str | None = None,
) -> tuple[Sale, bool]:
    """Sell energy: (sale, replayed). One transaction; a replayed Idempotency-Key returns the first sale."""
    access.require("vending.sell")
    if account.tenant_id != access.tenant.pk:
        raise NotFound("No such account.")
    reference, note = (reference or "").strip()[:100], (note or "").strip()
    tendered_value, change_due = _validate_sale_request(
        access=access, amount=amount, payment_kind=payment_kind, tendered=tendered, note=note
    )
    key = idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint(
        "quick_pay",
        {
            "account": account.public_id,
            "amount": amount,
            "payment_kind": payment_kind,
            "tendered": tendered_value,
            "reference": reference,
            "note": note,
        },
    )
    fast = rawsql.available()
    vendor = None if fast else selling_vendor(access=access)
    try:
        with transaction.atomic():
            if fast:
                locked = _lock_with_sql(access=access, account=account, key=key)
            else:
                locked = _lock_with_orm(account_id=account.pk, vendor=vendor, key=key)
            if locked.existing is not None:
                return _replay(locked.existing, fingerprint), True
            rows = _sale_rows(
                access=access,
                locked=locked,
                amount=amount,
                payment_kind=payment_kind,
                tendered=tendered_value,
                change_due=change_due,
                reference=reference,
                note=note,
                key=key or "",
                fingerprint=fingerprint,
            )
            if fast:
                _write_in_one_statement(rows)
            else:
                _write_with_orm(rows)
            messages_queue(rows.messages)
        _remember_tokens(rows.sale, rows.tokens)
        return rows.sale, False
    except IntegrityError:
        existing = _first_sale_of_key(tenant_id=account.tenant_id, key=key)
        if existing is None:
            raise
        return _replay(existing, fingerprint), True


def _first_sale_of_key(*, tenant_id: int, key: str | None) -> Sale | None:
    if key is None:
        return None
    return Sale.objects.filter(tenant_id=tenant_id, idempotency_key=key).first()


def _lock_with_orm(*, account_id: int, vendor: Vendor | None, key: str | None) -> _Locked:
    """The locks and reads of a sale through the ORM (SQLite, where BEGIN IMMEDIATE serialises writers)."""
    account = (
        Account.objects.select_for_update(of=("self",))
        .select_related("tenant", "customer", "tariff__current_version")
        .get(pk=account_id)
    )
    existing = _first_sale_of_key(tenant_id=account.tenant_id, key=key)
    if existing is not None:
        return _Locked(account, vendor, None, [], 0, timezone.now(), None, existing=existing)
    account.meter = lock_meter(account.meter_id)
    debts = _lock_debts(account) if account.arrears_balance > 0 else []
    batch = batch_lock_open(vendor=vendor) if vendor is not None else None
    now = timezone.now()
    return _Locked(account, vendor, batch, debts, month_energy_before(account=account, at=now), now, None)


def _sale_rows(
    *,
    access: Any,
    locked: _Locked,
    amount: int,
    payment_kind: str,
    tendered: int,
    change_due: int,
    reference: str,
    note: str,
    key: str,
    fingerprint: str,
) -> _Rows:
    """A sale's rules over the locked rows: checks, the quote, tokens, ledger entries, history, receipts."""
    account, meter, tenant, now = locked.account, locked.account.meter, locked.account.tenant, locked.now
    _sellable_check(account=account, meter=meter)
    batch_guard_open(locked.batch)
    cashier_limits_check(vendor=locked.vendor, amount=amount)
    req, version = quote_request_for(account=account, amount=amount, at=now, month_wh_before=locked.month_wh)
    q = quote(req)
    _wallet_check(account=account, amount=amount, payment_kind=payment_kind, currency=tenant.currency)
    actor, label = access.user, _actor_label(access.user)
    sale = Sale(
        tenant=tenant,
        account=account,
        meter=meter,
        tariff_version=version,
        vendor=locked.vendor,
        batch=locked.batch,
        payment_kind=payment_kind,
        payment_reference=reference,
        amount=amount,
        tendered=tendered,
        change_due=change_due,
        arrears_share=q.arrears_share,
        fixed_charges=q.fixed_charges,
        tax=q.tax,
        discount=q.discount,
        energy_money=q.energy_money,
        energy_wh=q.energy_wh,
        carry_in_mc=q.carry_in_mc,
        carry_out_mc=q.carry_out_mc,
        breakdown={"lines": q.lines, "tariff_version": version.number},
        note=note,
        idempotency_key=key,
        request_hash=fingerprint,
        actor=actor,
        actor_label=label,
        public_id=new_public_id(Sale._meta.get_field("public_id").prefix),
        created_at=now,
    )
    tokens = sale_tokens_next(meter=meter, sale=sale, energy_wh=q.energy_wh, actor=actor)
    debt_balances, entries = _arrears_recovery(
        account=account, debts=locked.debts, sale=sale, share=q.arrears_share, actor=actor, label=label
    )
    if payment_kind == PaymentKind.WALLET:
        account.wallet_balance -= amount
        entries.append(
            AccountEntry(
                tenant_id=account.tenant_id,
                account=account,
                pocket=Pocket.WALLET,
                kind=AccountEntry.Kind.WALLET_SALE,
                amount=-amount,
                balance_after=account.wallet_balance,
                sale=sale,
                description=f"Sale {sale.public_id}",
                actor=actor,
                actor_label=label,
            )
        )
    account.carry_mc, account.last_purchase_at, account.updated_at = q.carry_out_mc, now, now
    account_values = {field: getattr(account, field) for field in _ACCOUNT_WRITES}
    free_issue_note = None
    if payment_kind == PaymentKind.FREE_ISSUE:
        free_issue_note = AccountNote(
            tenant_id=account.tenant_id, account=account, author=actor, body=note, action="free_issue"
        )
    summary = (
        f"Sold {kwh(q.energy_wh)} for {format_money(amount, tenant.currency)} "
        f"({sale.get_payment_kind_display()}), {len(tokens)} token(s)"
    )
    # The history row `history.account_record` would write, built here so it goes out with the others.
    event = AccountEvent(
        tenant_id=account.tenant_id,
        account=account,
        actor=actor,
        actor_label=label,
        action="sale",
        summary=summary[:300],
        changes={},
    )
    return _Rows(
        sale=sale,
        tokens=tokens,
        meter=meter,
        debt_balances=debt_balances,
        entries=entries,
        account_values=account_values,
        note=free_issue_note,
        event=event,
        messages=receipt_rows(sale=sale, tokens=tokens, sms=locked.sms),
    )


def _arrears_recovery(
    *, account: Account, debts: list[ArrearsDebt], sale: Sale, share: int, actor: Any, label: str
) -> tuple[list[tuple[ArrearsDebt, int]], list[AccountEntry]]:
    """Reduce the debts by `share`, oldest first: new debt balances, one arrears_recovered entry each."""
    remaining = share
    balance = account.arrears_balance
    debt_balances: list[tuple[ArrearsDebt, int]] = []
    entries: list[AccountEntry] = []
    for debt in debts:
        if remaining <= 0:
            break
        take = min(remaining, debt.balance)
        debt_balances.append((debt, debt.balance - take))
        balance -= take
        remaining -= take
        entries.append(
            AccountEntry(
                tenant_id=account.tenant_id,
                account=account,
                pocket=Pocket.ARREARS,
                kind=AccountEntry.Kind.ARREARS_RECOVERED,
                amount=-take,
                balance_after=balance,
                sale=sale,
                debt=debt,
                description=f"Recovered from sale {sale.public_id}",
                actor=actor,
                actor_label=label,
            )
        )
    if remaining:
        raise InvalidState(
            "The account's arrears balance disagrees with its debts; run `juiced ledger check`."
        )
    account.arrears_balance = balance
    return debt_balances, entries


def _write_with_orm(rows: _Rows) -> None:
    rows.sale.save()
    Token.objects.bulk_create(rows.tokens)
    if rows.tokens:
        Meter.objects.filter(pk=rows.meter.pk).update(
            token_count=rows.meter.token_count, updated_at=rows.sale.created_at
        )
    for debt, balance in rows.debt_balances:
        ArrearsDebt.objects.filter(pk=debt.pk).update(balance=balance)
    AccountEntry.objects.bulk_create(rows.entries)
    Account.objects.filter(pk=rows.sale.account_id).update(**rows.account_values)
    if rows.note is not None:
        rows.note.save()
    rows.event.save()
    VendingMessage.objects.bulk_create(rows.messages)


def _remember_tokens(sale: Sale, tokens: list[Token]) -> None:
    """Let `sale.tokens.all()` answer from the rows in hand, as `prefetch_related` would, without a query."""
    queryset = sale.tokens.all()
    queryset._result_cache = list(tokens)
    queryset._prefetch_done = True
    sale._prefetched_objects_cache = {Sale.tokens.rel.cache_name: queryset}


# --- selling on PostgreSQL: the same rows in three prepared statements ------------------------------------
#
# 1. `_lock_sql`: the account and its meter locked in one statement (`FOR UPDATE OF a, m` locks them in
#    that order), with the tenant, customer, tariff and current version, the acting user's vendor and the
#    tenant's channel settings joined. 2. The account's debts, only when it has arrears (otherwise no debt
#    has a balance), through the ORM. 3. `_batch_sql`: the vendor's open batch locked, with the month's
#    energy and the Idempotency-Key's first sale read by the same statement: its snapshot is taken after the
#    account lock, so every sale of this account is in it. Then all writes as one statement
#    (`_write_in_one_statement`). Reads that must follow a lock never share a statement with that lock:
#    PostgreSQL evaluates a statement's other reads in the snapshot taken before it waited.


def _table(model: type) -> str:
    return f'"{model._meta.db_table}"'


# The rows `_lock_sql` returns side by side: (model, table alias).
_LOCK_PARTS = (
    (Account, "a"),
    (Meter, "m"),
    (VendingCustomer, "c"),
    (Tenant, "n"),
    (Tariff, "tf"),
    (TariffVersion, "tv"),
    (Vendor, "vd"),
    (ChannelSettings, "cs"),
)


@functools.cache
def _lock_sql(by_public_id: bool) -> str:
    select = ", ".join(rawsql.columns(model, alias) for model, alias in _LOCK_PARTS)
    return f"""
SELECT {select}
FROM {_table(Account)} a
JOIN {_table(Meter)} m ON m."id" = a."meter_id"
JOIN {_table(VendingCustomer)} c ON c."id" = a."customer_id"
JOIN {_table(Tenant)} n ON n."id" = a."tenant_id"
JOIN {_table(Tariff)} tf ON tf."id" = a."tariff_id"
LEFT JOIN {_table(TariffVersion)} tv ON tv."id" = tf."current_version_id"
LEFT JOIN {_table(Vendor)} vd ON vd."tenant_id" = a."tenant_id" AND vd."user_id" = %s
LEFT JOIN {_table(ChannelSettings)} cs ON cs."tenant_id" = a."tenant_id"
WHERE a."{"public_id" if by_public_id else "id"}" = %s AND a."tenant_id" = %s
FOR UPDATE OF a, m
"""


# `<> ''` repeats the predicate of the partial unique index on (tenant, key), and the batch's status is a
# literal for the partial index of open batches: a prepared statement's generic plan cannot see what its
# parameters hold, and would otherwise scan all the tenant's sales (or all the vendor's batches).
_MONTH_AND_KEY = f"""
(SELECT COALESCE(SUM(s."energy_wh"), 0)::bigint FROM {_table(Sale)} s
    WHERE s."account_id" = %s AND s."created_at" >= %s AND s."created_at" < %s),
(SELECT s."id" FROM {_table(Sale)} s
    WHERE s."tenant_id" = %s AND s."idempotency_key" = %s::text AND s."idempotency_key" <> '')
"""


@functools.cache
def _batch_sql(with_batch: bool) -> str:
    if not with_batch:
        return f"SELECT {_MONTH_AND_KEY}"
    return f"""
SELECT {rawsql.columns(Batch, "b")}, {_MONTH_AND_KEY}
FROM {_table(Batch)} b WHERE b."vendor_id" = %s AND b."status" = '{Batch.Status.OPEN.value}'
FOR UPDATE OF b
"""


def _from_row(model: type, values: list[Any]) -> Any:
    """A model instance from raw values, None for a LEFT JOIN that found nothing; JSON text decoded."""
    if values[0] is None:
        return None
    for index, field in enumerate(model._meta.concrete_fields):
        if isinstance(field, JSONField) and isinstance(values[index], str):
            values[index] = json.loads(values[index])
    return rawsql.instance(model, values)


def _lock_with_sql(*, access: Any, account: Account, key: str | None) -> _Locked:
    """A sale's locks and reads on PostgreSQL: two prepared statements when the account owes nothing."""
    by_public_id = account.pk is None  # a reference from `account_to_sell`
    row = rawsql.fetch_one(
        _lock_sql(by_public_id),
        [access.user.pk, account.public_id if by_public_id else account.pk, access.tenant.pk],
    )
    if row is None:
        raise NotFound("No such account.")
    loaded, offset = [], 0
    for model, _alias in _LOCK_PARTS:
        loaded.append(_from_row(model, list(row[offset : offset + rawsql.width(model)])))
        offset += rawsql.width(model)
    account, meter, customer, tenant, tariff, version, vendor, channel_settings = loaded
    account.tenant, account.meter, account.customer, account.tariff = tenant, meter, customer, tariff
    customer.tenant = meter.tenant = tenant
    tariff.current_version = version
    if version is not None:
        version.tariff = tariff
    if vendor is not None:
        vendor.tenant, vendor.user = tenant, access.user
    vendor = selling_vendor_check(access=access, vendor=vendor)
    debts = _lock_debts(account) if account.arrears_balance > 0 else []
    now = timezone.now()
    month_and_key = [account.pk, month_start(now), now, account.tenant_id, key]
    batch = None
    if vendor is None:
        found = rawsql.fetch_one(_batch_sql(False), month_and_key)
    else:
        for _attempt in range(3):
            found = rawsql.fetch_one(_batch_sql(True), month_and_key + [vendor.pk])
            if found is not None:
                break
            # No open batch (or closed meanwhile). A replayed key answers without opening one.
            existing = _first_sale_of_key(tenant_id=account.tenant_id, key=key)
            if existing is not None:
                return _Locked(account, vendor, None, debts, 0, now, None, existing=existing)
            batch_open_for(vendor=vendor)
        else:
            raise InvalidState("The till's batch was closed while this was being recorded; try again.")
        batch = _from_row(Batch, list(found[: rawsql.width(Batch)]))
        batch.vendor, batch.tenant = vendor, tenant
    month_wh, existing_id = found[-2], found[-1]
    existing = Sale.objects.get(pk=existing_id) if existing_id is not None else None
    sms = channel_settings.sms_configured if channel_settings is not None else False
    return _Locked(account, vendor, batch, debts, max(month_wh, 0), now, sms, existing=existing)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()  # full microseconds (DjangoJSONEncoder would cut them to milliseconds)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _rows_json(rows: list[Any]) -> str:
    """Unsaved rows as a JSON array of {column: value}, for `jsonb_populate_recordset` (defaults applied)."""
    if not rows:
        return "[]"
    fields = [field for field in type(rows[0])._meta.concrete_fields if not field.primary_key]
    return json.dumps(
        [
            {field.column: field.pre_save(row, True) for field in fields if field.name != "sale"}
            for row in rows
        ],
        default=_json_value,
    )


def _insert_from_json(name: str, model: type, *, returning: bool = True) -> str:
    """`name AS (INSERT … SELECT … FROM jsonb_populate_recordset(…))`; `sale` is the row of `sale_row`."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(f'"{field.column}"' for field in fields)
    values = ", ".join(
        '(SELECT "id" FROM sale_row)' if field.name == "sale" else f'r."{field.column}"' for field in fields
    )
    tail = ' RETURNING "id"' if returning else ""
    return (
        f"{name} AS (INSERT INTO {_table(model)} ({columns}) SELECT {values} "
        f"FROM jsonb_populate_recordset(NULL::{_table(model)}, %s::jsonb) r{tail})"
    )


@functools.cache
def _write_sql() -> str:
    # One fixed text whatever the sale holds (no token, several, debts, a note…): rows travel as JSON
    # arrays, empty ones insert nothing, so psycopg prepares it once per connection and its parse is cached.
    account_columns = ", ".join(f'"{field}" = %s' for field in _ACCOUNT_WRITES)
    ctes = [
        _insert_from_json("sale_row", Sale),
        _insert_from_json("token_rows", Token),
        f'meter_row AS (UPDATE {_table(Meter)} SET "token_count" = %s, "updated_at" = %s '
        f'WHERE "id" = %s AND EXISTS (SELECT 1 FROM token_rows))',
        f'debt_rows AS (UPDATE {_table(ArrearsDebt)} d SET "balance" = v.balance '
        f'FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, balance bigint) WHERE d."id" = v.id)',
        _insert_from_json("entry_rows", AccountEntry, returning=False),
        f'account_row AS (UPDATE {_table(Account)} SET {account_columns} WHERE "id" = %s)',
        _insert_from_json("note_row", AccountNote, returning=False),
        _insert_from_json("event_row", AccountEvent, returning=False),
        _insert_from_json("message_rows", VendingMessage),
    ]
    ids = [
        '(SELECT "id" FROM sale_row)',
        'ARRAY(SELECT "id" FROM token_rows ORDER BY "id")',
        'ARRAY(SELECT "id" FROM message_rows ORDER BY "id")',
    ]
    return f"WITH {', '.join(ctes)} SELECT {', '.join(ids)}"


def _write_in_one_statement(rows: _Rows) -> None:
    """Every row of the sale in one prepared statement (data-modifying CTEs): one round trip."""
    params = [
        _rows_json([rows.sale]),
        _rows_json(rows.tokens),
        rows.meter.token_count,
        rows.sale.created_at,
        rows.meter.pk,
        json.dumps([{"id": debt.pk, "balance": balance} for debt, balance in rows.debt_balances]),
        _rows_json(rows.entries),
        *(rows.account_values[field] for field in _ACCOUNT_WRITES),
        rows.sale.account_id,
        _rows_json([rows.note] if rows.note is not None else []),
        _rows_json([rows.event]),
        _rows_json(rows.messages),
    ]
    sale_id, token_ids, message_ids = rawsql.fetch_one(_write_sql(), params)
    saved = [
        (rows.sale, sale_id),
        *zip(rows.tokens, token_ids, strict=True),
        *zip(rows.messages, message_ids, strict=True),
    ]
    for row, pk in saved:
        row.pk = pk
        row._state.adding, row._state.db = False, "default"
    for row in rows.tokens + rows.messages:
        row.sale_id = sale_id


def _replay(existing: Sale, fingerprint: str) -> Sale:
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return existing


def _actor_label(user: Any) -> str:
    from juiced.core.audit import actor_label_for

    return actor_label_for(user)


# --- reversing -------------------------------------------------------------------------------------------


def sale_reverse(*, access: Any, sale: Sale, reason: str, idempotency_key: str | None = None) -> Sale:
    """Reverse a sale by new rows: negated sale, tokens void, arrears and wallet restored, customer told."""
    access.require("vending.reverse")
    if sale.tenant_id != access.tenant.pk:
        raise NotFound("No such sale.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", "A reason is required to reverse a sale.")
    if sale.kind != Sale.Kind.SALE:
        raise InvalidState("A reversal cannot itself be reversed.")
    key = idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint("sale_reverse", {"sale": sale.public_id, "reason": reason})
    vendor = selling_vendor(access=access)
    try:
        with transaction.atomic():
            account = (
                Account.objects.select_for_update(of=("self",))
                .select_related("tenant")
                .get(pk=sale.account_id)
            )
            if key is not None:
                existing = Sale.objects.filter(tenant_id=account.tenant_id, idempotency_key=key).first()
                if existing is not None:
                    return _replay(existing, fingerprint)
            meter = lock_meter(sale.meter_id)
            debts = {
                d.pk: d
                for d in ArrearsDebt.objects.select_for_update().filter(account=account).order_by("pk")
            }
            if Sale.objects.filter(reverses=sale).exists():
                raise InvalidState("This sale was already reversed.")
            batch = batch_lock_open(vendor=vendor) if vendor is not None else None
            batch_guard_open(batch)
            now = timezone.now()
            delta = sale.carry_out_mc - sale.carry_in_mc
            # A later sale may already have spent part of this sale's carry: that part (less than one
            # energy unit's value) is written off so the carry never goes negative.
            shortfall = max(delta - account.carry_mc, 0)
            reversal = Sale.objects.create(
                tenant_id=account.tenant_id,
                account=account,
                meter=meter,
                tariff_version_id=sale.tariff_version_id,
                kind=Sale.Kind.REVERSAL,
                reverses=sale,
                vendor=vendor,
                batch=batch,
                payment_kind=sale.payment_kind,
                payment_reference=sale.payment_reference,
                amount=-sale.amount,
                arrears_share=-sale.arrears_share,
                fixed_charges=-sale.fixed_charges,
                tax=-sale.tax,
                discount=-sale.discount,
                energy_money=-sale.energy_money,
                energy_wh=-sale.energy_wh,
                carry_in_mc=-sale.carry_in_mc,
                carry_out_mc=-sale.carry_out_mc + shortfall,
                breakdown={"reverses": sale.public_id, "carry_written_off_mc": shortfall},
                note=reason,
                idempotency_key=key or "",
                request_hash=fingerprint,
                actor=access.user,
                actor_label=_actor_label(access.user),
            )
            tokens = list(Token.objects.filter(sale=sale).order_by("count"))
            Token.objects.filter(sale=sale).update(status=Token.Status.VOID, voided_at=now)
            for entry in AccountEntry.objects.filter(sale=sale).order_by("pk"):
                if entry.pocket == Pocket.ARREARS:
                    debt = debts[entry.debt_id]
                    debt.balance -= entry.amount
                    ArrearsDebt.objects.filter(pk=debt.pk).update(balance=debt.balance)
                    account.arrears_balance -= entry.amount
                    balance_after = account.arrears_balance
                elif entry.pocket == Pocket.WALLET:
                    account.wallet_balance -= entry.amount
                    balance_after = account.wallet_balance
                else:  # pragma: no cover - sales only touch arrears and wallet
                    continue
                _entry(
                    account,
                    pocket=entry.pocket,
                    kind=AccountEntry.Kind.REVERSAL,
                    amount=-entry.amount,
                    balance_after=balance_after,
                    sale=reversal,
                    debt_id=entry.debt_id,
                    description=f"Reversal of sale {sale.public_id}",
                    actor=access.user,
                    actor_label=reversal.actor_label,
                )
            Account.objects.filter(pk=account.pk).update(
                arrears_balance=account.arrears_balance,
                wallet_balance=account.wallet_balance,
                carry_mc=account.carry_mc - delta + shortfall,
                updated_at=now,
            )
            AccountNote.objects.create(
                tenant_id=account.tenant_id,
                account=account,
                author=access.user,
                body=reason,
                action="sale_reverse",
            )
            account_record(
                account=account,
                actor=access.user,
                action="sale_reverse",
                summary=(
                    f"Reversed sale {sale.public_id} ({format_money(sale.amount, account.tenant.currency)}, "
                    f"{kwh(sale.energy_wh)}): {reason}"
                ),
            )
            reversal_messages(original=sale, reversal=reversal, tokens=tokens)
        return reversal
    except IntegrityError:
        if key is not None:
            existing = Sale.objects.filter(tenant_id=sale.tenant_id, idempotency_key=key).first()
            if existing is not None:
                return _replay(existing, fingerprint)
        if Sale.objects.filter(reverses=sale).exists():
            raise InvalidState("This sale was already reversed.") from None
        raise
