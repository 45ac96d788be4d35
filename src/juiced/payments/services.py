"""Payments services: settings, cards, deposits, Stripe webhooks and auto-recharge.

Exactly-once credit: a card charge is a `Payment` row. Whoever learns first that Stripe took the money
(the API response of our own request, or the signed `payment_intent.succeeded` webhook) calls
`payment_succeed`, which locks the Payment row, returns at once when it already succeeded, and otherwise
credits the wallet with the idempotency key `stripe:<payment intent id>` in the same database
transaction. The row lock serialises the two paths; the wallet's idempotency key would refuse a second
credit even without it.

Stripe is never called inside `transaction.atomic()`: the Payment row is committed first (pending),
the charge is made, then the result is recorded in its own short transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import stripe
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery

from juiced.core import rawsql
from juiced.core.audit import audit_record
from juiced.core.crypto import encrypt_secret, mask_secret
from juiced.core.errors import (
    DomainError,
    IdempotencyKeyReused,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from juiced.core.idempotency import idempotency_key_clean
from juiced.core.ids import new_public_id
from juiced.core.money import format_money
from juiced.core.tasks import enqueue_on_commit
from juiced.payments.fees import fee_for
from juiced.payments.models import (
    MINIMUM_TRIGGER,
    BillingProfile,
    Payment,
    PaymentMethod,
    PaymentSettings,
    StripeEvent,
)
from juiced.payments.stripe_client import settings_for, stripe_client, stripe_config
from juiced.tenants.models import Tenant
from juiced.wallets.models import Transaction, TransactionEvent, Wallet
from juiced.wallets.services import MAX_AMOUNT, Related, wallet_credit

logger = logging.getLogger(__name__)
_url_validator = URLValidator(schemes=["http", "https"])
MAX_PERCENT = Decimal("100")


class PaymentDeclined(DomainError):
    """The card was refused; the Payment is recorded as failed with Stripe's message."""

    code = "card_declined"
    status = 402
    default_message = "The card was declined."


class ProcessorUnavailable(DomainError):
    """Stripe did not answer; the Payment stays pending and the signed webhook settles it."""

    code = "processor_unavailable"
    status = 503
    default_message = (
        "The payment processor did not answer. If the charge went through, the wallet is credited as soon "
        "as Stripe confirms it."
    )


class SignatureInvalid(DomainError):
    code = "invalid_signature"
    status = 400
    default_message = "The Stripe-Signature header does not match this payload."


# --- tenant settings ----------------------------------------------------------------------------------


