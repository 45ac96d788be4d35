"""/api/manage/customers/{id}/wallet and …/transactions: balances, tenant credits and debits, the ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Header, Query, Router
from ninja.responses import NinjaJSONEncoder

from juiced.api.auth import access_of
from juiced.api.representations import MAX_PER_PAGE, page_of, transaction_object, wallet_object
from juiced.api.schemas import ErrorOut, TransactionListOut, TransactionOut, WalletMovementIn, WalletOut
from juiced.core.errors import ValidationFailed
from juiced.wallets.models import Transaction, TransactionEvent, Wallet
from juiced.wallets.selectors import transaction_list
from juiced.wallets.services import wallet_credit, wallet_debit

router = Router(tags=["wallets"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/customers/{customer_id}/wallet", response={200: WalletOut, **ERRORS}, summary="Get a wallet")
def get_wallet(request: HttpRequest, customer_id: str):
    """Balance, held (active holds) and available = balance − held, in cents."""
    return wallet_object(access_of(request).customer(customer_id, permission="customers.view"))


def _check_currency(currency: str | None, wallet: Wallet) -> None:
    if currency is not None and currency.strip().lower() != wallet.currency.lower():
        raise ValidationFailed.on(
            "currency", f"This wallet holds {wallet.currency.lower()}; send that currency or leave it out."
        )


def _move(
    request: HttpRequest,
    *,
    customer_id: str,
    payload: WalletMovementIn,
    idempotency_key: str | None,
    service: Callable[..., tuple[Transaction, bool]],
):
    access = access_of(request)
    customer = access.customer(customer_id, permission="funds.manage")
    wallet = customer.wallet
    wallet.tenant = customer.tenant  # already loaded with the customer: spares the service a lazy query
    _check_currency(payload.currency, wallet)
    txn, replayed = service(
        wallet=wallet,
        amount=payload.amount,
        description=payload.description,
        receipt_url=payload.receipt_url or "",
        actor=access.user,
        idempotency_key=idempotency_key,
    )
    # The money path answers with a ready JSON response: the dict is built by our own typed representation,
    # so ninja's second validation of it through TransactionOut (a tenth of the request's CPU) is skipped.
    body = transaction_object(txn, customer_public_id=customer.public_id, currency=wallet.currency)
    created = JsonResponse(body, status=201, encoder=NinjaJSONEncoder)
    if replayed:
        created["Idempotent-Replayed"] = "true"
    return created


@router.post(
    "/customers/{customer_id}/wallet/credits",
    response={201: TransactionOut, **ERRORS},
    summary="Add funds",
)
def credit_wallet(
    request: HttpRequest,
    customer_id: str,
    payload: WalletMovementIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Add funds (event funds_added_by_tenant, at least 100 cents). A replayed Idempotency-Key returns the
    first transaction with `Idempotent-Replayed: true`; the same key with other parameters is a 409."""
    return _move(
        request,
        customer_id=customer_id,
        payload=payload,
        idempotency_key=idempotency_key,
        service=wallet_credit,
    )


@router.post(
    "/customers/{customer_id}/wallet/debits",
    response={201: TransactionOut, **ERRORS},
    summary="Remove funds",
)
def debit_wallet(
    request: HttpRequest,
    customer_id: str,
    payload: WalletMovementIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Remove funds (event funds_subtracted_by_tenant), never more than available: else 409
    insufficient_funds. Idempotency-Key as for credits."""
    return _move(
        request,
        customer_id=customer_id,
        payload=payload,
        idempotency_key=idempotency_key,
        service=wallet_debit,
    )


def _events(values: list[str] | None) -> list[str]:
    """Repeated or comma-separated event names; an unknown one is a 422 naming the allowed values."""
    events = [part.strip() for value in values or [] for part in value.split(",") if part.strip()]
    unknown = [e for e in events if e not in TransactionEvent.values]
    if unknown:
        allowed = ", ".join(TransactionEvent.values)
        raise ValidationFailed.on("event", f"Unknown event {unknown[0]!r}; use one of: {allowed}.")
    return events


def _day_start(day: date | None, *, plus_days: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=plus_days), time.min, tzinfo=UTC)


@router.get(
    "/customers/{customer_id}/transactions",
    response={200: TransactionListOut, **ERRORS},
    tags=["transactions"],
    summary="List transactions",
)
def list_transactions(
    request: HttpRequest,
    customer_id: str,
    event: list[str] = Query(None),
    search: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = Query(1, ge=1),
    per_page: int = Query(25, ge=1, le=MAX_PER_PAGE),
) -> dict[str, Any]:
    """Newest first; `event` repeatable or comma-separated; `since`/`until` are UTC dates, both inclusive."""
    customer = access_of(request).customer(customer_id, permission="transactions.view")
    transactions = transaction_list(
        wallet=customer.wallet,
        events=_events(event),
        search=search,
        since=_day_start(since),
        until=_day_start(until, plus_days=1),
    )
    rows, meta = page_of(transactions, page=page, per_page=per_page)
    currency = customer.wallet.currency
    data = [transaction_object(t, customer_public_id=customer.public_id, currency=currency) for t in rows]
    return {**meta, "data": data}
