"""Vending pages under /manage/<tenant>/vending/: home, search, the account level view and its tabs.

The account page is the seed's seven parts: Master Account button, Quick Pay buttons, Customer, Location
and Meter at a glance, Tariff overview, Account tabs. What a person sees follows the role table
(`juiced.tenants.roles`, vending.*); every look-up starts from the request's tenant, so another tenant's
record is a 404. Views are thin: forms parse, the vending services decide and write.
Quick Pay, receipts, reversals and batches are in views_sales.py; lists and manage screens in
views_manage.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError
from juiced.vending import arrears as arrears_services
from juiced.vending import documents as document_services
from juiced.vending import selectors, setup
from juiced.vending.forms import (
    QUICK_PAY_BUTTONS,
    AccountSettingsForm,
    CalculatorForm,
    DebtForm,
    DocumentForm,
    InstalmentForm,
    MoneyMoveForm,
    NoteForm,
    PlanForm,
    SearchForm,
    SmsForm,
    StatusForm,
    cents_or_none,
)
from juiced.vending.messaging import send_customer_sms
from juiced.vending.models import (
    Account,
    AccountDocument,
    AccountStatus,
    ArrearsDebt,
    Pocket,
    RepaymentPlan,
    Sale,
    Tariff,
)
from juiced.vending.sales import quote_for_account
from juiced.web.access import add_domain_errors, staff_view

VIEW = "vending.view"
MANAGE = "vending.accounts.manage"

# Account tabs: (slug, label, permission). Cashiers see the overview and vend history; the rest is the
# back office's (Vending Supervisor, Admin).
TABS: tuple[tuple[str, str, str], ...] = (
    ("overview", "Overview", VIEW),
    ("vends", "Vend history", VIEW),
    ("money", "Money transactions", MANAGE),
    ("wallet", "Wallet", MANAGE),
    ("deposit", "Deposit", MANAGE),
    ("arrears", "Arrears and plans", MANAGE),
    ("documents", "Documents", MANAGE),
    ("notes", "Notes", MANAGE),
    ("audit", "Audit", MANAGE),
)
TAB_PERMISSION = {slug: permission for slug, _label, permission in TABS}


# --- shared helpers (also used by views_sales and views_manage) -----------------------------------------


def base_url(request: HttpRequest) -> str:
    return f"/manage/{request.access.tenant.slug}/vending"


def tenant_get(request: HttpRequest, model: type[Model], public_id: str) -> Any:
    """The tenant's row with this public id, or 404 (another tenant's row is simply not found)."""
    row = model.objects.filter(tenant=request.access.tenant, public_id=public_id).first()
    if row is None:
        raise Http404("Not found.")
    return row


def account_for(request: HttpRequest, account_id: str) -> Account:
    try:
        return selectors.account_get(request.access.tenant, account_id)
    except DomainError as exc:
        raise Http404(exc.message) from None


def vending_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "base": base_url(request),
        "access": request.access,
        "currency": request.access.tenant.currency,
        "search_form": SearchForm(request.GET if "q" in request.GET else None),
        **extra,
    }


def quick_pay_buttons(request: HttpRequest) -> list[dict[str, str]]:
    return [
        {"kind": kind, "label": label}
        for kind, label, permission in QUICK_PAY_BUTTONS
        if request.access.can(permission)
    ]


def account_context(request: HttpRequest, account: Account, tab: str, **extra: Any) -> dict[str, Any]:
    """What every account page shows: header (master button, Quick Pay, cart) and the tabs it may see."""
    can = request.access.can
    tariff = account.tariff
    return vending_context(
        request,
        account=account,
        customer=account.customer,
        location=account.location,
        meter=account.meter,
        tariff=tariff,
        version=tariff.current_version,
        master=account.master,
        tab=tab,
        tabs=[(slug, label) for slug, label, permission in TABS if can(permission)],
        buttons=quick_pay_buttons(request),
        can_sell=can("vending.sell") and account.status == AccountStatus.ACTIVE,
        can_manage=can(MANAGE),
        account_url=f"{base_url(request)}/accounts/{account.public_id}",
        **extra,
    )


def redirect_back(request: HttpRequest, account: Account, tab: str = "overview") -> HttpResponse:
    suffix = "" if tab == "overview" else f"{tab}/"
    return redirect(f"{base_url(request)}/accounts/{account.public_id}/{suffix}")


# --- home and search ----------------------------------------------------------------------------------


@staff_view(VIEW)
def home(request: HttpRequest) -> HttpResponse:
    """The vending home: search, and the shortcuts this role has."""
    recent = (
        Sale.objects.filter(tenant=request.access.tenant)
        .select_related("account", "account__customer")
        .order_by("-created_at", "-id")[:10]
    )
    return render(request, "juiced/vending/home.html", vending_context(request, recent=recent))


@staff_view(VIEW)
def search(request: HttpRequest) -> HttpResponse:
    """Account number, customer name, phone, Loc ID or meter serial → the results, or the account itself
    when exactly one matches."""
    form = SearchForm(request.GET)
    q = (request.GET.get("q") or "").strip()
    results = list(selectors.accounts_search(request.access.tenant, q)[:50]) if q else []
    if len(results) == 1 and not request.htmx:
        return redirect(f"{base_url(request)}/accounts/{results[0].public_id}/")
    return render(
        request,
        "juiced/vending/search.html",
        vending_context(request, search_form=form, q=q, results=results),
    )


# --- the account level view ---------------------------------------------------------------------------


@staff_view(VIEW)
def account_page(request: HttpRequest, account_id: str, tab: str = "overview") -> HttpResponse:
    account = account_for(request, account_id)
    if tab not in TAB_PERMISSION:
        raise Http404("No such tab.")
    request.access.require(TAB_PERMISSION[tab])
    context = account_context(request, account, tab, **TAB_CONTEXT[tab](request, account))
    return render(request, f"juiced/vending/account/{tab}.html", context)


def _overview(request: HttpRequest, account: Account) -> dict[str, Any]:
    return {
        "calculator_form": CalculatorForm(),
        "sms_form": SmsForm(),
        "recent_sales": account.sales.select_related("tariff_version").prefetch_related("tokens")[:5],
        "settings_form": AccountSettingsForm(
            initial=AccountSettingsForm.initial_for(account), tariffs=_tariffs(request)
        ),
        "status_form": StatusForm(),
    }


def _tariffs(request: HttpRequest) -> list[Tariff]:
    return list(Tariff.objects.filter(tenant=request.access.tenant, is_active=True))


def _vends(request: HttpRequest, account: Account) -> dict[str, Any]:
    sales = account.sales.select_related("tariff_version", "vendor", "reverses").prefetch_related("tokens")
    return {"sales": sales[:200], "can_reverse": request.access.can("vending.reverse")}


def _entries(account: Account, pocket: str | None = None):
    entries = account.entries.select_related("sale")
    return entries.filter(pocket=pocket) if pocket else entries


def _money(request: HttpRequest, account: Account) -> dict[str, Any]:
    return {"sales": account.sales.all()[:200], "entries": _entries(account)[:200]}


def _wallet(request: HttpRequest, account: Account, form: MoneyMoveForm | None = None) -> dict[str, Any]:
    return {"entries": _entries(account, Pocket.WALLET)[:200], "form": form or MoneyMoveForm()}


def _deposit(request: HttpRequest, account: Account, form=None, refund_form=None) -> dict[str, Any]:
    return {
        "entries": _entries(account, Pocket.DEPOSIT)[:200],
        "form": form or MoneyMoveForm(),
        "refund_form": refund_form or MoneyMoveForm(),
    }


def _arrears(request: HttpRequest, account: Account, **forms: Any) -> dict[str, Any]:
    debts = list(account.debts.all())
    plans = list(account.plans.select_related("debt").prefetch_related("schedule"))
    open_debts = [d for d in debts if d.balance > 0]
    return {
        "debts": debts,
        "plans": plans,
        "entries": _entries(account, Pocket.ARREARS)[:100],
        "debt_form": forms.get("debt_form") or DebtForm(),
        "plan_form": forms.get("plan_form") or PlanForm(debts=open_debts),
        "instalment_form": forms.get("instalment_form") or InstalmentForm(),
        "failed_plan": forms.get("failed_plan"),
        "can_arrears": request.access.can("vending.arrears.manage"),
    }


def _documents(request: HttpRequest, account: Account, form: DocumentForm | None = None) -> dict[str, Any]:
    return {"documents": account.documents.select_related("uploaded_by"), "form": form or DocumentForm()}


def _notes(request: HttpRequest, account: Account, form: NoteForm | None = None) -> dict[str, Any]:
    return {"notes": account.notes.select_related("author"), "form": form or NoteForm()}


def _audit(request: HttpRequest, account: Account) -> dict[str, Any]:
    return {"events": account.events.all()[:300]}


TAB_CONTEXT = {
    "overview": _overview,
    "vends": _vends,
    "money": _money,
    "wallet": _wallet,
    "deposit": _deposit,
    "arrears": _arrears,
    "documents": _documents,
    "notes": _notes,
    "audit": _audit,
}


def _tab_with_errors(request: HttpRequest, account: Account, tab: str, **forms: Any) -> HttpResponse:
    context = account_context(request, account, tab, **TAB_CONTEXT[tab](request, account, **forms))
    return render(request, f"juiced/vending/account/{tab}.html", context, status=422)


# --- account actions ----------------------------------------------------------------------------------


@require_POST
@staff_view(MANAGE)
def account_status(request: HttpRequest, account_id: str, action: str) -> HttpResponse:
    """Activate or deactivate (a note is required to deactivate; it lands on the Notes tab)."""

    account = account_for(request, account_id)
    form = StatusForm(request.POST)
    form.is_valid()
    service = setup.account_activate if action == "activate" else setup.account_deactivate
    try:
        service(access=request.access, account=account, note=form.cleaned_data.get("note", ""))
    except DomainError as exc:
        add_domain_errors(form, exc)
        context = account_context(
            request, account, "overview", **{**_overview(request, account), "status_form": form}
        )
        return render(request, "juiced/vending/account/overview.html", context, status=422)
    done = "activated" if action == "activate" else "deactivated"
    messages.success(request, f"Account {account.number} {done}.")
    return redirect_back(request, account)


@require_POST
@staff_view(MANAGE)
def account_settings(request: HttpRequest, account_id: str) -> HttpResponse:
    """Tariff, arrears recovery and purchase limits of this account (not its master's)."""

    account = account_for(request, account_id)
    form = AccountSettingsForm(request.POST, tariffs=_tariffs(request))
    if form.is_valid():
        data = form.service_data()
        if not form.errors:
            try:
                setup.account_update(access=request.access, account=account, data=data)
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, "Vending settings saved.")
                return redirect_back(request, account)
    context = account_context(
        request, account, "overview", **{**_overview(request, account), "settings_form": form}
    )
    return render(request, "juiced/vending/account/overview.html", context, status=422)


