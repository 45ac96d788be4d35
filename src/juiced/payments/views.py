"""Payments pages: Settings → Payments (Admin), the customer's Payment methods tab (staff) and /app/payments/
(the buyer's Customer Admin).

The dashboard tab and the portal page show the same panel (cards, add a card, deposit with a fee
preview, auto-recharge, payment history); a `Place` says for whom and where its forms post. Views are
thin: access comes from `@staff_view` / `@portal_view`, every change goes through a service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from juiced.core.crypto import mask_secret
from juiced.core.errors import DomainError
from juiced.core.money import AmountError, format_money, parse_amount
from juiced.customers import selectors as customer_selectors
from juiced.payments import selectors, services
from juiced.payments.forms import AutoRechargeForm, CardForm, DepositForm, PaymentSettingsForm
from juiced.payments.stripe_client import secret_from_environment, settings_for, stripe_config
from juiced.web.access import add_domain_errors, portal_view, staff_view


@dataclass(frozen=True)
class Place:
    """Where the panel lives: the customer, who acts, what they may do, and the URL prefix of its forms."""

    customer: Any
    base_url: str
    page_template: str
    can_manage_cards: bool
    can_deposit: bool


def _staff_place(request: HttpRequest, customer_id: str, permission: str) -> Place:
    customer = request.access.customer(customer_id, permission=permission)
    return Place(
        customer=customer,
        base_url=reverse("payments_customer", args=[request.access.tenant.slug, customer.public_id]),
        page_template="juiced/payments/manage_customer.html",
        can_manage_cards=request.access.can("payment_methods.manage"),
        can_deposit=request.access.can("funds.manage"),
    )


def _portal_place(request: HttpRequest) -> Place:
    return Place(
        customer=request.portal.customer,
        base_url=reverse("portal_payments"),
        page_template="juiced/payments/portal.html",
        can_manage_cards=True,
        can_deposit=True,
    )


def _panel(
    request: HttpRequest,
    place: Place,
    *,
    card_form: CardForm | None = None,
    deposit_form: DepositForm | None = None,
    auto_form: AutoRechargeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    customer = place.customer
    customer.wallet.refresh_from_db()
    cards = list(selectors.cards_of(customer))
    profile = selectors.billing_of(customer)
    chosen = settings_for(customer.tenant)
    config = stripe_config(customer.tenant, chosen)
    context = {
        "customer": customer,
        "place": place,
        "tab": "payment_methods",
        "currency": customer.tenant.currency,
        "wallet": customer.wallet,
        "cards": cards,
        "profile": profile,
        "payment_settings": chosen,
        "configured": bool(config.secret_key),
        "uses_elements": config.uses_elements,
        "publishable_key": config.publishable_key,
        "stripe_link": selectors.stripe_dashboard_link(customer, profile),
        "payments": selectors.payments_of(customer)[: selectors.RECENT_PAYMENTS],
        "card_form": card_form or CardForm(),
        "deposit_form": deposit_form or DepositForm(cards=cards),
        "auto_form": auto_form or AutoRechargeForm(initial=AutoRechargeForm.initial_for(profile)),
    }
    if getattr(request, "access", None) is not None:
        context |= {"access": request.access, "statuses": customer_selectors.customer_statuses(customer)}
    return render(request, place.page_template, context, status=status)


def _card_add(request: HttpRequest, place: Place) -> HttpResponse:
    form = CardForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["payment_method_id"]:
                card = services.card_add(
                    customer=place.customer,
                    actor=request.user,
                    stripe_payment_method_id=form.cleaned_data["payment_method_id"],
                )
            else:
                month, year = form.expiry_parts()
                card = services.card_add(
                    customer=place.customer,
                    actor=request.user,
                    card=services.CardInput(
                        number=form.cleaned_data["number"],
                        exp_month=month,
                        exp_year=year,
                        cvc=form.cleaned_data["cvc"],
                    ),
                )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Card {card.label} added.")
            return redirect(place.base_url)
    return _panel(request, place, card_form=form, status=422)


def _card_action(request: HttpRequest, place: Place, card_id: str, action: str) -> HttpResponse:
    try:
        if action == "default":
            card = services.card_set_default(
                customer=place.customer, actor=request.user, card_public_id=card_id
            )
            messages.success(request, f"{card.label} is now the default card.")
        else:
            services.card_delete(customer=place.customer, actor=request.user, card_public_id=card_id)
            messages.success(request, "Card removed.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(place.base_url)


def _deposit(request: HttpRequest, place: Place) -> HttpResponse:
    cards = list(selectors.cards_of(place.customer))
    form = DepositForm(request.POST, cards=cards)
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        try:
            payment, replayed = services.deposit_create(
                customer=place.customer,
                amount=amount if amount is not None else "",
                actor=request.user,
                card_public_id=form.cleaned_data["payment_method"] or None,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            money = format_money(payment.amount, payment.currency)
            if replayed:
                messages.info(request, "That deposit was already submitted; nothing was charged twice.")
            elif payment.status == payment.Status.SUCCEEDED:
                messages.success(
                    request, f"Deposited {money}; {format_money(payment.total, payment.currency)} charged."
                )
            else:
                messages.info(request, f"The deposit of {money} is pending confirmation from Stripe.")
            return redirect(place.base_url)
    return _panel(request, place, deposit_form=form, status=422)


def _deposit_preview(request: HttpRequest, place: Place) -> HttpResponse:
    """The htmx fragment under the amount: what goes into the wallet, the fee, and what the card pays."""
    context: dict[str, Any] = {"currency": place.customer.tenant.currency}
    raw = request.GET.get("amount", "").strip()
    if raw:
        try:
            context["quote"] = services.deposit_quote(customer=place.customer, amount=parse_amount(raw))
        except AmountError as exc:
            context["error"] = str(exc)
        except DomainError as exc:
            context["error"] = exc.fields.get("amount", [exc.message])[0]
    return render(request, "juiced/payments/_fee_preview.html", context)


def _auto_recharge(request: HttpRequest, place: Place) -> HttpResponse:
    form = AutoRechargeForm(request.POST)
    if form.is_valid():
        try:
            profile = services.auto_recharge_update(
                customer=place.customer,
                actor=request.user,
                enabled=form.cleaned_data["enabled"],
                trigger=form.cleaned_data["trigger"],
                amount=form.cleaned_data["amount"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            state = "on" if profile.auto_recharge_enabled else "off"
            messages.success(request, f"Auto-recharge is {state}.")
            return redirect(place.base_url)
    return _panel(request, place, auto_form=form, status=422)


# --- dashboard: the customer's Payment methods tab ----------------------------------------------------


@staff_view("payment_methods.manage")
def customer_payments(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _panel(request, _staff_place(request, customer_id, "payment_methods.manage"))


@require_POST
@staff_view("payment_methods.manage")
def customer_card_add(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _card_add(request, _staff_place(request, customer_id, "payment_methods.manage"))


@require_POST
@staff_view("payment_methods.manage")
def customer_card_action(request: HttpRequest, customer_id: str, card_id: str, action: str) -> HttpResponse:
    return _card_action(
        request, _staff_place(request, customer_id, "payment_methods.manage"), card_id, action
    )


@require_POST
@staff_view("funds.manage")
def customer_deposit(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _deposit(request, _staff_place(request, customer_id, "funds.manage"))


@staff_view("funds.manage")
def customer_deposit_preview(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _deposit_preview(request, _staff_place(request, customer_id, "funds.manage"))


@require_POST
@staff_view("payment_methods.manage")
def customer_auto_recharge(request: HttpRequest, customer_id: str) -> HttpResponse:
    return _auto_recharge(request, _staff_place(request, customer_id, "payment_methods.manage"))


# --- dashboard: Settings → Payments -------------------------------------------------------------------


@staff_view("settings.manage")
def settings_page(request: HttpRequest) -> HttpResponse:
    tenant = request.access.tenant
    current = settings_for(tenant)
    form = PaymentSettingsForm(request.POST or None, initial=PaymentSettingsForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        try:
            services.payment_settings_update(tenant=tenant, actor=request.user, data=form.service_data())
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Payment settings saved.")
            return redirect(reverse("payments_settings", args=[tenant.slug]))
    config = stripe_config(tenant, current)
    context = {
        "form": form,
        "tenant": tenant,
        "masked_secret": mask_secret(config.secret_key) if config.secret_key else "",
        "masked_webhook_secret": mask_secret(config.webhook_secret) if config.webhook_secret else "",
        "secret_from_env": secret_from_environment(),
        "webhook_url": request.build_absolute_uri(reverse("stripe_webhook", args=[tenant.slug])),
    }
    return render(request, "juiced/payments/settings.html", context, status=422 if form.errors else 200)


# --- portal: /app/payments/ ---------------------------------------------------------------------------


@portal_view("billing.manage")
def portal_payments(request: HttpRequest) -> HttpResponse:
    return _panel(request, _portal_place(request))


@require_POST
@portal_view("billing.manage")
def portal_card_add(request: HttpRequest) -> HttpResponse:
    return _card_add(request, _portal_place(request))


@require_POST
@portal_view("billing.manage")
def portal_card_action(request: HttpRequest, card_id: str, action: str) -> HttpResponse:
    return _card_action(request, _portal_place(request), card_id, action)


@require_POST
@portal_view("billing.manage")
def portal_deposit(request: HttpRequest) -> HttpResponse:
    return _deposit(request, _portal_place(request))


@portal_view("billing.manage")
def portal_deposit_preview(request: HttpRequest) -> HttpResponse:
    return _deposit_preview(request, _portal_place(request))


@require_POST
@portal_view("billing.manage")
def portal_auto_recharge(request: HttpRequest) -> HttpResponse:
    return _auto_recharge(request, _portal_place(request))
