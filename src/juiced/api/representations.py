"""Plain dicts for API objects, built from rows (a replayed transaction is rebuilt from its row alone)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from juiced.customers.models import Customer
from juiced.customers.selectors import CustomerStatuses
from juiced.wallets.models import Transaction, TransactionEvent, Wallet

MAX_PER_PAGE = 100


def currency_code(wallet: Wallet) -> str:
    return wallet.currency.lower()


def wallet_summary(wallet: Wallet) -> dict[str, Any]:
    return {
        "balance": wallet.balance,
        "held": wallet.held,
        "available": wallet.available,
        "currency": currency_code(wallet),
    }


def wallet_object(customer: Customer) -> dict[str, Any]:
    return {"object": "wallet", "customer": customer.public_id, **wallet_summary(customer.wallet)}


def customer_object(customer: Customer, statuses: CustomerStatuses) -> dict[str, Any]:
    return {
        "id": customer.public_id,
        "object": "customer",
        **{
            field: getattr(customer, field)
            for field in (
                "name",
                "email",
                "phone",
                "address1",
                "address2",
                "city",
                "state",
                "zip_code",
                "is_onboarded",
                "can_access_bidding",
                "return_tiers_disabled",
                "daily_cap",
                "weekly_cap",
                "monthly_cap",
                "daily_budget",
                "weekly_budget",
                "monthly_budget",
            )
        },
        "archived": customer.is_archived,
        "status": {
            "display": statuses.display.value,
            "operational": statuses.operational.value,
            "funding": statuses.funding.value,
            "cap": statuses.cap.value,
            "budget": statuses.budget.value,
        },
        "wallet": wallet_summary(customer.wallet),
        **customer_return_standing(customer),
        "created": customer.created_at,
        "updated": customer.updated_at,
    }


# Customer pages of the API load each customer's return tier with the page (page_of), so the list stays a
# fixed number of queries; a lone customer costs one more query.
CUSTOMER_RELATED = ("return_tier__tier",)


def customer_return_standing(customer: Customer) -> dict[str, Any]:
    """`return_rate` (a number, 2 places) and `return_tier` ({id, name} or null) from the customer's
    CustomerTier as the last recalculation left it (0 and null without one)."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        row = customer.return_tier
    except ObjectDoesNotExist:
        row = None
    if row is None:
        return {"return_rate": 0.0, "return_tier": None}
    tier = row.tier
    return {
        "return_rate": float(row.return_rate),
        "return_tier": None if tier is None else {"id": tier.public_id, "name": tier.name},
    }


def transaction_object(txn: Transaction, *, customer_public_id: str, currency: str) -> dict[str, Any]:
    """The transaction as the API shows it, from the row alone (balance_after and held_after are stored)."""
    if txn.actor_id is not None and txn.actor is not None:
        actor: dict[str, Any] = {"type": "user", "id": txn.actor.public_id, "email": txn.actor.email}
    else:
        actor = {"type": "system"}
    return {
        "id": txn.public_id,
        "object": "transaction",
        "customer": customer_public_id,
        "event": txn.event,
        "event_label": TransactionEvent(txn.event).label,
        "amount": txn.amount,
        "held_delta": txn.held_delta,
        "currency": currency.lower(),
        "balance_after": txn.balance_after,
        "available_after": txn.available_after,
        "description": txn.description,
        "receipt_url": txn.receipt_url or None,
        "related": {"type": txn.related_type, "id": txn.related_id} if txn.related_type else None,
        "actor": actor,
        "created": txn.created_at,
    }


def page_of(queryset: QuerySet, *, page: int, per_page: int) -> tuple[list[Any], dict[str, Any]]:
    """One page of rows and the list envelope's counters (a count query plus the page query)."""
    if queryset.model is Customer:
        queryset = queryset.select_related(*CUSTOMER_RELATED)
    total = queryset.count()
    offset = (page - 1) * per_page
    rows = list(queryset[offset : offset + per_page]) if offset < total else []
    meta = {"object": "list", "page": page, "per_page": per_page, "total": total}
    meta["has_more"] = offset + len(rows) < total
    return rows, meta