@staff_view("vending.sms")
def account_sms(request: HttpRequest, account_id: str) -> HttpResponse:
    """Send an SMS to the customer's number(s) through the notification service."""

    account = account_for(request, account_id)
    form = SmsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = send_customer_sms(
                access=request.access,
                customer=account.customer,
                body=form.cleaned_data["body"],
                account=account,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"SMS queued to {', '.join(m.recipient for m in sent)}.")
            return redirect_back(request, account)
    context = account_context(
        request, account, "overview", **{**_overview(request, account), "sms_form": form}
    )
    return render(
        request, "juiced/vending/account/overview.html", context, status=422 if form.is_bound else 200
    )


@staff_view(VIEW)
def calculator(request: HttpRequest, account_id: str) -> HttpResponse:
    """The tariff calculator: what does this amount buy on this account today? (htmx partial or page)."""

    account = account_for(request, account_id)
    form = CalculatorForm(request.GET)
    quote = None
    if form.is_valid():
        amount = cents_or_none(form, "amount")
        if amount is None and "amount" not in form.errors:
            form.add_error("amount", "Enter an amount.")
        elif amount is not None:
            try:
                quote = quote_for_account(account=account, amount=amount)
            except DomainError as exc:
                add_domain_errors(form, exc)
    context = account_context(
        request,
        account,
        "overview",
        calculator_form=form,
        quote=quote,
        amount_text=request.GET.get("amount", ""),
    )
    if request.htmx:
        return render(request, "juiced/vending/account/_calculator.html", context)
    return render(request, "juiced/vending/account/calculator.html", context)


