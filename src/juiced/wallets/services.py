"""Every change to a wallet goes through these functions.

Each service takes the wallet's row lock (PostgreSQL `SELECT … FOR UPDATE`; on SQLite every atomic
block starts with `BEGIN IMMEDIATE`, which serialises writers), checks that available funds never go
negative, writes exactly one immutable transaction, and updates the cached sums in the same commit.
An `idempotency_key` makes a retry return the first result instead of moving money twice.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from juiced.core import rawsql
from juiced.core.audit import actor_label_for, audit_record
from juiced.core.errors import IdempotencyKeyReused, InsufficientFunds, InvalidState, ValidationFailed
from juiced.core.idempotency import idempotency_key_clean, request_fingerprint
from juiced.core.ids import new_public_id
from juiced.core.money import format_money
from juiced.wallets.models import Hold, IdempotencyRecord, Transaction, TransactionEvent, Wallet
from juiced.wallets.signals import transaction_posted

MINIMUM_TENANT_CREDIT = 100  # cents: tenants add at least $1
MAX_AMOUNT = 100_000_000_00  # cents: one change is at most $100 million, a guard against typos
_url_validator = URLValidator(schemes=["http", "https"])

T = TypeVar("T")


@dataclass(frozen=True)
class Related:
    """The record that caused a money movement (a lead, a return, a buy order, a payment…)."""

    type: str = ""
    id: str = ""


def wallet_create(*, customer: Any) -> Wallet:
    """Open the customer's wallet in the tenant's currency (called when the customer is created)."""
    return Wallet.objects.create(tenant=customer.tenant, customer=customer, currency=customer.tenant.currency)


def _validate_amount(amount: Any, *, minimum: int = 1) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed.on("amount", "Amount must be a whole number of cents.")
    if amount < minimum:
        raise ValidationFailed.on("amount", f"Amount must be at least {format_money(minimum)}.")
    if amount > MAX_AMOUNT:
        raise ValidationFailed.on("amount", f"Amount must be at most {format_money(MAX_AMOUNT)}.")
    return amount


def _validate_text(description: str, receipt_url: str, *, description_required: bool) -> tuple[str, str]:
    fields: dict[str, list[str]] = {}
    description = (description or "").strip()
    receipt_url = (receipt_url or "").strip()
    if description_required and not description:
        fields["description"] = ["A description is required; the customer sees it."]
    elif len(description) > 500:
        fields["description"] = ["Keep the description under 500 characters."]
    if receipt_url:
        try:
            _url_validator(receipt_url)
        except DjangoValidationError:
            fields["receipt_url"] = ["Enter a full http(s) URL."]
        if len(receipt_url) > 500:
            fields["receipt_url"] = ["Keep the URL under 500 characters."]
    if fields:
        raise ValidationFailed("Some fields are invalid.", fields=fields)
    return description, receipt_url


def _replay(record: IdempotencyRecord, request_hash: str) -> IdempotencyRecord:
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused()
    return record


def _idempotent(
    *,
    tenant: Any,
    key: str | None,
    operation: str,
    params: dict[str, Any],
    lock: Callable[[], Any],
    work: Callable[[Any], tuple[Transaction | None, Hold | None]],
) -> tuple[Transaction | None, Hold | None, bool]:
    """Run `work(locked_wallet)` once per (tenant, key); a replay returns the first result.

    Returns (transaction, hold, replayed). The wallet lock is taken before the key is looked up, so
    concurrent requests with one key on one wallet are serialised and only the first moves money;
    the same key used on another wallet at the same moment loses on the unique index and is compared.
    """
    key = idempotency_key_clean(key)
    request_hash = request_fingerprint(operation, params)
    try:
        with transaction.atomic():
            locked = lock()
            if key is not None:
                existing = IdempotencyRecord.objects.filter(tenant=tenant, key=key).first()
                if existing is not None:
                    _replay(existing, request_hash)
                    return existing.transaction, existing.hold, True
            txn, hold = work(locked)
            if key is not None:
                IdempotencyRecord.objects.create(
                    tenant=tenant,
                    key=key,
                    operation=operation,
                    request_hash=request_hash,
                    transaction=txn,
                    hold=hold,
                )
            return txn, hold, False
    except IntegrityError:
        if key is None:
            raise
        existing = IdempotencyRecord.objects.filter(tenant=tenant, key=key).first()
        if existing is None:
            raise
        _replay(existing, request_hash)
        return existing.transaction, existing.hold, True


def _lock_wallet(wallet_id: int) -> Wallet:
    return Wallet.objects.select_for_update().select_related("tenant", "customer").get(pk=wallet_id)


def _insufficient(wallet: Wallet, needed: int) -> InsufficientFunds:
    return InsufficientFunds(
        f"Insufficient funds: {format_money(wallet.available, wallet.currency)} available, "
        f"{format_money(needed, wallet.currency)} needed.",
        fields={"amount": ["Exceeds the available balance."]},
    )


def _post(
    *,
    wallet: Wallet,
    event: str,
    amount: int,
    held_delta: int = 0,
    description: str = "",
    receipt_url: str = "",
    actor: Any = None,
    hold: Hold | None = None,
    related: Related = Related(),
) -> Transaction:
    """Append one transaction to a locked wallet and move its cached sums; refuse a negative available."""
    new_balance = wallet.balance + amount
    new_held = wallet.held + held_delta
    if new_held < 0:
        raise InvalidState("A hold cannot release more than is held.")
    if new_balance - new_held < 0:
        raise _insufficient(wallet, -(amount - held_delta))
    txn = Transaction.objects.create(
        tenant_id=wallet.tenant_id,
        wallet=wallet,
        event=event,
        amount=amount,
        held_delta=held_delta,
        balance_after=new_balance,
        held_after=new_held,
        description=description,
        receipt_url=receipt_url,
        hold=hold,
        related_type=related.type,
        related_id=related.id,
        actor=actor,
        actor_label=actor_label_for(actor),
    )
    Wallet.objects.filter(pk=wallet.pk).update(balance=new_balance, held=new_held, updated_at=timezone.now())
    wallet.balance, wallet.held = new_balance, new_held
    transaction_posted.send(sender=Transaction, transaction=txn, wallet=wallet)
    return txn


def wallet_credit(
    *,
    wallet: Wallet,
    amount: int,
    event: str = TransactionEvent.FUNDS_ADDED_BY_TENANT,
    description: str,
    receipt_url: str = "",
    actor: Any = None,
    related: Related = Related(),
    idempotency_key: str | None = None,
) -> tuple[Transaction, bool]:
    """Add money to a wallet; returns (transaction, replayed)."""
    by_tenant = event == TransactionEvent.FUNDS_ADDED_BY_TENANT
    amount = _validate_amount(amount, minimum=MINIMUM_TENANT_CREDIT if by_tenant else 1)
    description, receipt_url = _validate_text(description, receipt_url, description_required=by_tenant)
    audit = (
        ("funds.added", f"Added {format_money(amount, wallet.currency)}: {description}")
        if by_tenant
        else None
    )
    return _move(
        wallet=wallet,
        signed=amount,
        event=event,
        description=description,
        receipt_url=receipt_url,
        actor=actor,
        related=related,
        idempotency_key=idempotency_key,
        operation="wallet.credit",
        audit=audit,
    )


def wallet_debit(
    *,
    wallet: Wallet,
    amount: int,
    event: str = TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT,
    description: str,
    receipt_url: str = "",
    actor: Any = None,
    related: Related = Related(),
    idempotency_key: str | None = None,
) -> tuple[Transaction, bool]:
    """Take money from a wallet's available funds; refuses (InsufficientFunds) rather than go negative."""
    by_tenant = event == TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT
    amount = _validate_amount(amount)
    description, receipt_url = _validate_text(description, receipt_url, description_required=by_tenant)
    audit = (
        ("funds.removed", f"Removed {format_money(amount, wallet.currency)}: {description}")
        if by_tenant
        else None
    )
    return _move(
        wallet=wallet,
        signed=-amount,
        event=event,
        description=description,
        receipt_url=receipt_url,
        actor=actor,
        related=related,
        idempotency_key=idempotency_key,
        operation="wallet.debit",
        audit=audit,
    )