def _percent(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if isinstance(value, float) or isinstance(value, bool):
        errors[field] = ['Send the percentage as a string such as "2.90" (no floating point).']
        return None
    try:
        percent = Decimal(str(value).strip().rstrip("%") or "0")
    except InvalidOperation:
        errors[field] = ["Enter a percentage such as 2.9."]
        return None
    if not percent.is_finite() or percent < 0 or percent > MAX_PERCENT:
        errors[field] = ["Enter a percentage from 0 to 100."]
        return None
    if percent != percent.quantize(Decimal("0.01")):
        errors[field] = ["Use at most two decimal places."]
        return None
    return percent.quantize(Decimal("0.01"))


def _key(value: Any, field: str, prefixes: tuple[str, ...], errors: dict[str, list[str]]) -> str:
    text = str(value or "").strip()
    if text and (not text.startswith(prefixes) or len(text) > 255 or any(c.isspace() for c in text)):
        errors[field] = [f"Expected a key starting with {' or '.join(prefixes)}."]
    return text


# Two-decimal currencies Stripe charges in: our ledger counts cents, so zero- and three-decimal currencies
# (JPY, KWD…) are not offered.
SUPPORTED_CURRENCIES = (
    "USD",
    "CAD",
    "EUR",
    "GBP",
    "AUD",
    "NZD",
    "CHF",
    "SEK",
    "NOK",
    "DKK",
    "SGD",
    "HKD",
    "MXN",
)

SETTINGS_FIELDS = (
    "currency",
    "publishable_key",
    "secret_key",
    "webhook_secret",
    "api_base",
    "deposit_minimum",
    "manual_fee_percent",
    "auto_recharge_fee_percent",
    "waive_first_deposit_fee",
)


def _currency_change(tenant: Any, data: dict[str, Any], errors: dict[str, list[str]]) -> str | None:
    """The new currency when `data` changes it, else None; refused once any money has moved, because every
    amount already in the ledger is in the old currency."""
    if "currency" not in data or data["currency"] is None:
        return None
    currency = str(data["currency"]).strip().upper()
    if currency not in SUPPORTED_CURRENCIES:
        errors["currency"] = [f"Choose one of {', '.join(SUPPORTED_CURRENCIES)}."]
        return None
    if currency == tenant.currency.upper():
        return None
    if Transaction.objects.filter(tenant=tenant).exists():
        errors["currency"] = [
            "The currency can change only before any money has moved: this tenant's wallets already "
            "hold transactions in " + tenant.currency.upper() + "."
        ]
        return None
    return currency


def payment_settings_update(*, tenant: Any, actor: Any, data: dict[str, Any]) -> PaymentSettings:
    """Change the tenant's Stripe keys, minimum and fees; a missing or None secret keeps the stored one."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    unknown = set(data) - set(SETTINGS_FIELDS)
    for field in unknown:
        errors[field] = ["Unknown field."]
    if "publishable_key" in data:
        clean["publishable_key"] = _key(data["publishable_key"], "publishable_key", ("pk_",), errors)
    if data.get("secret_key") is not None:
        clean["secret_key"] = _key(data["secret_key"], "secret_key", ("sk_", "rk_"), errors)
    if data.get("webhook_secret") is not None:
        clean["webhook_secret"] = _key(data["webhook_secret"], "webhook_secret", ("whsec_",), errors)
    if "api_base" in data:
        api_base = str(data["api_base"] or "").strip().rstrip("/")
        if api_base:
            try:
                _url_validator(api_base)
            except DjangoValidationError:
                errors["api_base"] = ["Enter a full http(s) URL, or leave empty for Stripe's own API."]
        clean["api_base"] = api_base
    if "deposit_minimum" in data:
        minimum = data["deposit_minimum"]
        if isinstance(minimum, bool) or not isinstance(minimum, int):
            errors["deposit_minimum"] = ["Enter a whole number of cents."]
        elif not 100 <= minimum <= MAX_AMOUNT:
            errors["deposit_minimum"] = ["The deposit minimum must be at least $1.00."]
        clean["deposit_minimum"] = minimum
    for field in ("manual_fee_percent", "auto_recharge_fee_percent"):
        if field in data:
            clean[field] = _percent(data[field], field, errors)
    if "waive_first_deposit_fee" in data:
        if not isinstance(data["waive_first_deposit_fee"], bool):
            errors["waive_first_deposit_fee"] = ["Must be true or false."]
        clean["waive_first_deposit_fee"] = data["waive_first_deposit_fee"]
    currency = _currency_change(tenant, data, errors)
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)

    with transaction.atomic():
        current, _created = PaymentSettings.objects.select_for_update().get_or_create(tenant=tenant)
        changes: dict[str, list[Any]] = {}
        if currency is not None:
            changes["currency"] = [tenant.currency, currency]
            Tenant.objects.filter(pk=tenant.pk).update(currency=currency)
            Wallet.objects.filter(tenant=tenant).update(currency=currency)
            tenant.currency = currency
        for secret in ("secret_key", "webhook_secret"):
            if secret in clean:
                plain = clean.pop(secret)
                setattr(current, f"{secret}_encrypted", encrypt_secret(plain))
                changes[secret] = ["…", mask_secret(plain) or "(cleared)"]
        for field, value in clean.items():
            old = getattr(current, field)
            if old != value:
                changes[field] = [str(old), str(value)]
                setattr(current, field, value)
        current.save()
        if changes:
            audit_record(
                tenant=tenant,
                actor=actor,
                action="payments.settings",
                summary="Payment settings changed: " + ", ".join(sorted(changes)),
                changes=changes,
            )
    return current


# --- the customer's Stripe customer and cards ---------------------------------------------------------


def billing_profile(customer: Any) -> BillingProfile:
    found, _created = BillingProfile.objects.get_or_create(
        customer=customer, defaults={"tenant_id": customer.tenant_id}
    )
    return found


def stripe_customer_ensure(*, customer: Any) -> str:
    """The customer's Stripe customer id, created at Stripe on first use (lazily, with the first card)."""
    profile = billing_profile(customer)
    if profile.stripe_customer_id:
        return profile.stripe_customer_id
    client = stripe_client(customer.tenant)
    created = client.v1.customers.create(
        params={
            "name": customer.name,
            "email": customer.email,
            "metadata": {"juiced_customer": customer.public_id, "juiced_tenant": customer.tenant.slug},
        },
        options={"idempotency_key": f"juiced-customer-{customer.public_id}"},
    )
    # Two first cards at once: the first id written wins; the other Stripe customer stays unused.
    BillingProfile.objects.filter(pk=profile.pk, stripe_customer_id="").update(stripe_customer_id=created.id)
    profile.refresh_from_db(fields=["stripe_customer_id"])
    return profile.stripe_customer_id


@dataclass(frozen=True)
class CardInput:
    """Card details typed into our server-side form (only ever with a fake Stripe: tests and the demo)."""

    number: str = ""
    exp_month: int | None = None
    exp_year: int | None = None
    cvc: str = ""


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_card(card: CardInput, *, today: date | None = None) -> CardInput:
    """Field errors for number, expiry and cvc before anything is sent to Stripe."""
    today = today or date.today()
    errors: dict[str, list[str]] = {}
    number = re.sub(r"[\s-]", "", card.number or "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_valid(number):
        errors["number"] = ["Enter a valid card number."]
    month, year = card.exp_month, card.exp_year
    if year is not None and year < 100:
        year += 2000
    if month is None or year is None or not 1 <= month <= 12:
        errors["expiry"] = ["Enter the expiry as MM/YY."]
    elif (year, month) < (today.year, today.month):
        errors["expiry"] = ["This card has expired."]
    cvc = (card.cvc or "").strip()
    if not cvc.isdigit() or len(cvc) not in (3, 4):
        errors["cvc"] = ["Enter the 3 or 4 digit security code."]
    if errors:
        raise ValidationFailed("Some card details are invalid.", fields=errors)
    return CardInput(number=number, exp_month=month, exp_year=year, cvc=cvc)


def _card_error_message(exc: stripe.StripeError) -> str:
    return (getattr(exc, "user_message", None) or str(exc) or "The card was declined.")[:500]


def card_add(
    *,
    customer: Any,
    actor: Any,
    card: CardInput | None = None,
    stripe_payment_method_id: str = "",
) -> PaymentMethod:
    """Save a card: from our form (fake Stripe only) or a PaymentMethod id made by Stripe Elements."""
    config = stripe_config(customer.tenant)
    if card is not None:
        if config.is_real_stripe:
            raise ValidationFailed.on(
                "number", "Card numbers are entered in Stripe's secure form, never sent to this server."
            )
        card = validate_card(card)
    elif not stripe_payment_method_id.startswith("pm_"):
        raise ValidationFailed.on("number", "Enter the card details.")
    client = stripe_client(customer.tenant)
    stripe_customer_id = stripe_customer_ensure(customer=customer)
    try:
        if card is not None:
            created = client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {
                        "number": card.number,
                        "exp_month": card.exp_month,
                        "exp_year": card.exp_year,
                        "cvc": card.cvc,
                    },
                }
            )
            stripe_payment_method_id = created.id
        method = client.v1.payment_methods.attach(
            stripe_payment_method_id, params={"customer": stripe_customer_id}
        )
    except stripe.CardError as exc:
        raise ValidationFailed.on("number", _card_error_message(exc)) from None
    except stripe.InvalidRequestError as exc:
        raise ValidationFailed.on("number", _card_error_message(exc)) from None
    except stripe.StripeError as exc:
        raise ProcessorUnavailable(f"Stripe did not accept the card: {_card_error_message(exc)}") from None
    details = method.card
    with transaction.atomic():
        has_default = PaymentMethod.objects.filter(customer=customer, is_default=True).exists()
        saved, _created = PaymentMethod.objects.get_or_create(
            customer=customer,
            stripe_id=method.id,
            defaults={
                "tenant_id": customer.tenant_id,
                "brand": str(details.brand or ""),
                "last4": str(details.last4 or ""),
                "exp_month": int(details.exp_month or 0),
                "exp_year": int(details.exp_year or 0),
                "is_default": not has_default,
            },
        )
        audit_record(
            tenant=customer.tenant,
            customer=customer,
            actor=actor,
            action="payments.card_added",
            summary=f"Card added: {saved.label}, expires {saved.expiry}",
        )
    return saved