# --- tab forms --------------------------------------------------------------------------------------------


def _money_move(
    request: HttpRequest, account_id: str, *, tab: str, service: Any, form_key: str
) -> HttpResponse:

    account = account_for(request, account_id)
    form = MoneyMoveForm(request.POST)
    if form.is_valid() and not form.errors:
        kwargs: dict[str, Any] = {
            "access": request.access,
            "account": account,
            "amount": form.cleaned_data["amount_cents"],
            "payment_kind": form.cleaned_data["payment_kind"],
            # The form's key: a double click or a refresh replays the first entry.
            "idempotency_key": request.POST.get("idempotency_key") or None,
        }
        if service is not arrears_services.wallet_topup:
            kwargs["note"] = form.cleaned_data.get("note", "")
        try:
            service(**kwargs)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect_back(request, account, tab)
    return _tab_with_errors(request, account, tab, **{form_key: form})


@require_POST
@staff_view(MANAGE)
def wallet_topup(request: HttpRequest, account_id: str) -> HttpResponse:
    return _money_move(
        request, account_id, tab="wallet", service=arrears_services.wallet_topup, form_key="form"
    )


@require_POST
@staff_view(MANAGE)
def deposit_pay(request: HttpRequest, account_id: str) -> HttpResponse:
    return _money_move(
        request, account_id, tab="deposit", service=arrears_services.deposit_pay, form_key="form"
    )