def _move(
    *,
    wallet: Wallet,
    signed: int,
    event: str,
    description: str,
    receipt_url: str,
    actor: Any,
    related: Related,
    idempotency_key: str | None,
    operation: str,
    audit: tuple[str, str] | None,
) -> tuple[Transaction, bool]:
    """Move validated money in or out of a wallet, once per idempotency key, with its audit entry."""
    params = {
        "wallet": wallet.pk,
        "amount": abs(signed),
        "event": event,
        "description": description,
        "receipt_url": receipt_url,
        "related": [related.type, related.id],
    }
    if rawsql.available():
        return _move_in_one_statement(
            wallet=wallet,
            signed=signed,
            event=event,
            description=description,
            receipt_url=receipt_url,
            actor=actor,
            related=related,
            key=idempotency_key_clean(idempotency_key),
            operation=operation,
            request_hash=request_fingerprint(operation, params),
            audit=audit,
        )

    def work(locked: Wallet) -> tuple[Transaction, None]:
        txn = _post(
            wallet=locked,
            event=event,
            amount=signed,
            description=description,
            receipt_url=receipt_url,
            actor=actor,
            related=related,
        )
        if audit is not None:
            audit_record(
                tenant=locked.tenant,
                customer=locked.customer,
                actor=actor,
                action=audit[0],
                summary=audit[1],
                changes={"balance": [locked.balance - signed, locked.balance]},
                receipt_url=receipt_url,
            )
        return txn, None

    txn, _hold, replayed = _idempotent(
        tenant=wallet.tenant,
        key=idempotency_key,
        operation=operation,
        params=params,
        lock=lambda: _lock_wallet(wallet.pk),
        work=work,
    )
    assert txn is not None
    return txn, replayed