def card_for(*, customer: Any, card_public_id: str | None) -> PaymentMethod:
    """The customer's card with this id, or the default card when no id is given."""
    cards = PaymentMethod.objects.filter(customer=customer)
    found = (
        cards.filter(public_id=card_public_id).first()
        if card_public_id
        else cards.filter(is_default=True).first()
    )
    if found is None:
        message = "No such card." if card_public_id else "Add a card first."
        raise ValidationFailed.on("payment_method", message)
    return found


def card_set_default(*, customer: Any, actor: Any, card_public_id: str) -> PaymentMethod:
    """Make one card the default (the one auto-recharge and deposits use unless another is chosen)."""
    card = card_for(customer=customer, card_public_id=card_public_id)
    with transaction.atomic():
        PaymentMethod.objects.filter(customer=customer, is_default=True).exclude(pk=card.pk).update(
            is_default=False
        )
        PaymentMethod.objects.filter(pk=card.pk).update(is_default=True)
        audit_record(
            tenant=customer.tenant,
            customer=customer,
            actor=actor,
            action="payments.card_default",
            summary=f"Default card: {card.label}",
        )
    profile = billing_profile(customer)
    if profile.stripe_customer_id:
        try:
            stripe_client(customer.tenant).v1.customers.update(
                profile.stripe_customer_id,
                params={"invoice_settings": {"default_payment_method": card.stripe_id}},
            )
        except stripe.StripeError:
            logger.warning("Could not mirror the default card of %s at Stripe", customer.public_id)
    card.is_default = True
    return card


