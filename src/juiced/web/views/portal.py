"""The buyer portal (/app/): wallet, transactions, onboarding videos and the customer switcher.

`@portal_view` resolves `request.portal` for the customer chosen in the session; every page shows that
customer's data only, and switching to a customer the user does not belong to is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError
from juiced.core.tenancy import customer_access
from juiced.customers.onboarding import onboarding_progress, onboarding_video_watch
from juiced.customers.services import customer_self_pause, customer_self_unpause, paused_by_staff
from juiced.returns.recalc import tier_standing
from juiced.wallets.selectors import transaction_list
from juiced.web.access import PORTAL_SESSION_KEY, portal_view
from juiced.web.views.ledger import transactions_context, transactions_csv
from juiced.web.views.pages import render_page_or_partial

RECENT_TRANSACTIONS = 10


@portal_view("wallet.view")
def portal_wallet(request: HttpRequest) -> HttpResponse:
    wallet = request.portal.customer.wallet
    context = {
        "customer": request.portal.customer,
        "wallet": wallet,
        "recent": transaction_list(wallet=wallet)[:RECENT_TRANSACTIONS],
        "can_view_transactions": request.portal.can("transactions.view"),
        "standing": tier_standing(customer=request.portal.customer),
        "onboarding": onboarding_progress(customer=request.portal.customer),
        "can_pause": request.portal.can("account.pause"),
        "paused_by_staff": paused_by_staff(request.portal.customer),
    }
    return render(request, "juiced/portal/wallet.html", context)


@require_POST
@portal_view("account.pause")
def portal_account_pause(request: HttpRequest, action: str) -> HttpResponse:
    """Pause or resume the customer's own account (Customer Admin); a staff pause only staff lift."""
    service = customer_self_pause if action == "pause" else customer_self_unpause
    try:
        service(customer=request.portal.customer, actor=request.user)
        messages.success(
            request, "Account paused: no leads until you resume." if action == "pause" else "Resumed."
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal_wallet")


@portal_view()
def portal_onboarding(request: HttpRequest) -> HttpResponse:
    """The tenant's onboarding videos, each with "Mark as watched" (any user of the customer may mark)."""
    context = {
        "customer": request.portal.customer,
        "onboarding": onboarding_progress(customer=request.portal.customer),
    }
    return render(request, "juiced/portal/onboarding.html", context)


@require_POST
@portal_view()
def portal_onboarding_watch(request: HttpRequest, video_id: str) -> HttpResponse:
    """Record that this user watched one video; htmx gets the list back, a plain form a redirect."""
    customer = request.portal.customer
    error = ""
    try:
        progress = onboarding_video_watch(customer=customer, user=request.user, video_public_id=video_id)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        error = exc.message
        progress = onboarding_progress(customer=customer)
    if request.htmx:
        customer.refresh_from_db()
        context = {"customer": customer, "onboarding": progress, "error": error}
        return render(request, "juiced/portal/_onboarding_videos.html", context)
    if error:
        messages.error(request, error)
    elif progress.may_bid:
        messages.success(request, "Onboarding complete: you can place bids now.")
    else:
        messages.success(request, f"Marked as watched ({progress.watched} of {progress.total}).")
    return redirect("portal_onboarding")


@portal_view("transactions.view")
def portal_transactions(request: HttpRequest) -> HttpResponse:
    context = transactions_context(request, request.portal.customer.wallet)
    context |= {
        "customer": request.portal.customer,
        "csv_url": reverse("portal_transactions_csv"),
        "show_actor": False,
    }
    return render_page_or_partial(
        request, "juiced/portal/transactions.html", "juiced/ledger/_transactions.html", context
    )


@portal_view("transactions.view")
def portal_transactions_csv(request: HttpRequest) -> HttpResponse:
    customer = request.portal.customer
    return transactions_csv(request, customer.wallet, filename=customer.name, with_actor=False)


@require_POST
@portal_view()
def portal_switch(request: HttpRequest) -> HttpResponse:
    """Act for another customer the user belongs to; any other id is not found."""
    chosen = customer_access(request.user, request.POST.get("customer", "").strip() or "-")
    request.session[PORTAL_SESSION_KEY] = chosen.customer.public_id
    messages.success(request, f"You are now working for {chosen.customer.name}.")
    return redirect("portal_wallet")