# PostgreSQL: the whole movement in one prepared statement. The UPDATE takes the wallet's row lock and
# re-checks `balance + amount >= held` on the newest row version, so concurrent debits serialise on the
# row exactly as with SELECT … FOR UPDATE; the idempotency row is inserted by the same statement, so a
# second request with the same key fails on the unique index and is answered from the first's row.
_MOVE_SQL = """
WITH moved AS (
    UPDATE "wallets_wallet" SET "balance" = "balance" + %(amount)s::bigint, "updated_at" = %(now)s
    WHERE "id" = %(wallet)s AND "balance" + %(amount)s::bigint >= "held"
    RETURNING "id", "tenant_id", "customer_id", "balance", "held"
), txn AS (
    INSERT INTO "wallets_transaction" ("public_id", "tenant_id", "wallet_id", "event", "amount", "held_delta",
        "balance_after", "held_after", "description", "receipt_url", "hold_id", "related_type", "related_id",
        "actor_id", "actor_label", "created_at")
    SELECT %(public_id)s, "tenant_id", "id", %(event)s, %(amount)s::bigint, 0, "balance", "held",
        %(description)s, %(receipt_url)s, NULL, %(related_type)s, %(related_id)s, %(actor)s::bigint,
        %(actor_label)s, %(now)s
    FROM moved
    RETURNING "id"
), idempotency AS (
    INSERT INTO "wallets_idempotencyrecord" ("tenant_id", "key", "operation", "request_hash",
        "transaction_id", "hold_id", "created_at")
    SELECT moved."tenant_id", %(key)s::text, %(operation)s, %(request_hash)s, txn."id", NULL, %(now)s
    FROM moved, txn WHERE %(key)s::text IS NOT NULL
), audit AS (
    INSERT INTO "core_auditentry" ("tenant_id", "customer_id", "actor_id", "actor_label", "action", "summary",
        "changes", "receipt_url", "created_at")
    SELECT "tenant_id", "customer_id", %(actor)s::bigint, %(actor_label)s, %(audit_action)s::text,
        %(audit_summary)s,
        jsonb_build_object('balance', jsonb_build_array("balance" - %(amount)s::bigint, "balance")),
        %(receipt_url)s, %(now)s
    FROM moved WHERE %(audit_action)s::text IS NOT NULL
)
SELECT txn."id", moved."balance", moved."held" FROM moved, txn
"""