def card_delete(*, customer: Any, actor: Any, card_public_id: str) -> None:
    """Detach the card at Stripe and forget it; the oldest remaining card becomes the default."""
    card = card_for(customer=customer, card_public_id=card_public_id)
    try:
        stripe_client(customer.tenant).v1.payment_methods.detach(card.stripe_id)
    except stripe.InvalidRequestError:
        pass  # already gone at Stripe: forget it here too
    except stripe.StripeError as exc:
        raise ProcessorUnavailable(f"Stripe did not remove the card: {_card_error_message(exc)}") from None
    with transaction.atomic():
        PaymentMethod.objects.filter(pk=card.pk).delete()
        if card.is_default:
            successor = PaymentMethod.objects.filter(customer=customer).order_by("created_at", "id").first()
            if successor is not None:
                PaymentMethod.objects.filter(pk=successor.pk).update(is_default=True)
        audit_record(
            tenant=customer.tenant,
            customer=customer,
            actor=actor,
            action="payments.card_deleted",
            summary=f"Card removed: {card.label}",
        )


# --- deposits -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    amount: int
    fee: int
    fee_percent: Decimal
    waived: bool
    currency: str

    @property
    def total(self) -> int:
        return self.amount + self.fee


def _validate_amount(amount: Any, *, minimum: int, currency: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed.on("amount", "Amount must be a whole number of cents.")
    if amount < minimum:
        raise ValidationFailed.on("amount", f"The minimum deposit is {format_money(minimum, currency)}.")
    if amount > MAX_AMOUNT:
        raise ValidationFailed.on("amount", f"Amount must be at most {format_money(MAX_AMOUNT, currency)}.")
    return amount


def deposit_quote(*, customer: Any, amount: Any, kind: str = Payment.Kind.DEPOSIT) -> Quote:
    """Amount, fee and total to charge for a deposit or an auto-recharge (fees are added on top)."""
    chosen = settings_for(customer.tenant)
    currency = customer.tenant.currency
    minimum = chosen.deposit_minimum if kind == Payment.Kind.DEPOSIT else 1
    amount = _validate_amount(amount, minimum=minimum, currency=currency)
    percent = chosen.manual_fee_percent if kind == Payment.Kind.DEPOSIT else chosen.auto_recharge_fee_percent
    waived = bool(
        chosen.waive_first_deposit_fee
        and percent
        and not Payment.objects.filter(customer=customer, status=Payment.Status.SUCCEEDED).exists()
    )
    fee = fee_for(amount=amount, percent=percent, waived=waived)
    return Quote(amount=amount, fee=fee, fee_percent=percent, waived=waived, currency=currency)


def _hash(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()


def deposit_create(
    *,
    customer: Any,
    amount: Any,
    actor: Any,
    card_public_id: str | None = None,
    idempotency_key: str | None = None,
    kind: str = Payment.Kind.DEPOSIT,
) -> tuple[Payment, bool]:
    """Charge a saved card and credit the wallet when Stripe says it succeeded; returns (payment, replayed).

    A declined card raises PaymentDeclined after recording the failed Payment; a replayed key returns the
    first Payment (and raises its decline again) instead of charging twice.
    """
    idempotency_key = idempotency_key_clean(idempotency_key)
    stripe_client(customer.tenant)  # refuse early when payments are not configured
    request_hash = _hash(
        {"customer": customer.public_id, "amount": amount, "card": card_public_id, "kind": kind}
    )
    if idempotency_key:
        replay = _replay(customer=customer, key=idempotency_key, request_hash=request_hash)
        if replay is not None:
            return replay, True
    quote = deposit_quote(customer=customer, amount=amount, kind=kind)
    card = card_for(customer=customer, card_public_id=card_public_id)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                tenant_id=customer.tenant_id,
                customer=customer,
                kind=kind,
                amount=quote.amount,
                fee=quote.fee,
                fee_percent=quote.fee_percent if not quote.waived else Decimal("0.00"),
                currency=quote.currency,
                payment_method=card,
                card_label=card.label,
                idempotency_key=idempotency_key or None,
                request_hash=request_hash,
                actor=actor,
            )
    except IntegrityError:
        replay = _replay(customer=customer, key=idempotency_key or "", request_hash=request_hash)
        if replay is None:
            raise
        return replay, True
    return _charge(payment, card), False


def _replay(*, customer: Any, key: str, request_hash: str) -> Payment | None:
    payment = Payment.objects.filter(tenant_id=customer.tenant_id, idempotency_key=key).first()
    if payment is None:
        return None
    if payment.request_hash != request_hash:
        raise IdempotencyKeyReused()
    if payment.status == Payment.Status.PENDING and not payment.stripe_payment_intent_id:
        # The first attempt stopped before Stripe answered: finish it (Stripe's own idempotency key,
        # derived from the payment id, makes a repeated charge request return the first charge).
        return _charge(payment, payment.payment_method)
    if payment.status == Payment.Status.FAILED:
        raise PaymentDeclined(payment.failure_message, fields={"payment_method": [payment.failure_message]})
    return payment


def _charge(payment: Payment, card: PaymentMethod | None) -> Payment:
    """Create and confirm the PaymentIntent off-session on the card, then record what Stripe said."""
    if card is None:
        failed = payment_fail(payment_id=payment.pk, message="The card was removed before it was charged.")
        raise PaymentDeclined(failed.failure_message, fields={"payment_method": [failed.failure_message]})
    customer = payment.customer
    client = stripe_client(customer.tenant)
    stripe_customer_id = stripe_customer_ensure(customer=customer)
    try:
        intent = client.v1.payment_intents.create(
            params={
                "amount": payment.total,
                "currency": payment.currency.lower(),
                "customer": stripe_customer_id,
                "payment_method": card.stripe_id,
                "confirm": True,
                "off_session": True,
                "metadata": {
                    "juiced_payment": payment.public_id,
                    "juiced_tenant": customer.tenant.slug,
                    "juiced_customer": customer.public_id,
                },
            },
            options={"idempotency_key": f"juiced-{payment.public_id}"},
        )
    except stripe.CardError as exc:
        intent_id = _intent_id_of_error(exc)
        failed = payment_fail(payment_id=payment.pk, message=_card_error_message(exc), intent_id=intent_id)
        raise PaymentDeclined(
            failed.failure_message, fields={"payment_method": [failed.failure_message]}
        ) from None
    except stripe.InvalidRequestError as exc:
        failed = payment_fail(payment_id=payment.pk, message=_card_error_message(exc))
        raise PaymentDeclined(
            failed.failure_message, fields={"payment_method": [failed.failure_message]}
        ) from None
    except stripe.StripeError:
        raise ProcessorUnavailable() from None
    Payment.objects.filter(pk=payment.pk, stripe_payment_intent_id__isnull=True).update(
        stripe_payment_intent_id=intent.id
    )
    if intent.status == "succeeded":
        return payment_succeed(payment_id=payment.pk, intent_id=intent.id)
    if intent.status in ("requires_payment_method", "canceled"):
        error = getattr(intent, "last_payment_error", None)
        message = (getattr(error, "message", None) if error else None) or "The card was declined."
        failed = payment_fail(payment_id=payment.pk, message=message, intent_id=intent.id)
        raise PaymentDeclined(failed.failure_message, fields={"payment_method": [failed.failure_message]})
    payment.refresh_from_db()
    return payment  # processing: the webhook settles it


def _intent_id_of_error(exc: stripe.StripeError) -> str | None:
    error = getattr(exc, "error", None)
    intent = getattr(error, "payment_intent", None) if error is not None else None
    if intent is None:
        return None
    return intent if isinstance(intent, str) else getattr(intent, "id", None)


def _credit_description(payment: Payment) -> str:
    what = "Card deposit" if payment.kind == Payment.Kind.DEPOSIT else "Auto recharge"
    money = format_money(payment.amount, payment.currency)
    if payment.fee:
        fee = format_money(payment.fee, payment.currency)
        charged = format_money(payment.total, payment.currency)
        percent = payment.fee_percent
        return f"{what} with {payment.card_label}: {money} added; fee {fee} ({percent}%), {charged} charged"
    return f"{what} with {payment.card_label}: {money} added; no fee"


def _locked_payment(payment_id: int) -> Payment:
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("customer", "customer__tenant", "customer__wallet")
        .get(pk=payment_id)
    )


