"""The customer page's Transactions and Invites tabs, the funds page reached from the Overview (Add funds,
Remove funds, Timeline), and the Leads tab's return actions (start a return, approve or reject one).

Same rules as views/customers.py: `@staff_view` resolves the tenant, `request.access.customer()` loads the
customer (404 for another tenant's), and every change goes through a service. Bids and Leads render from
leads/views_manage.py; Users and the CSV export stay in views/customers.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError, NotFound
from juiced.core.money import format_money
from juiced.customers import selectors as customer_selectors
from juiced.customers.models import Customer
from juiced.leads import selectors as lead_selectors
from juiced.leads.models import Lead
from juiced.leads.views_manage import customer_leads_context
from juiced.returns import selectors as return_selectors
from juiced.returns import services as return_services
from juiced.returns.forms_returns import DecisionForm, ReturnRequestForm
from juiced.tenants import services as tenant_services
from juiced.wallets.selectors import adjustment_timeline
from juiced.wallets.services import wallet_credit, wallet_debit
from juiced.web.access import add_domain_errors, staff_view
from juiced.web.forms import CustomerInviteForm, FundsForm
from juiced.web.views.customers import _customer_page_context as customer_page_context
from juiced.web.views.ledger import transactions_context
from juiced.web.views.pages import render_page_or_partial

TIMELINE_LIMIT = 50


def _tab_url(request: HttpRequest, customer: Customer, name: str) -> str:
    return reverse(name, args=[request.access.tenant.slug, customer.public_id])


# --- Transactions tab ---------------------------------------------------------------------------------


def related_url(*, tenant_slug: str, customer_id: str, related_type: str, related_id: str) -> str:
    """The dashboard page of the record a transaction points at, or "" when it has no page."""
    if not related_id:
        return ""
    customer_base = f"/manage/{tenant_slug}/customers/{customer_id}/"
    if related_type == "lead":
        return f"/manage/{tenant_slug}/leads/{related_id}/"
    if related_type == "return":
        return f"/manage/{tenant_slug}/returns/?status=all&customer={customer_id}#row-{related_id}"
    if related_type == "payment":
        return f"{customer_base}payment-methods/#payment-{related_id}"
    return ""


@staff_view("transactions.view")
def customer_transactions(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Every wallet transaction: when, event (linked to its lead, return or deposit), amount and id."""
    customer = request.access.customer(customer_id, permission="transactions.view")
    context = customer_page_context(request, customer, "transactions")
    context |= transactions_context(request, customer.wallet)
    context |= {
        "csv_url": _tab_url(request, customer, "manage_customer_transactions_csv"),
        "show_actor": True,
    }
    page = context["page"]
    page.object_list = list(page.object_list)
    # Link only what this person can open: a lead that exists, payments for those who manage them.
    leads = lead_selectors.existing_lead_ids(
        tenant=request.access.tenant,
        public_ids=[txn.related_id for txn in page.object_list if txn.related_type == "lead"],
    )
    for txn in page.object_list:
        missing = txn.related_type == "lead" and txn.related_id not in leads
        forbidden = txn.related_type == "payment" and not request.access.can("payment_methods.manage")
        txn.related_url = (
            ""
            if missing or forbidden
            else related_url(
                tenant_slug=request.access.tenant.slug,
                customer_id=customer.public_id,
                related_type=txn.related_type,
                related_id=txn.related_id,
            )
        )
    return render_page_or_partial(
        request,
        "juiced/manage/customers/transactions.html",
        "juiced/ledger/_transactions.html",
        context,
    )


@staff_view("customers.view")
def customer_wallet_moved(request: HttpRequest, customer_id: str) -> HttpResponse:
    """The old Wallet tab: its transactions are the Transactions tab now (filters kept)."""
    customer = request.access.customer(customer_id)
    url = _tab_url(request, customer, "manage_customer_transactions")
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


# --- funds: Add funds, Remove funds and Timeline (actions of the Overview) --------------------------


