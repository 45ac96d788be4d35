"""Quick Pay: quote, sell (one transaction: sale, tokens, ledger entries, batch, history, receipts), reverse.

Locks are taken in one order everywhere: the account row, then its meter row (the token count), then the
account's debts (by primary key), then the vendor's open batch. Side effects (receipt SMS and e-mail) are
VendingMessage rows sent by a job queued on commit.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from juiced.core.errors import (
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from juiced.core.money import format_money
from juiced.vending.batches import batch_guard_open, batch_lock_open, cashier_limits_check, selling_vendor
from juiced.vending.history import account_record
from juiced.vending.messaging import kwh, receipt_messages, reversal_messages
from juiced.vending.models import (
    Account,
    AccountEntry,
    AccountNote,
    AccountStatus,
    ArrearsDebt,
    PaymentKind,
    Pocket,
    Sale,
    Token,
)
from juiced.vending.tariffs import ENERGY_UNIT_WH, Quote, QuoteRequest, Terms, quote
from juiced.vending.tokens import lock_meter, tokens_for_sale

MAX_AMOUNT = 10**10  # 100 000 000.00: a typing-error guard, not a business limit


def normalize_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 255:
        raise ValidationFailed.on("idempotency_key", "Idempotency-Key must be 1 to 255 characters.")
    return key


def request_hash(operation: str, params: dict[str, Any]) -> str:
    blob = json.dumps({"operation": operation, **params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _positive_cents(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.on(field, "Enter an amount in cents (a whole number).")
    if value <= 0:
        raise ValidationFailed.on(field, "Enter an amount above zero.")
    if value > MAX_AMOUNT:
        raise ValidationFailed.on(field, "That amount is too large.")
    return value


# --- quoting ---------------------------------------------------------------------------------------------


def month_energy_before(*, account: Account, at: datetime.datetime) -> int:
    """Wh the account bought this calendar month before `at` (sales minus reversals), for inclining blocks."""
    local = timezone.localtime(at)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = Sale.objects.filter(account=account, created_at__gte=start, created_at__lt=at).aggregate(
        wh=Sum("energy_wh")
    )["wh"]
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


def quote_request_for(*, account: Account, amount: int, at: datetime.datetime) -> tuple[QuoteRequest, Any]:
    version = account.tariff.current_version
    if version is None:
        raise ValidationFailed.on("tariff", f"Tariff {account.tariff.name} has no terms yet.")
    req = QuoteRequest(
        amount=amount,
        terms=Terms.from_version(version),
        month_wh_before=month_energy_before(account=account, at=at),
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


# --- selling ---------------------------------------------------------------------------------------------


def _lock_debts(account: Account) -> list[ArrearsDebt]:
    return list(ArrearsDebt.objects.select_for_update().filter(account=account, balance__gt=0).order_by("pk"))


def _entry(account: Account, **fields: Any) -> AccountEntry:
    return AccountEntry.objects.create(tenant_id=account.tenant_id, account=account, **fields)


def _recover_arrears(*, account: Account, sale: Sale, share: int, actor: Any) -> None:
    """Reduce the account's debts by `share`, oldest first, one arrears_recovered entry per debt."""
    remaining = share
    balance = account.arrears_balance
    for debt in _lock_debts(account):
        if remaining <= 0:
            break
        take = min(remaining, debt.balance)
        ArrearsDebt.objects.filter(pk=debt.pk).update(balance=debt.balance - take)
        balance -= take
        remaining -= take
        _entry(
            account,
            pocket=Pocket.ARREARS,
            kind=AccountEntry.Kind.ARREARS_RECOVERED,
            amount=-take,
            balance_after=balance,
            sale=sale,
            debt=debt,
            description=f"Recovered from sale {sale.public_id}",
            actor=actor,
        )
    if remaining:
        raise InvalidState(
            "The account's arrears balance disagrees with its debts; run `juiced ledger check`."
        )
    account.arrears_balance = balance


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
    key = normalize_key(idempotency_key)
    fingerprint = request_hash(
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
    vendor = selling_vendor(access=access)
    try:
        with transaction.atomic():
            locked = (
                Account.objects.select_for_update(of=("self",))
                .select_related("tenant", "customer", "tariff__current_version")
                .get(pk=account.pk)
            )
            if key is not None:
                existing = Sale.objects.filter(tenant_id=locked.tenant_id, idempotency_key=key).first()
                if existing is not None:
                    return _replay(existing, fingerprint), True
            meter = lock_meter(locked.meter_id)
            locked.meter = meter
            if locked.status != AccountStatus.ACTIVE:
                raise ValidationFailed.on(
                    "account",
                    f"Account {locked.number} is {locked.get_status_display().lower()}: it cannot buy.",
                )
            if not meter.vending_enabled:
                raise ValidationFailed.on(
                    "meter", f"Vending is disabled on meter {meter.serial_number}: it cannot be sold to."
                )
            _lock_debts(locked)  # the lock order: account, meter, debts, batch
            batch = batch_lock_open(vendor=vendor) if vendor is not None else None
            batch_guard_open(batch)
            cashier_limits_check(vendor=vendor, amount=amount)
            now = timezone.now()
            req, version = quote_request_for(account=locked, amount=amount, at=now)
            q = quote(req)
            if payment_kind == PaymentKind.WALLET and locked.wallet_balance < amount:
                raise InsufficientFunds(
                    f"The wallet holds {format_money(locked.wallet_balance, locked.tenant.currency)}; "
                    f"it does not cover {format_money(amount, locked.tenant.currency)}."
                )
            sale = Sale.objects.create(
                tenant_id=locked.tenant_id,
                account=locked,
                meter=meter,
                tariff_version=version,
                vendor=vendor,
                batch=batch,
                payment_kind=payment_kind,
                payment_reference=reference,
                amount=amount,
                tendered=tendered_value,
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
                idempotency_key=key or "",
                request_hash=fingerprint,
                actor=access.user,
                actor_label=_actor_label(access.user),
            )
            tokens = tokens_for_sale(meter=meter, sale=sale, energy_wh=q.energy_wh, actor=access.user)
            if q.arrears_share:
                _recover_arrears(account=locked, sale=sale, share=q.arrears_share, actor=access.user)
            if payment_kind == PaymentKind.WALLET:
                locked.wallet_balance -= amount
                _entry(
                    locked,
                    pocket=Pocket.WALLET,
                    kind=AccountEntry.Kind.WALLET_SALE,
                    amount=-amount,
                    balance_after=locked.wallet_balance,
                    sale=sale,
                    description=f"Sale {sale.public_id}",
                    actor=access.user,
                )
            Account.objects.filter(pk=locked.pk).update(
                arrears_balance=locked.arrears_balance,
                wallet_balance=locked.wallet_balance,
                carry_mc=q.carry_out_mc,
                last_purchase_at=now,
                updated_at=now,
            )
            if payment_kind == PaymentKind.FREE_ISSUE:
                AccountNote.objects.create(
                    tenant_id=locked.tenant_id,
                    account=locked,
                    author=access.user,
                    body=note,
                    action="free_issue",
                )
            currency = locked.tenant.currency
            account_record(
                account=locked,
                actor=access.user,
                action="sale",
                summary=(
                    f"Sold {kwh(q.energy_wh)} for {format_money(amount, currency)} "
                    f"({sale.get_payment_kind_display()}), {len(tokens)} token(s)"
                ),
            )
            receipt_messages(sale=sale, tokens=tokens)
        return sale, False
    except IntegrityError:
        if key is None:
            raise
        existing = Sale.objects.filter(tenant_id=account.tenant_id, idempotency_key=key).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint), True


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
    key = normalize_key(idempotency_key)
    fingerprint = request_hash("sale_reverse", {"sale": sale.public_id, "reason": reason})
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
