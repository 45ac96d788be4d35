"""Payments forms: they parse what a browser sends (dollars as text, MM/YY); the services decide validity."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from juiced.core.money import AmountError, cents_to_decimal, parse_amount
from juiced.payments.services import SUPPORTED_CURRENCIES


def _text(label: str, *, input_type: str = "text", **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, widget=forms.TextInput(attrs={"type": input_type, **attrs})
    )


def _dollars(form: forms.Form, field: str) -> int | None:
    raw = form.cleaned_data.get(field, "")
    if not str(raw).strip():
        return None
    try:
        return parse_amount(raw)
    except AmountError as exc:
        raise forms.ValidationError(str(exc)) from None


class PaymentSettingsForm(forms.Form):
    currency = forms.ChoiceField(
        label="Currency",
        choices=[(code, code) for code in SUPPORTED_CURRENCIES],
        required=False,
        help_text="Every wallet of this tenant uses it; it can change only before any money has moved.",
    )
    publishable_key = _text("Publishable key", placeholder="pk_live_… or pk_test_…", autocomplete="off")
    secret_key = forms.CharField(
        label="Secret key",
        required=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "off", "placeholder": "Leave empty to keep the stored key"}
        ),
    )
    webhook_secret = forms.CharField(
        label="Webhook signing secret",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "placeholder": "whsec_… (empty keeps it)"}),
    )
    api_base = _text("API address", input_type="url", placeholder="https://api.stripe.com")
    deposit_minimum = _text("Minimum deposit ($)", inputmode="decimal")
    manual_fee_percent = _text("Manual deposit fee (%)", inputmode="decimal")
    auto_recharge_fee_percent = _text("Auto-recharge fee (%)", inputmode="decimal")
    waive_first_deposit_fee = forms.BooleanField(
        label="Waive the fee on a customer's first payment", required=False
    )

    @classmethod
    def initial_for(cls, current: Any) -> dict[str, Any]:
        return {
            "currency": current.tenant.currency.upper(),
            "publishable_key": current.publishable_key,
            "api_base": current.api_base,
            "deposit_minimum": f"{cents_to_decimal(current.deposit_minimum)}",
            "manual_fee_percent": f"{current.manual_fee_percent}",
            "auto_recharge_fee_percent": f"{current.auto_recharge_fee_percent}",
            "waive_first_deposit_fee": current.waive_first_deposit_fee,
        }

    def clean_deposit_minimum(self) -> int | None:
        return _dollars(self, "deposit_minimum")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for secret in ("secret_key", "webhook_secret"):
            if not data[secret]:
                data[secret] = None  # empty keeps what is stored
        if data["deposit_minimum"] is None:
            data["deposit_minimum"] = ""
        data["currency"] = data.get("currency") or None  # not sent keeps the current one
        return data


class CardForm(forms.Form):
    """Server-side card entry (fake Stripe only); with Stripe Elements only `payment_method_id` is sent."""

    number = _text(
        "Card number", inputmode="numeric", autocomplete="cc-number", placeholder="4242 4242 4242 4242"
    )
    expiry = _text("Expiry (MM/YY)", autocomplete="cc-exp", placeholder="12/34")
    cvc = _text("CVC", inputmode="numeric", autocomplete="cc-csc", placeholder="123")
    payment_method_id = forms.CharField(required=False, widget=forms.HiddenInput)

    def expiry_parts(self) -> tuple[int | None, int | None]:
        raw = self.cleaned_data.get("expiry", "").replace(" ", "")
        month, _, year = raw.partition("/")
        if month.isdigit() and year.isdigit():
            return int(month), int(year)
        return None, None


class DepositForm(forms.Form):
    amount = _text("Amount ($)", inputmode="decimal", placeholder="100.00")
    payment_method = forms.ChoiceField(label="Card", required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, cards: list[Any] = (), **kwargs: Any):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].choices = [
            (card.public_id, f"{card.label} ({card.expiry}){' · default' if card.is_default else ''}")
            for card in cards
        ]

    def clean_amount(self) -> int | None:
        return _dollars(self, "amount")


class AutoRechargeForm(forms.Form):
    enabled = forms.BooleanField(label="Enable auto-recharge", required=False)
    trigger = _text("When available funds fall below ($)", inputmode="decimal", placeholder="100.00")
    amount = _text("Add this amount ($)", inputmode="decimal", placeholder="500.00")

    @classmethod
    def initial_for(cls, profile: Any) -> dict[str, Any]:
        return {
            "enabled": profile.auto_recharge_enabled,
            "trigger": f"{cents_to_decimal(profile.auto_recharge_trigger)}"
            if profile.auto_recharge_trigger
            else "",
            "amount": f"{cents_to_decimal(profile.auto_recharge_amount)}"
            if profile.auto_recharge_amount
            else "",
        }

    def clean_trigger(self) -> int | None:
        return _dollars(self, "trigger")

    def clean_amount(self) -> int | None:
        return _dollars(self, "amount")
