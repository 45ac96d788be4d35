"""Dashboard customer pages: list, create, edit, and the customer page's Overview, Wallet and Users tabs.

Views are thin: `@staff_view` resolves the tenant and role, `request.access.customer()` loads the
customer (404 for another tenant's), and every change goes through a service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError, ValidationFailed
from juiced.core.money import format_money
from juiced.customers import selectors as customer_selectors
from juiced.customers import services as customer_services
from juiced.customers.models import Customer
from juiced.customers.onboarding import onboarding_progress
from juiced.returns.recalc import tier_standing
from juiced.web.access import add_domain_errors, staff_view
from juiced.web.forms import CustomerFilterForm, CustomerForm
from juiced.web.views.ledger import transactions_csv
from juiced.web.views.pages import render_page_or_partial

CUSTOMERS_PER_PAGE = 25
HISTORY_LIMIT = 100
MONEY_FIELDS = ("daily_budget", "weekly_budget", "monthly_budget", "balance")
STATUS_ACTIONS = {
    "archive": (customer_services.customer_archive, "Customer archived."),
    "restore": (customer_services.customer_restore, "Customer restored."),
    "pause": (customer_services.customer_pause, "Account paused."),
    "unpause": (customer_services.customer_unpause, "Account unpaused."),
}
SORT_COLUMNS = [
    ("name", "Name"),
    ("email", "E-mail"),
    ("", "Status"),
    ("available", "Available"),
    ("created", "Created"),
]
TOGGLE_LABELS = {
    "is_onboarded": "Onboarded",
    "can_access_bidding": "Can access bidding",
    "return_tiers_disabled": "Disable return tiers (ignore dispute tiers)",
}


def _url(name: str, request: HttpRequest, *args: Any) -> str:
    return reverse(name, args=[request.access.tenant.slug, *args])


def _customer_url(request: HttpRequest, customer: Customer, tab: str = "") -> str:
    name = {"": "manage_customer", "wallet": "manage_customer_wallet", "users": "manage_customer_users"}[tab]
    return _url(name, request, customer.public_id)


# --- list and create ----------------------------------------------------------------------------------


@staff_view("customers.view")
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    selection = form.selection()
    customers = customer_selectors.customer_list(customers=request.access.customers(), **selection)
    page = Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(customer, customer_selectors.customer_statuses(customer)) for customer in page]
    context = {
        "filter_form": form,
        "page": page,
        "rows": rows,
        "sort": selection["sort"],
        "sort_columns": SORT_COLUMNS,
        "currency": request.access.tenant.currency,
        "can_edit": request.access.can("customers.edit"),
    }
    return render_page_or_partial(
        request, "juiced/manage/customers/list.html", "juiced/manage/customers/_table.html", context
    )


@staff_view("customers.edit")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_services.customer_create(
                tenant=request.access.tenant, actor=request.user, data=form.service_data()
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Customer {customer.name} created.")
            return redirect(_customer_url(request, customer))
    status = 422 if form.errors else 200
    return render(
        request, "juiced/manage/customers/form.html", {"form": form, "customer": None}, status=status
    )


# --- the customer page --------------------------------------------------------------------------------


def _customer_page_context(request: HttpRequest, customer: Customer, tab: str) -> dict[str, Any]:
    return {
        "customer": customer,
        "tab": tab,
        "statuses": customer_selectors.customer_statuses(customer),
        "currency": customer.wallet.currency,
        "access": request.access,
        "can_edit": request.access.can("customers.edit"),
        "can_manage_funds": request.access.can("funds.manage"),
        "can_view_transactions": request.access.can("transactions.view"),
        "can_invite": request.access.can("invites.send"),
        "can_revoke": request.access.can("invites.revoke"),
        "can_detach": request.access.can("customer_users.manage"),
    }


def _display_change(field: str, value: Any, currency: str) -> Any:
    if field in MONEY_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return format_money(value, currency)
    return value


def _history_rows(customer: Customer) -> list[dict[str, Any]]:
    """Audit entries with old → new values ready to show (money fields formatted)."""
    currency = customer.wallet.currency
    rows = []
    for entry in customer_selectors.customer_history(customer)[:HISTORY_LIMIT]:
        changes = [
            (field, _display_change(field, old, currency), _display_change(field, new, currency))
            for field, (old, new) in sorted((entry.changes or {}).items())
        ]
        rows.append({"entry": entry, "changes": changes})
    return rows


@staff_view("customers.view")
def customer_overview(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = request.access.customer(customer_id)
    context = _customer_page_context(request, customer, "overview")
    context |= {
        "stats": customer_selectors.customer_stats(customer),
        "history": _history_rows(customer),
        "toggles": [(field, label, getattr(customer, field)) for field, label in TOGGLE_LABELS.items()],
        "standing": tier_standing(customer=customer),
        "onboarding": onboarding_progress(customer=customer),
    }
    return render(request, "juiced/manage/customers/overview.html", context)


@staff_view("customers.edit")
def customer_edit(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = request.access.customer(customer_id, permission="customers.edit")
    form = CustomerForm(request.POST or None, initial=CustomerForm.initial_for(customer))
    if request.method == "POST" and form.is_valid():
        try:
            customer_services.customer_update(customer=customer, actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect(_customer_url(request, customer))
    status = 422 if form.errors else 200
    context = {"form": form, "customer": customer}
    return render(request, "juiced/manage/customers/form.html", context, status=status)


@require_POST
@staff_view("customers.edit")
def customer_status_action(request: HttpRequest, customer_id: str, action: str) -> HttpResponse:
    """Archive, restore, pause or unpause (the buttons ask for confirmation first)."""
    customer = request.access.customer(customer_id, permission="customers.edit")
    service, done = STATUS_ACTIONS[action]
    try:
        service(customer=customer, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(_customer_url(request, customer))


@require_POST
@staff_view("customers.edit")
def customer_toggle(request: HttpRequest, customer_id: str, field: str) -> HttpResponse:
    """Switch one of the customer's toggles to the posted value ("on" or anything else for off)."""
    customer = request.access.customer(customer_id, permission="customers.edit")
    value = request.POST.get("value") == "on"
    try:
        customer_services.customer_update(customer=customer, actor=request.user, data={field: value})
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{TOGGLE_LABELS[field]}: {'on' if value else 'off'}.")
    return redirect(_customer_url(request, customer))


@staff_view("transactions.view")
def customer_transactions_csv(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = request.access.customer(customer_id, permission="transactions.view")
    return transactions_csv(request, customer.wallet, filename=customer.public_id, with_actor=True)


# --- Users tab ----------------------------------------------------------------------------------------


def _users_page(request: HttpRequest, customer: Customer) -> HttpResponse:
    context = _customer_page_context(request, customer, "users")
    context["memberships"] = customer_selectors.customer_users(customer)
    return render(request, "juiced/manage/customers/users.html", context)


@staff_view("customers.view")
def customer_users(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _users_page(request, request.access.customer(customer_id))


@require_POST
@staff_view("customer_users.manage")
def customer_user_detach(request: HttpRequest, customer_id: str, user_id: str) -> HttpResponse:
    customer = request.access.customer(customer_id, permission="customer_users.manage")
    customer_services.customer_user_detach(customer=customer, actor=request.user, user_public_id=user_id)
    messages.success(request, "User detached from this customer.")
    return redirect(_customer_url(request, customer, "users"))
