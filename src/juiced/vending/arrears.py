"""Arrears (debts, repayment plans, instalments) and the account's wallet and deposit pockets.

Every change is a new AccountEntry (signed cents) and the account's cached pocket balance is updated in the
same transaction under the account's row lock; `juiced ledger check` proves they agree. Payments taken at
the counter go into the cashier's open batch.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from juiced.core.errors import Conflict, IdempotencyKeyReused, InvalidState, NotFound, ValidationFailed
from juiced.core.idempotency import idempotency_key_clean
from juiced.core.money import format_money
from juiced.vending.batches import batch_guard_open, batch_lock_open, selling_vendor
from juiced.vending.history import account_record
from juiced.vending.models import (
    Account,
    AccountEntry,
    AccountNote,
    ArrearsDebt,
    PaymentKind,
    PlanInstalment,
    Pocket,
    RepaymentPlan,
)
from juiced.vending.sales import _positive_cents

COUNTER_KINDS = (PaymentKind.CASH, PaymentKind.CARD, PaymentKind.CHEQUE, PaymentKind.MOBILE_MONEY)
MAX_INSTALMENTS = 72
BP = 10_000
_BALANCE_FIELD = {
    Pocket.WALLET: "wallet_balance",
    Pocket.DEPOSIT: "deposit_balance",
    Pocket.ARREARS: "arrears_balance",
}


def _own(access: Any, account: Account) -> None:
    if account.tenant_id != access.tenant.pk:
        raise NotFound("No such account.")


def _counter_kind(payment_kind: str) -> str:
    if payment_kind not in COUNTER_KINDS:
        raise ValidationFailed.on("payment_kind", "Choose cash, card, cheque or mobile money.")
    return payment_kind


def _lock_account(account: Account) -> Account:
    return Account.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=account.pk)


def _post(
    *,
    access: Any,
    account: Account,
    pocket: str,
    kind: str,
    amount: int,
    payment_kind: str = "",
    description: str = "",
    idempotency_key: str | None = None,
    debt: ArrearsDebt | None = None,
    at_counter: bool = True,
    before: Callable[[Account], None] | None = None,
    after: Callable[[Account, AccountEntry], None] | None = None,
) -> AccountEntry:
    """Write one entry on the locked account and move its cached balance (one transaction, idempotent)."""
    key = idempotency_key_clean(idempotency_key)
    vendor = selling_vendor(access=access) if at_counter else None

    def replay(existing: AccountEntry) -> AccountEntry:
        same = (existing.account_id, existing.kind, existing.amount, existing.payment_kind) == (
            account.pk,
            kind,
            amount,
            payment_kind,
        )
        if not same:
            raise IdempotencyKeyReused()
        return existing

    try:
        with transaction.atomic():
            locked = _lock_account(account)
            if key is not None:
                existing = AccountEntry.objects.filter(
                    tenant_id=locked.tenant_id, idempotency_key=key
                ).first()
                if existing is not None:
                    return replay(existing)
            if before is not None:
                before(locked)
            batch = batch_lock_open(vendor=vendor) if vendor is not None else None
            batch_guard_open(batch)
            field = _BALANCE_FIELD[pocket]
            balance = getattr(locked, field) + amount
            if balance < 0:
                raise ValidationFailed.on("amount", "That would take the balance below zero.")
            entry = AccountEntry.objects.create(
                tenant_id=locked.tenant_id,
                account=locked,
                pocket=pocket,
                kind=kind,
                amount=amount,
                balance_after=balance,
                debt=debt,
                payment_kind=payment_kind,
                vendor=vendor,
                batch=batch,
                description=description[:300],
                idempotency_key=key or "",
                actor=access.user,
                actor_label=_label(access.user),
            )
            setattr(locked, field, balance)
            Account.objects.filter(pk=locked.pk).update(**{field: balance, "updated_at": timezone.now()})
            if after is not None:
                after(locked, entry)
            account_record(
                account=locked,
                actor=access.user,
                action=kind,
                summary=f"{entry.get_kind_display()}: {format_money(amount, locked.tenant.currency)}"
                + (f" ({description})" if description else ""),
            )
        return entry
    except IntegrityError:
        if key is None:
            raise
        existing = AccountEntry.objects.filter(tenant_id=account.tenant_id, idempotency_key=key).first()
        if existing is None:
            raise
        return replay(existing)


def _label(user: Any) -> str:
    from juiced.core.audit import actor_label_for

    return actor_label_for(user)


# --- debts and plans ---------------------------------------------------------------------------------------


def debt_add(
    *, access: Any, account: Account, amount: int, reason: str, recovery_bp: int | None = None
) -> ArrearsDebt:
    """Add a debt (+arrears) with a reason; optionally set the share of each purchase that recovers it."""
    access.require("vending.arrears.manage")
    _own(access, account)
    _positive_cents(amount, "amount")
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["A reason is required for a debt."]
    if recovery_bp is not None and (isinstance(recovery_bp, bool) or not 0 <= recovery_bp <= BP):
        errors["recovery_bp"] = ["The recovery share must be from 0 to 10 000 basis points (0 to 100 %)."]
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    with transaction.atomic():
        locked = _lock_account(account)
        debt = ArrearsDebt.objects.create(
            tenant_id=locked.tenant_id,
            account=locked,
            amount=amount,
            balance=amount,
            reason=reason[:300],
            created_by=access.user,
        )
        balance = locked.arrears_balance + amount
        AccountEntry.objects.create(
            tenant_id=locked.tenant_id,
            account=locked,
            pocket=Pocket.ARREARS,
            kind=AccountEntry.Kind.ARREARS_ADDED,
            amount=amount,
            balance_after=balance,
            debt=debt,
            description=reason[:300],
            actor=access.user,
            actor_label=_label(access.user),
        )
        changes: dict[str, Any] = {"arrears_balance": balance, "updated_at": timezone.now()}
        history = {"arrears_balance": [locked.arrears_balance, balance]}
        if recovery_bp is not None and recovery_bp != locked.arrears_recovery_bp:
            changes["arrears_recovery_bp"] = recovery_bp
            history["arrears_recovery_bp"] = [locked.arrears_recovery_bp, recovery_bp]
        Account.objects.filter(pk=locked.pk).update(**changes)
        account_record(
            account=locked,
            actor=access.user,
            action="arrears_added",
            summary=f"Debt of {format_money(amount, locked.tenant.currency)} added: {reason}",
            changes=history,
        )
    return debt


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def plan_schedule(*, total: int, instalments: int, frequency: str, start_date: datetime.date) -> list[tuple]:
    """[(number, due date, amount)]: equal instalments, the last absorbing the rounding (sums to total)."""
    each = total // instalments
    rows = []
    for index in range(instalments):
        due = (
            start_date + datetime.timedelta(weeks=index)
            if frequency == RepaymentPlan.Frequency.WEEKLY
            else _add_months(start_date, index)
        )
        amount = each if index < instalments - 1 else total - each * (instalments - 1)
        rows.append((index + 1, due, amount))
    return rows


def plan_create(
    *,
    access: Any,
    debt: ArrearsDebt,
    instalments: int,
    interest_bp: int,
    frequency: str,
    start_date: datetime.date,
) -> RepaymentPlan:
    """A plan over the debt's balance: 1–72 instalments, optional flat interest posted as arrears."""
    access.require("vending.arrears.manage")
    if debt.tenant_id != access.tenant.pk:
        raise NotFound("No such debt.")
    errors: dict[str, list[str]] = {}
    if (
        isinstance(instalments, bool)
        or not isinstance(instalments, int)
        or not 1 <= instalments <= MAX_INSTALMENTS
    ):
        errors["instalments"] = [f"Choose 1 to {MAX_INSTALMENTS} instalments."]
    if isinstance(interest_bp, bool) or not isinstance(interest_bp, int) or not 0 <= interest_bp <= BP:
        errors["interest_bp"] = ["Interest must be from 0 to 10 000 basis points (0 to 100 %)."]
    if frequency not in RepaymentPlan.Frequency.values:
        errors["frequency"] = ["Choose weekly or monthly."]
    if not isinstance(start_date, datetime.date):
        errors["start_date"] = ["Enter the first due date."]
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    with transaction.atomic():
        account = _lock_account(debt.account)
        locked_debt = ArrearsDebt.objects.select_for_update().get(pk=debt.pk)
        if locked_debt.balance <= 0:
            raise InvalidState("This debt is paid; there is nothing to plan.")
        if RepaymentPlan.objects.filter(debt=locked_debt, status=RepaymentPlan.Status.ACTIVE).exists():
            raise Conflict("This debt already has an active repayment plan.")
        interest = locked_debt.balance * interest_bp // BP
        total = locked_debt.balance + interest
        plan = RepaymentPlan.objects.create(
            tenant_id=account.tenant_id,
            account=account,
            debt=locked_debt,
            instalments=instalments,
            interest_bp=interest_bp,
            frequency=frequency,
            start_date=start_date,
            total=total,
            created_by=access.user,
        )
        PlanInstalment.objects.bulk_create(
            PlanInstalment(plan=plan, number=n, due_date=due, amount=amount)
            for n, due, amount in plan_schedule(
                total=total, instalments=instalments, frequency=frequency, start_date=start_date
            )
        )
        if interest:
            balance = account.arrears_balance + interest
            AccountEntry.objects.create(
                tenant_id=account.tenant_id,
                account=account,
                pocket=Pocket.ARREARS,
                kind=AccountEntry.Kind.ARREARS_INTEREST,
                amount=interest,
                balance_after=balance,
                debt=locked_debt,
                description=f"Interest {interest_bp / 100:g} % on plan {plan.public_id}",
                actor=access.user,
                actor_label=_label(access.user),
            )
            ArrearsDebt.objects.filter(pk=locked_debt.pk).update(balance=locked_debt.balance + interest)
            Account.objects.filter(pk=account.pk).update(arrears_balance=balance, updated_at=timezone.now())
        currency = account.tenant.currency
        account_record(
            account=account,
            actor=access.user,
            action="plan_create",
            summary=(
                f"Repayment plan: {instalments} {frequency} instalment(s) totalling "
                f"{format_money(total, currency)} from {start_date.isoformat()}"
            ),
        )
    return plan


