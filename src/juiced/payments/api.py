"""/api/manage/ endpoints of juiced.payments: payment settings, cards, deposits and auto-recharge."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictInt

from juiced.api.auth import access_of
from juiced.api.schemas import ErrorOut, StrictInput
from juiced.core.crypto import mask_secret
from juiced.payments import selectors, services
from juiced.payments.models import Payment, PaymentMethod, PaymentSettings
from juiced.payments.stripe_client import secret_from_environment, settings_for, stripe_config

router = Router(tags=["payments"])

ERRORS = {
    401: ErrorOut,
    402: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    503: ErrorOut,
}


class PaymentSettingsIn(StrictInput):
    """Any of the settings; secrets are write-only (null or absent keeps the stored value, "" clears it).
    Percentages are strings with at most two decimals ("2.90"), never floats."""

    currency: str | None = None
    publishable_key: str | None = None
    secret_key: str | None = None
    webhook_secret: str | None = None
    api_base: str | None = None
    deposit_minimum: StrictInt | None = None
    manual_fee_percent: str | StrictInt | None = None
    auto_recharge_fee_percent: str | StrictInt | None = None
    waive_first_deposit_fee: StrictBool | None = None


class PaymentSettingsOut(Schema):
    object: str
    publishable_key: str
    secret_key: str
    secret_key_from_environment: bool
    webhook_secret: str
    api_base: str
    deposit_minimum: int
    manual_fee_percent: str
    auto_recharge_fee_percent: str
    waive_first_deposit_fee: bool
    currency: str


class CardOut(Schema):
    id: str
    object: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool


class CardListOut(Schema):
    object: str
    stripe_customer_id: str | None
    stripe_dashboard_url: str | None
    data: list[CardOut]


class DepositIn(StrictInput):
    """`amount` in cents is what the wallet receives; the fee is charged on top. `payment_method` is a card
    id (`card_…`); the default card when omitted."""

    amount: StrictInt
    payment_method: str | None = None


class PaymentOut(Schema):
    id: str
    object: str
    kind: str
    status: str
    amount: int
    fee: int
    fee_percent: str
    amount_charged: int
    currency: str
    payment_method: str | None
    card: str
    failure_message: str
    stripe_payment_intent: str | None
    transaction: str | None
    created_at: Any


class AutoRechargeIn(StrictInput):
    enabled: StrictBool
    trigger: StrictInt
    amount: StrictInt


class AutoRechargeOut(Schema):
    object: str
    enabled: bool
    trigger: int
    amount: int
    armed: bool
    currency: str


def _settings_object(tenant: Any, current: PaymentSettings) -> dict[str, Any]:
    config = stripe_config(tenant, current)
    return {
        "object": "payment_settings",
        "publishable_key": current.publishable_key,
        "secret_key": mask_secret(config.secret_key),
        "secret_key_from_environment": secret_from_environment(),
        "webhook_secret": mask_secret(config.webhook_secret),
        "api_base": config.api_base,
        "deposit_minimum": current.deposit_minimum,
        "manual_fee_percent": str(current.manual_fee_percent),
        "auto_recharge_fee_percent": str(current.auto_recharge_fee_percent),
        "waive_first_deposit_fee": current.waive_first_deposit_fee,
        "currency": tenant.currency.lower(),
    }


@router.get("/payment-settings", response={200: PaymentSettingsOut, **ERRORS}, summary="Get payment settings")
def get_payment_settings(request: HttpRequest):
    """Admin only. Secrets come back masked."""
    access = access_of(request)
    access.require("settings.manage")
    return _settings_object(access.tenant, settings_for(access.tenant))


@router.patch(
    "/payment-settings", response={200: PaymentSettingsOut, **ERRORS}, summary="Change payment settings"
)
def patch_payment_settings(request: HttpRequest, payload: PaymentSettingsIn):
    """Admin only. Field errors name the field (`manual_fee_percent`, `secret_key`…)."""
    access = access_of(request)
    access.require("settings.manage")
    data = payload.model_dump(exclude_unset=True)
    for secret in ("secret_key", "webhook_secret"):
        if secret in data and data[secret] is None:
            del data[secret]
    current = services.payment_settings_update(tenant=access.tenant, actor=access.user, data=data)
    return _settings_object(access.tenant, current)


def _card_object(card: PaymentMethod) -> dict[str, Any]:
    return {
        "id": card.public_id,
        "object": "card",
        "brand": card.brand,
        "last4": card.last4,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "is_default": card.is_default,
    }


def payment_object(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.public_id,
        "object": "payment",
        "kind": payment.kind,
        "status": payment.status,
        "amount": payment.amount,
        "fee": payment.fee,
        "fee_percent": str(payment.fee_percent),
        "amount_charged": payment.total,
        "currency": payment.currency.lower(),
        "payment_method": payment.payment_method.public_id if payment.payment_method_id else None,
        "card": payment.card_label,
        "failure_message": payment.failure_message,
        "stripe_payment_intent": payment.stripe_payment_intent_id,
        "transaction": payment.transaction.public_id if payment.transaction_id else None,
        "created_at": payment.created_at,
    }


@router.get(
    "/customers/{customer_id}/payment-methods",
    response={200: CardListOut, **ERRORS},
    summary="List a customer's cards",
)
def list_cards(request: HttpRequest, customer_id: str):
    customer = access_of(request).customer(customer_id, permission="payment_methods.manage")
    profile = selectors.billing_of(customer)
    return {
        "object": "list",
        "stripe_customer_id": profile.stripe_customer_id or None,
        "stripe_dashboard_url": selectors.stripe_dashboard_link(customer, profile) or None,
        "data": [_card_object(card) for card in selectors.cards_of(customer)],
    }


@router.post(
    "/customers/{customer_id}/payment-methods/{card_id}/default",
    response={200: CardOut, **ERRORS},
    summary="Make a card the default",
)
def set_default_card(request: HttpRequest, customer_id: str, card_id: str):
    access = access_of(request)
    customer = access.customer(customer_id, permission="payment_methods.manage")
    return _card_object(
        services.card_set_default(customer=customer, actor=access.user, card_public_id=card_id)
    )


@router.delete(
    "/customers/{customer_id}/payment-methods/{card_id}",
    response={204: None, **ERRORS},
    summary="Delete a card",
)
def delete_card(request: HttpRequest, customer_id: str, card_id: str):
    access = access_of(request)
    customer = access.customer(customer_id, permission="payment_methods.manage")
    services.card_delete(customer=customer, actor=access.user, card_public_id=card_id)
    return Status(204, None)


@router.post(
    "/customers/{customer_id}/deposits",
    response={201: PaymentOut, **ERRORS},
    summary="Charge a card into the wallet",
)
def create_deposit(
    request: HttpRequest,
    response: HttpResponse,
    customer_id: str,
    payload: DepositIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Charges amount + fee off-session on the card; the wallet is credited (event funds_added) only when
    Stripe reports success. A declined card is 402 `card_declined` (the failed payment is recorded). A
    replayed Idempotency-Key returns the first payment with `Idempotent-Replayed: true`."""
    access = access_of(request)
    customer = access.customer(customer_id, permission="funds.manage")
    payment, replayed = services.deposit_create(
        customer=customer,
        amount=payload.amount,
        actor=access.user,
        card_public_id=payload.payment_method,
        idempotency_key=idempotency_key,
    )
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, payment_object(payment))