def _replayed_transaction(*, tenant_id: int, key: str, request_hash: str) -> Transaction | None:
    record = IdempotencyRecord.objects.filter(tenant_id=tenant_id, key=key).only(
        "request_hash", "transaction"
    )
    record = record.first()
    if record is None:
        return None
    _replay(record, request_hash)
    return Transaction.objects.select_related("actor").get(pk=record.transaction_id)


def _move_in_one_statement(
    *,
    wallet: Wallet,
    signed: int,
    event: str,
    description: str,
    receipt_url: str,
    actor: Any,
    related: Related,
    key: str | None,
    operation: str,
    request_hash: str,
    audit: tuple[str, str] | None,
) -> tuple[Transaction, bool]:
    # No look-up before the statement: a used key fails the statement on the unique index (nothing is
    # written) and is answered from its first result below; a first use costs one round trip.
    now = timezone.now()
    public_id = new_public_id("txn")
    actor_label = actor_label_for(actor)
    values = {
        "wallet": wallet.pk,
        "amount": signed,
        "now": now,
        "public_id": public_id,
        "event": event,
        "description": description,
        "receipt_url": receipt_url,
        "related_type": related.type,
        "related_id": related.id,
        "actor": actor.pk if actor is not None else None,
        "actor_label": actor_label,
        "key": key,
        "operation": operation,
        "request_hash": request_hash,
        "audit_action": audit[0] if audit else None,
        "audit_summary": audit[1][:300] if audit else "",
    }
    # One statement is atomic by itself: in autocommit it needs no BEGIN/COMMIT round trips. Inside a
    # caller's transaction a savepoint keeps a refused key from breaking that transaction; without a key
    # nothing can raise IntegrityError (a refused debit returns no row), so no savepoint is taken.
    guard = transaction.atomic() if key is not None and connection.in_atomic_block else nullcontext()
    try:
        with guard, connection.cursor() as cursor:
            cursor.execute(_MOVE_SQL, values)
            row = cursor.fetchone()
    except IntegrityError:
        if key is None:
            raise
        replay = _replayed_transaction(tenant_id=wallet.tenant_id, key=key, request_hash=request_hash)
        if replay is None:
            raise
        return replay, True
    if row is None:
        # Refused for funds; but a retry of a request that already succeeded gets its first result.
        if key is not None:
            replay = _replayed_transaction(tenant_id=wallet.tenant_id, key=key, request_hash=request_hash)
            if replay is not None:
                return replay, True
        current = Wallet.objects.get(pk=wallet.pk)
        raise _insufficient(current, -signed)
    txn_id, balance, held = row
    txn = Transaction(
        id=txn_id,
        public_id=public_id,
        tenant_id=wallet.tenant_id,
        wallet=wallet,
        event=event,
        amount=signed,
        held_delta=0,
        balance_after=balance,
        held_after=held,
        description=description,
        receipt_url=receipt_url,
        hold=None,
        related_type=related.type,
        related_id=related.id,
        actor=actor,
        actor_label=actor_label,
        created_at=now,
    )
    txn._state.adding = False
    txn._state.db = wallet._state.db or "default"
    wallet.balance, wallet.held = balance, held
    transaction_posted.send(sender=Transaction, transaction=txn, wallet=wallet)
    return txn, False