def instalment_pay(
    *, access: Any, plan: RepaymentPlan, amount: int, payment_kind: str, idempotency_key: str | None = None
) -> AccountEntry:
    """Pay the plan's oldest unpaid instalments at the counter (−arrears, into the cashier's batch)."""
    access.require("vending.sell")
    if plan.tenant_id != access.tenant.pk:
        raise NotFound("No such plan.")
    _positive_cents(amount, "amount")
    _counter_kind(payment_kind)

    def before(locked: Account) -> None:
        locked_plan = RepaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if locked_plan.status != RepaymentPlan.Status.ACTIVE:
            raise InvalidState("This plan is not active.")
        debt = ArrearsDebt.objects.select_for_update().get(pk=locked_plan.debt_id)
        owed = sum(i.amount - i.paid for i in locked_plan.schedule.all())
        if amount > min(owed, debt.balance):
            due = format_money(min(owed, debt.balance), locked.tenant.currency)
            raise ValidationFailed.on("amount", f"Only {due} is left to pay on this plan.")

    def after(locked: Account, entry: AccountEntry) -> None:
        debt = ArrearsDebt.objects.get(pk=plan.debt_id)
        ArrearsDebt.objects.filter(pk=debt.pk).update(balance=debt.balance - amount)
        remaining = amount
        now = timezone.now()
        for instalment in PlanInstalment.objects.filter(plan=plan).order_by("number"):
            open_amount = instalment.amount - instalment.paid
            if remaining <= 0 or open_amount <= 0:
                continue
            take = min(open_amount, remaining)
            remaining -= take
            PlanInstalment.objects.filter(pk=instalment.pk).update(
                paid=instalment.paid + take, paid_at=now if take == open_amount else instalment.paid_at
            )
        if not any(i.paid < i.amount for i in PlanInstalment.objects.filter(plan=plan)):
            RepaymentPlan.objects.filter(pk=plan.pk).update(status=RepaymentPlan.Status.COMPLETED)

    return _post(
        access=access,
        account=plan.account,
        pocket=Pocket.ARREARS,
        kind=AccountEntry.Kind.ARREARS_INSTALMENT,
        amount=-amount,
        payment_kind=payment_kind,
        description=f"Instalment on plan {plan.public_id}",
        idempotency_key=idempotency_key,
        debt=plan.debt,
        before=before,
        after=after,
    )