@router.get(
    "/customers/{customer_id}/deposits",
    response={200: list[PaymentOut], **ERRORS},
    summary="List a customer's card payments",
)
def list_deposits(request: HttpRequest, customer_id: str):
    """Newest first, the latest 100 (deposits and auto-recharges)."""
    customer = access_of(request).customer(customer_id, permission="transactions.view")
    return [payment_object(p) for p in selectors.payments_of(customer).select_related("payment_method")[:100]]


def _auto_recharge_object(customer: Any) -> dict[str, Any]:
    profile = selectors.billing_of(customer)
    return {
        "object": "auto_recharge",
        "enabled": profile.auto_recharge_enabled,
        "trigger": profile.auto_recharge_trigger,
        "amount": profile.auto_recharge_amount,
        "armed": profile.auto_recharge_armed,
        "currency": customer.tenant.currency.lower(),
    }


@router.get(
    "/customers/{customer_id}/auto-recharge",
    response={200: AutoRechargeOut, **ERRORS},
    summary="Get auto-recharge",
)
def get_auto_recharge(request: HttpRequest, customer_id: str):
    return _auto_recharge_object(
        access_of(request).customer(customer_id, permission="payment_methods.manage")
    )


@router.put(
    "/customers/{customer_id}/auto-recharge",
    response={200: AutoRechargeOut, **ERRORS},
    summary="Set auto-recharge",
)
def put_auto_recharge(request: HttpRequest, customer_id: str, payload: AutoRechargeIn):
    """Trigger ≥ 100 cents, amount ≥ the tenant's deposit minimum, a default card needed to enable.
    Enabling while available funds are already below the trigger charges at once (in the background)."""
    access = access_of(request)
    customer = access.customer(customer_id, permission="payment_methods.manage")
    services.auto_recharge_update(
        customer=customer,
        actor=access.user,
        enabled=payload.enabled,
        trigger=payload.trigger,
        amount=payload.amount,
    )
    return _auto_recharge_object(customer)