def payment_succeed(*, payment_id: int, intent_id: str) -> Payment:
    """Stripe took the money: credit the wallet once (FUNDS_ADDED or AUTO_RECHARGE), notify on commit."""
    with transaction.atomic():
        payment = _locked_payment(payment_id)
        if payment.status == Payment.Status.SUCCEEDED:
            return payment
        wallet = Wallet.objects.select_related("tenant", "customer").get(pk=payment.customer.wallet.pk)
        event = (
            TransactionEvent.FUNDS_ADDED
            if payment.kind == Payment.Kind.DEPOSIT
            else TransactionEvent.AUTO_RECHARGE
        )
        txn, _replayed = wallet_credit(
            wallet=wallet,
            amount=payment.amount,
            event=event,
            description=_credit_description(payment),
            actor=payment.actor,
            related=Related("payment", payment.public_id),
            idempotency_key=f"stripe:{intent_id}",
        )
        payment.status = Payment.Status.SUCCEEDED
        payment.stripe_payment_intent_id = intent_id
        payment.failure_message = ""
        payment.transaction = txn
        payment.save(
            update_fields=[
                "status",
                "stripe_payment_intent_id",
                "failure_message",
                "transaction",
                "updated_at",
            ]
        )
        _notify_on_commit(payment, "payment_successful")
    return payment