@require_POST
@staff_view(MANAGE)
def deposit_refund(request: HttpRequest, account_id: str) -> HttpResponse:
    return _money_move(
        request, account_id, tab="deposit", service=arrears_services.deposit_refund, form_key="refund_form"
    )


@require_POST
@staff_view("vending.arrears.manage")
def debt_add(request: HttpRequest, account_id: str) -> HttpResponse:

    account = account_for(request, account_id)
    form = DebtForm(request.POST)
    if form.is_valid() and not form.errors:
        try:
            arrears_services.debt_add(
                access=request.access,
                account=account,
                amount=form.cleaned_data["amount_cents"],
                reason=(form.cleaned_data.get("reason") or "").strip(),
                recovery_bp=form.cleaned_data.get("recovery_bp"),
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Debt added.")
            return redirect_back(request, account, "arrears")
    return _tab_with_errors(request, account, "arrears", debt_form=form)


@require_POST
@staff_view("vending.arrears.manage")
def plan_create(request: HttpRequest, account_id: str) -> HttpResponse:

    account = account_for(request, account_id)
    debts = [d for d in account.debts.all() if d.balance > 0]
    form = PlanForm(request.POST, debts=debts)
    if form.is_valid() and not form.errors:
        debt = tenant_get(request, ArrearsDebt, form.cleaned_data["debt"])
        try:
            arrears_services.plan_create(
                access=request.access,
                debt=debt,
                instalments=form.cleaned_data["instalments"],
                interest_bp=form.cleaned_data["interest_bp"],
                frequency=form.cleaned_data["frequency"],
                start_date=form.cleaned_data["start_date"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Repayment plan created.")
            return redirect_back(request, account, "arrears")
    return _tab_with_errors(request, account, "arrears", plan_form=form)


@require_POST
@staff_view("vending.arrears.manage")
def instalment_pay(request: HttpRequest, account_id: str, plan_id: str) -> HttpResponse:

    account = account_for(request, account_id)
    plan = tenant_get(request, RepaymentPlan, plan_id)
    if plan.account_id != account.pk:
        raise Http404("No such plan on this account.")
    form = InstalmentForm(request.POST)
    if form.is_valid() and not form.errors:
        try:
            arrears_services.instalment_pay(
                access=request.access,
                plan=plan,
                amount=form.cleaned_data["amount_cents"],
                payment_kind=form.cleaned_data["payment_kind"],
                idempotency_key=request.POST.get("idempotency_key") or None,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Instalment paid.")
            return redirect_back(request, account, "arrears")
    return _tab_with_errors(request, account, "arrears", instalment_form=form, failed_plan=plan.public_id)


@require_POST
@staff_view(MANAGE)
def note_add(request: HttpRequest, account_id: str) -> HttpResponse:
    account = account_for(request, account_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            document_services.note_add(access=request.access, account=account, body=form.cleaned_data["body"])
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Note added.")
            return redirect_back(request, account, "notes")
    return _tab_with_errors(request, account, "notes", form=form)


@require_POST
@staff_view(MANAGE)
def document_upload(request: HttpRequest, account_id: str) -> HttpResponse:
    account = account_for(request, account_id)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document_services.document_upload(
                access=request.access,
                account=account,
                upload=form.cleaned_data["file"],
                name=form.cleaned_data.get("name", ""),
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Document uploaded.")
            return redirect_back(request, account, "documents")
    return _tab_with_errors(request, account, "documents", form=form)


@staff_view(MANAGE)
def document_download(request: HttpRequest, account_id: str, document_id: str) -> HttpResponse:
    account = account_for(request, account_id)
    document = tenant_get(request, AccountDocument, document_id)
    if document.account_id != account.pk:
        raise Http404("No such document on this account.")
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)