def hold_place(
    *,
    wallet: Wallet,
    amount: int,
    event: str = TransactionEvent.PLACED_BUY_ORDER,
    description: str = "",
    actor: Any = None,
    related: Related = Related(),
    idempotency_key: str | None = None,
) -> tuple[Hold, bool]:
    """Reserve `amount` of the available funds; the balance is unchanged, available drops."""
    amount = _validate_amount(amount)
    params = {
        "wallet": wallet.pk,
        "amount": amount,
        "event": event,
        "description": description,
        "related": [related.type, related.id],
    }

    def work(locked: Wallet) -> tuple[Transaction, Hold]:
        if locked.available < amount:
            raise InsufficientFunds(
                f"Insufficient funds: {format_money(locked.available, locked.currency)} available, "
                f"{format_money(amount, locked.currency)} needed for the hold.",
                fields={"amount": ["Exceeds the available balance."]},
            )
        hold = Hold.objects.create(
            tenant_id=locked.tenant_id,
            wallet=locked,
            amount=amount,
            reason=description,
            related_type=related.type,
            related_id=related.id,
        )
        txn = _post(
            wallet=locked,
            event=event,
            amount=0,
            held_delta=amount,
            description=description,
            actor=actor,
            hold=hold,
            related=related,
        )
        return txn, hold

    _txn, hold, replayed = _idempotent(
        tenant=wallet.tenant,
        key=idempotency_key,
        operation="hold.place",
        params=params,
        lock=lambda: _lock_wallet(wallet.pk),
        work=work,
    )
    assert hold is not None
    return hold, replayed


def _close_hold(hold: Hold, status: str) -> Hold:
    locked_hold = Hold.objects.select_for_update().get(pk=hold.pk)
    if locked_hold.status != Hold.Status.ACTIVE:
        raise InvalidState(f"This hold is already {locked_hold.get_status_display().lower()}.")
    locked_hold.status = status
    locked_hold.closed_at = timezone.now()
    locked_hold.save(update_fields=["status", "closed_at"])
    return locked_hold


def hold_release(
    *, hold: Hold, event: str = TransactionEvent.RELEASED_BUY_ORDER, description: str = "", actor: Any = None
) -> Transaction:
    """Give a hold's funds back to `available`; nothing is spent."""
    with transaction.atomic():
        wallet = _lock_wallet(hold.wallet_id)
        locked_hold = _close_hold(hold, Hold.Status.RELEASED)
        return _post(
            wallet=wallet,
            event=event,
            amount=0,
            held_delta=-locked_hold.amount,
            description=description,
            actor=actor,
            hold=locked_hold,
            related=Related(locked_hold.related_type, locked_hold.related_id),
        )


def hold_capture(
    *,
    hold: Hold,
    amount: int,
    event: str = TransactionEvent.LEAD_ASSIGNED,
    description: str = "",
    actor: Any = None,
    related: Related | None = None,
) -> Transaction:
    """Charge up to the held amount and release the rest of the hold, in one transaction row."""
    amount = _validate_amount(amount)
    with transaction.atomic():
        wallet = _lock_wallet(hold.wallet_id)
        locked_hold = Hold.objects.select_for_update().get(pk=hold.pk)
        if amount > locked_hold.amount:
            raise ValidationFailed.on("amount", "A capture cannot exceed the held amount.")
        locked_hold = _close_hold(locked_hold, Hold.Status.CAPTURED)
        return _post(
            wallet=wallet,
            event=event,
            amount=-amount,
            held_delta=-locked_hold.amount,
            description=description,
            actor=actor,
            hold=locked_hold,
            related=related or Related(locked_hold.related_type, locked_hold.related_id),
        )