def payment_fail(*, payment_id: int, message: str, intent_id: str | None = None) -> Payment:
    """Stripe refused the charge: record the message (a succeeded payment never becomes failed)."""
    with transaction.atomic():
        payment = _locked_payment(payment_id)
        if payment.status != Payment.Status.PENDING:
            return payment
        payment.status = Payment.Status.FAILED
        payment.failure_message = (message or "The card was declined.")[:500]
        fields = ["status", "failure_message", "updated_at"]
        if intent_id and not payment.stripe_payment_intent_id:
            payment.stripe_payment_intent_id = intent_id
            fields.append("stripe_payment_intent_id")
        payment.save(update_fields=fields)
        _notify_on_commit(payment, "payment_failed")
    return payment


def payment_context(payment: Payment) -> dict[str, Any]:
    """What notification templates may show about a payment and its wallet transaction."""
    txn = payment.transaction
    return {
        "payment": {
            "public_id": payment.public_id,
            "amount": payment.amount,
            "fee": payment.fee,
            "total": payment.total,
            "method": payment.card_label,
            "kind": payment.kind,
            "error": payment.failure_message,
            "failure": payment.failure_message,
        },
        "transaction": (
            {
                "public_id": txn.public_id,
                "amount": txn.amount,
                "kind": txn.event,
                "description": txn.description,
                "balance": txn.balance_after,
            }
            if txn is not None
            else {}
        ),
    }


def _notify_on_commit(payment: Payment, notification_type: str) -> None:
    customer = payment.customer
    context = payment_context(payment)

    def send() -> None:
        try:
            from juiced.notifications.services import notify
        except ImportError:  # the notifications module is not installed in this build
            logger.info("notifications unavailable; %s for %s not sent", notification_type, payment.public_id)
            return
        notify(customer=customer, type=notification_type, context=context)

    transaction.on_commit(send)


# --- Stripe webhooks ----------------------------------------------------------------------------------