def _funds_page(
    request: HttpRequest,
    customer: Customer,
    *,
    add_form: FundsForm | None = None,
    remove_form: FundsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    wallet = customer.wallet
    context = customer_page_context(request, customer, "overview")
    context |= {
        "wallet": wallet,
        "add_form": add_form or FundsForm(prefix="add"),
        "remove_form": remove_form or FundsForm(prefix="remove", with_receipt=False),
        "timeline": adjustment_timeline(wallet=wallet)[:TIMELINE_LIMIT],
    }
    return render(request, "juiced/manage/customers/funds.html", context, status=status)


@staff_view("customers.view")
def customer_funds(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _funds_page(request, request.access.customer(customer_id))


def _move_funds(request: HttpRequest, customer_id: str, *, adding: bool) -> HttpResponse:
    customer = request.access.customer(customer_id, permission="funds.manage")
    form = FundsForm(request.POST, prefix="add" if adding else "remove", with_receipt=adding)
    if form.is_valid():
        move = wallet_credit if adding else wallet_debit
        try:
            _txn, replayed = move(
                wallet=customer.wallet,
                amount=form.cleaned_data["amount"],
                description=form.cleaned_data["description"],
                receipt_url=form.cleaned_data.get("receipt_url", ""),
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            amount = format_money(form.cleaned_data["amount"], customer.wallet.currency)
            if replayed:
                messages.info(request, "That request was already recorded; nothing was added twice.")
            else:
                messages.success(request, f"{'Added' if adding else 'Removed'} {amount}.")
            return redirect(_tab_url(request, customer, "manage_customer_funds"))
    customer.wallet.refresh_from_db()
    forms_by_prefix = {"add_form": form} if adding else {"remove_form": form}
    return _funds_page(request, customer, status=422, **forms_by_prefix)


@require_POST
@staff_view("funds.manage")
def customer_add_funds(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _move_funds(request, customer_id, adding=True)


@require_POST
@staff_view("funds.manage")
def customer_remove_funds(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _move_funds(request, customer_id, adding=False)


# --- Invites tab --------------------------------------------------------------------------------------


def _invites_page(
    request: HttpRequest, customer: Customer, *, form: CustomerInviteForm | None = None, status: int = 200
) -> HttpResponse:
    context = customer_page_context(request, customer, "invites")
    context |= {
        "invites": customer_selectors.customer_pending_invites(customer),
        "invite_form": form or CustomerInviteForm(),
    }
    return render(request, "juiced/manage/customers/invites.html", context, status=status)


@staff_view("customers.view")
def customer_invites(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Pending invitations to this customer (GET) and the invite form (POST needs invites.send)."""
    if request.method != "POST":
        return _invites_page(request, request.access.customer(customer_id))
    customer = request.access.customer(customer_id, permission="invites.send")
    form = CustomerInviteForm(request.POST)
    if form.is_valid():
        try:
            invite, _raw = tenant_services.invite_create(
                tenant=request.access.tenant,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                customer=customer,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invite.email}.")
            return redirect(_tab_url(request, customer, "manage_customer_invites"))
    return _invites_page(request, customer, form=form, status=422)


def _invite_action(request: HttpRequest, customer_id: str, invite_id: str, *, revoke: bool) -> HttpResponse:
    customer = request.access.customer(customer_id, permission="invites.revoke" if revoke else "invites.send")
    invite = customer_selectors.customer_invite(customer, invite_id)
    try:
        if revoke:
            tenant_services.invite_revoke(invite=invite, actor=request.user)
        else:
            tenant_services.invite_resend(invite=invite, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = "was revoked" if revoke else "was sent again with a new link"
        messages.success(request, f"The invite to {invite.email} {done}.")
    return redirect(_tab_url(request, customer, "manage_customer_invites"))


@require_POST
@staff_view("invites.send")
def customer_invite_resend(request: HttpRequest, customer_id: str, invite_id: str) -> HttpResponse:
    return _invite_action(request, customer_id, invite_id, revoke=False)


@require_POST
@staff_view("invites.revoke")
def customer_invite_revoke(request: HttpRequest, customer_id: str, invite_id: str) -> HttpResponse:
    return _invite_action(request, customer_id, invite_id, revoke=True)


# --- Leads tab: returns -------------------------------------------------------------------------------


def _leads_tab_with_row_error(
    request: HttpRequest, customer: Customer, return_id: str, exc: DomainError, *, note: str
) -> HttpResponse | None:
    """The Leads tab (422) with the refusal next to the return's note, or None when the row isn't shown."""
    context = customer_leads_context(request, customer)
    for lead in context["page"].object_list:
        pending = lead.pending_return
        if pending is not None and pending.public_id == return_id:
            pending.error = " ".join(exc.fields.get("note", [])) or exc.message
            pending.note_value = note
            return render(request, "leads/manage/customer_leads.html", context, status=422)
    return None


def _customer_lead(request: HttpRequest, customer: Customer, lead_id: str) -> Lead:
    """A lead sold to this customer, or NotFound (404): another customer's lead is not found here."""
    lead = lead_selectors.lead_get(tenant=request.access.tenant, public_id=lead_id)
    if lead.customer_id != customer.pk:
        raise NotFound("No such lead.")
    return lead


@staff_view("returns.decide")
def customer_lead_return(request: HttpRequest, customer_id: str, lead_id: str) -> HttpResponse:
    """Start a return of one of the customer's leads on the customer's behalf."""
    customer = request.access.customer(customer_id, permission="returns.decide")
    lead = _customer_lead(request, customer, lead_id)
    settings = return_services.settings_for(request.access.tenant)
    form = ReturnRequestForm(request.POST or None, reasons=settings.reasons or [])
    leads_url = _tab_url(request, customer, "manage_customer_leads")
    if request.method == "POST" and form.is_valid():
        try:
            created = return_services.return_request(
                tenant=request.access.tenant,
                customer=customer,
                lead_id=lead.public_id,
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Return {created.public_id} opened for lead {lead.public_id}.")
            return redirect(leads_url)
    context = customer_page_context(request, customer, "leads")
    context |= {
        "lead": lead,
        "form": form,
        "settings": settings,
        "closes": return_services.window_closes_at(lead=lead, settings=settings),
        "open_request": return_selectors.open_request_for(lead=lead),
        "leads_url": leads_url,
    }
    return render(
        request, "juiced/manage/customers/lead_return.html", context, status=422 if form.errors else 200
    )


@require_POST
@staff_view("returns.decide")
def customer_return_decide(
    request: HttpRequest, customer_id: str, return_id: str, action: str
) -> HttpResponse:
    """Approve (credit what the lead cost) or reject a pending return of this customer's lead."""
    customer = request.access.customer(customer_id, permission="returns.decide")
    tenant = request.access.tenant
    return_selectors.return_get(tenant=tenant, public_id=return_id, customer=customer)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    decide = return_services.return_approve if action == "approve" else return_services.return_reject
    try:
        decide(tenant=tenant, request_id=return_id, actor=request.user, note=note)
    except DomainError as exc:
        page = _leads_tab_with_row_error(request, customer, return_id, exc, note=form.data.get("note", ""))
        if page is not None:
            return page
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Return {return_id} {'approved' if action == 'approve' else 'rejected'}.")
    return redirect(_tab_url(request, customer, "manage_customer_leads"))