# --- wallet and deposit ----------------------------------------------------------------------------------


def wallet_topup(
    *, access: Any, account: Account, amount: int, payment_kind: str, idempotency_key: str | None = None
) -> AccountEntry:
    """Money into the account's wallet at the counter (spent later by a sale paid with "wallet")."""
    access.require("vending.sell")
    _own(access, account)
    _positive_cents(amount, "amount")
    return _post(
        access=access,
        account=account,
        pocket=Pocket.WALLET,
        kind=AccountEntry.Kind.WALLET_TOPUP,
        amount=amount,
        payment_kind=_counter_kind(payment_kind),
        idempotency_key=idempotency_key,
    )


def deposit_pay(
    *,
    access: Any,
    account: Account,
    amount: int,
    payment_kind: str,
    note: str = "",
    idempotency_key: str | None = None,
) -> AccountEntry:
    """A deposit paid at the counter (+deposit)."""
    access.require("vending.sell")
    _own(access, account)
    _positive_cents(amount, "amount")
    return _post(
        access=access,
        account=account,
        pocket=Pocket.DEPOSIT,
        kind=AccountEntry.Kind.DEPOSIT_PAID,
        amount=amount,
        payment_kind=_counter_kind(payment_kind),
        description=(note or "").strip(),
        idempotency_key=idempotency_key,
    )


def deposit_refund(
    *,
    access: Any,
    account: Account,
    amount: int,
    payment_kind: str,
    note: str,
    idempotency_key: str | None = None,
) -> AccountEntry:
    """Refund (part of) the deposit (−deposit, never below zero); a note is required."""
    access.require("vending.accounts.manage")
    _own(access, account)
    _positive_cents(amount, "amount")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed.on("note", "A note is required to refund a deposit.")

    def before(locked: Account) -> None:
        if amount > locked.deposit_balance:
            held = format_money(locked.deposit_balance, locked.tenant.currency)
            raise ValidationFailed.on("amount", f"The deposit holds only {held}.")

    def after(locked: Account, entry: AccountEntry) -> None:
        AccountNote.objects.create(
            tenant_id=locked.tenant_id, account=locked, author=access.user, body=note, action="deposit_refund"
        )

    return _post(
        access=access,
        account=account,
        pocket=Pocket.DEPOSIT,
        kind=AccountEntry.Kind.DEPOSIT_REFUNDED,
        amount=-amount,
        payment_kind=_counter_kind(payment_kind),
        description=note,
        idempotency_key=idempotency_key,
        before=before,
        after=after,
    )