def stripe_event_receive(*, tenant: Any, payload: bytes, signature: str) -> str:
    """Verify a Stripe webhook with the tenant's signing secret and apply it once; returns what happened."""
    secret = stripe_config(tenant).webhook_secret
    if not secret:
        raise SignatureInvalid("No webhook signing secret is configured for this tenant.")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature or "", secret, 300)
        event = json.loads(payload)
        event_id, event_type = str(event["id"]), str(event["type"])
        intent = event["data"]["object"]
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        raise SignatureInvalid() from None
    except (ValueError, KeyError, TypeError):
        raise SignatureInvalid("The payload is not a Stripe event.") from None
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(tenant=tenant, event_id=event_id, type=event_type)
        except IntegrityError:
            return "duplicate"
        if event_type not in ("payment_intent.succeeded", "payment_intent.payment_failed"):
            return "ignored"
        payment = _payment_for_intent(tenant, intent)
        if payment is None:
            return "unknown payment"
        if event_type == "payment_intent.succeeded":
            payment_succeed(payment_id=payment.pk, intent_id=intent["id"])
            return "credited"
        error = intent.get("last_payment_error") or {}
        payment_fail(
            payment_id=payment.pk,
            message=(error.get("message") if isinstance(error, dict) else None) or "The card was declined.",
            intent_id=intent["id"],
        )
        return "failed"


def _payment_for_intent(tenant: Any, intent: dict[str, Any]) -> Payment | None:
    metadata = intent.get("metadata") or {}
    payments = Payment.objects.filter(tenant=tenant)
    payment = None
    if metadata.get("juiced_payment"):
        payment = payments.filter(public_id=metadata["juiced_payment"]).first()
    if payment is None and intent.get("id"):
        payment = payments.filter(stripe_payment_intent_id=intent["id"]).first()
    if payment is None:
        return None
    if payment.stripe_payment_intent_id and payment.stripe_payment_intent_id != intent.get("id"):
        logger.warning("Stripe event for %s names another intent; ignored", payment.public_id)
        return None
    if intent.get("amount") != payment.total or str(intent.get("currency", "")).upper() != payment.currency:
        logger.warning("Stripe event for %s has another amount or currency; ignored", payment.public_id)
        return None
    return payment


# --- auto-recharge ------------------------------------------------------------------------------------


def _available_now() -> Subquery:
    return Subquery(
        Wallet.objects.filter(customer_id=OuterRef("customer_id"))
        .annotate(available=F("balance") - F("held"))
        .values("available")[:1]
    )


_AUTO_RECHARGE_SQL = (
    f'SELECT "id", "auto_recharge_trigger", "auto_recharge_armed" FROM "{BillingProfile._meta.db_table}" '
    'WHERE "customer_id" = %s AND "auto_recharge_enabled" LIMIT 1'
)


def auto_recharge_check(*, wallet: Wallet) -> bool:
    """After a wallet transaction: fire once when available drops below the trigger, re-arm when it is back.

    The decision is a conditional UPDATE against the wallet's current row (not this transaction's
    snapshot), so of many concurrent debits exactly one flips `armed` off and enqueues the charge.
    """
    if rawsql.available():
        # Runs after every wallet transaction: a fixed prepared statement, no ORM compilation.
        row = rawsql.fetch_one(_AUTO_RECHARGE_SQL, [wallet.customer_id])
    else:
        row = (
            BillingProfile.objects.filter(customer_id=wallet.customer_id, auto_recharge_enabled=True)
            .values_list("pk", "auto_recharge_trigger", "auto_recharge_armed")
            .first()
        )
    if row is None:
        return False
    pk, trigger, armed = row
    available = wallet.balance - wallet.held
    if available < trigger and armed:
        won = BillingProfile.objects.filter(
            pk=pk,
            auto_recharge_enabled=True,
            auto_recharge_armed=True,
            auto_recharge_trigger__gt=_available_now(),
        ).update(auto_recharge_armed=False)
        if won:
            from juiced.payments.tasks import auto_recharge_charge

            enqueue_on_commit(
                auto_recharge_charge,
                tenant_id=wallet.tenant_id,
                customer_id=wallet.customer_id,
                cycle=new_public_id("arc"),
            )
            return True
    elif available >= trigger and not armed:
        BillingProfile.objects.filter(
            pk=pk, auto_recharge_armed=False, auto_recharge_trigger__lte=_available_now()
        ).update(auto_recharge_armed=True)
    return False


