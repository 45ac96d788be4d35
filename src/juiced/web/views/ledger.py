"""The transaction list and its CSV export, shared by the dashboard's Wallet tab and the portal."""

from __future__ import annotations

import csv
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.text import slugify

from juiced.core.money import cents_to_decimal
from juiced.wallets.models import Wallet
from juiced.wallets.selectors import transaction_list
from juiced.web.forms import TransactionFilterForm

TRANSACTIONS_PER_PAGE = 25
# A spreadsheet treats a cell starting with these as a formula; descriptions are typed by people.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def filtered_transactions(request: HttpRequest, wallet: Wallet) -> tuple[TransactionFilterForm, Any]:
    form = TransactionFilterForm(request.GET or None)
    return form, transaction_list(wallet=wallet, **form.selection())


def transactions_context(request: HttpRequest, wallet: Wallet) -> dict[str, Any]:
    """Filter form, one page of transactions and the query string to keep across pages and export."""
    form, transactions = filtered_transactions(request, wallet)
    page: Page = Paginator(transactions, TRANSACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"filter_form": form, "page": page, "filter_query": query.urlencode(), "wallet": wallet}


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def transactions_csv(
    request: HttpRequest, wallet: Wallet, *, filename: str, with_actor: bool
) -> HttpResponse:
    """Every transaction matching the filters as CSV (amounts in currency units, two decimals)."""
    _form, transactions = filtered_transactions(request, wallet)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(filename)}-transactions.csv"'
    writer = csv.writer(response)
    header = ["id", "created_at", "event", "amount", "held_change", "balance_after", "available_after"]
    header += ["currency", "description", "related_type", "related_id", "receipt_url"]
    if with_actor:
        header.append("actor")
    writer.writerow(header)
    for txn in transactions.iterator(chunk_size=1000):
        row = [
            txn.public_id,
            txn.created_at.isoformat(),
            txn.get_event_display(),
            cents_to_decimal(txn.amount),
            cents_to_decimal(txn.held_delta),
            cents_to_decimal(txn.balance_after),
            cents_to_decimal(txn.available_after),
            wallet.currency,
            _cell(txn.description),
            txn.related_type,
            txn.related_id,
            _cell(txn.receipt_url),
        ]
        if with_actor:
            row.append(_cell(txn.actor_label))
        writer.writerow(row)
    return response