def auto_recharge_update(
    *, customer: Any, actor: Any, enabled: bool, trigger: Any, amount: Any
) -> BillingProfile:
    """Turn auto-recharge on or off; enabling below the trigger charges at once (after commit)."""
    chosen = settings_for(customer.tenant)
    currency = customer.tenant.currency
    errors: dict[str, list[str]] = {}
    if not isinstance(enabled, bool):
        errors["enabled"] = ["Must be true or false."]
    if isinstance(trigger, bool) or not isinstance(trigger, int):
        errors["trigger"] = ["Enter the trigger amount."]
    elif trigger < MINIMUM_TRIGGER or trigger > MAX_AMOUNT:
        errors["trigger"] = [f"The trigger must be at least {format_money(MINIMUM_TRIGGER, currency)}."]
    if isinstance(amount, bool) or not isinstance(amount, int):
        errors["amount"] = ["Enter the recharge amount."]
    elif amount < chosen.deposit_minimum or amount > MAX_AMOUNT:
        errors["amount"] = [
            f"The recharge amount must be at least the minimum deposit, "
            f"{format_money(chosen.deposit_minimum, currency)}."
        ]
    if enabled is True and not PaymentMethod.objects.filter(customer=customer, is_default=True).exists():
        errors["enabled"] = ["Add a card first: auto-recharge charges the default card."]
    if errors and (enabled is True or "enabled" in errors):
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    with transaction.atomic():
        profile = billing_profile(customer)
        profile = BillingProfile.objects.select_for_update().get(pk=profile.pk)
        before = [profile.auto_recharge_enabled, profile.auto_recharge_trigger, profile.auto_recharge_amount]
        profile.auto_recharge_enabled = enabled
        if not errors:
            profile.auto_recharge_trigger = trigger
            profile.auto_recharge_amount = amount
        profile.auto_recharge_armed = True
        profile.save()
        after = [profile.auto_recharge_enabled, profile.auto_recharge_trigger, profile.auto_recharge_amount]
        state = "on" if enabled else "off"
        audit_record(
            tenant=customer.tenant,
            customer=customer,
            actor=actor,
            action="payments.auto_recharge",
            summary=(
                f"Auto-recharge {state}: below {format_money(profile.auto_recharge_trigger, currency)} add "
                f"{format_money(profile.auto_recharge_amount, currency)}"
            ),
            changes={"auto_recharge": [before, after]} if before != after else {},
        )
        if enabled:
            wallet = Wallet.objects.get(customer=customer)
            auto_recharge_check(wallet=wallet)
    return profile


def auto_recharge_run(*, customer_id: int, cycle: str) -> str:
    """The background charge for one drop below the trigger; returns what it did."""
    profile = (
        BillingProfile.objects.select_related("customer", "customer__tenant")
        .filter(customer_id=customer_id)
        .first()
    )
    if profile is None or not profile.auto_recharge_enabled:
        return "disabled"
    customer = profile.customer
    wallet = Wallet.objects.get(customer=customer)
    if wallet.available >= profile.auto_recharge_trigger:
        # Funds came back before the job ran (another deposit): nothing to charge; re-arm.
        BillingProfile.objects.filter(pk=profile.pk).update(auto_recharge_armed=True)
        return "not needed"
    if not PaymentMethod.objects.filter(customer=customer, is_default=True).exists():
        _record_failed_recharge(customer=customer, amount=profile.auto_recharge_amount, cycle=cycle)
        return "no card"
    try:
        payment, _replayed = deposit_create(
            customer=customer,
            amount=profile.auto_recharge_amount,
            actor=None,
            idempotency_key=f"auto-recharge:{cycle}",
            kind=Payment.Kind.AUTO_RECHARGE,
        )
    except PaymentDeclined:
        return "declined"
    return payment.status


def _record_failed_recharge(*, customer: Any, amount: int, cycle: str) -> None:
    message = "Auto-recharge could not run: there is no card on file."
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                tenant_id=customer.tenant_id,
                customer=customer,
                kind=Payment.Kind.AUTO_RECHARGE,
                amount=amount,
                currency=customer.tenant.currency,
                status=Payment.Status.FAILED,
                failure_message=message,
                idempotency_key=f"auto-recharge:{cycle}",
            )
            _notify_on_commit(payment, "payment_failed")
    except IntegrityError:
        pass  # this drop was already recorded


def payment_get(*, customer: Any, public_id: str) -> Payment:
    payment = Payment.objects.filter(customer=customer, public_id=public_id).first()
    if payment is None:
        raise NotFound("No such payment.")
    return payment


__all__ = [
    "InvalidState",
    "PaymentDeclined",
    "ProcessorUnavailable",
    "SignatureInvalid",
]
