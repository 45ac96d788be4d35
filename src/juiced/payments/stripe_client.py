"""The one way to talk to Stripe: `stripe_client(tenant)` builds a `stripe.StripeClient` for the tenant.

The secret key and API address come from the environment (`STRIPE_SECRET_KEY`, `STRIPE_API_BASE`) when
set, for single-tenant installations that keep secrets out of the database; otherwise from the tenant's
payment settings (the secret decrypted from rest). Tests and the demo point the API address at
localstripe, a local fake Stripe server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import stripe

from juiced.core.crypto import decrypt_secret
from juiced.core.errors import InvalidState
from juiced.payments.models import STRIPE_API_BASE, PaymentSettings

TIMEOUT_SECONDS = 30


class PaymentsNotConfigured(InvalidState):
    code = "payments_not_configured"
    default_message = (
        "Card payments are not set up yet: an Admin enters the Stripe keys in Settings → Payments."
    )


@dataclass(frozen=True)
class StripeConfig:
    secret_key: str
    api_base: str
    publishable_key: str
    webhook_secret: str

    @property
    def is_real_stripe(self) -> bool:
        """Stripe's own servers (live or test mode), as opposed to a local fake such as localstripe."""
        return self.api_base.rstrip("/") == STRIPE_API_BASE

    @property
    def is_test_mode(self) -> bool:
        return not self.secret_key.startswith(("sk_live_", "rk_live_"))

    @property
    def uses_elements(self) -> bool:
        """Card entry through Stripe Elements (Stripe.js); else our server-side form (fake server only)."""
        return self.is_real_stripe and bool(self.publishable_key)


def settings_for(tenant: Any) -> PaymentSettings:
    """The tenant's payment settings row (created with defaults on first use)."""
    found, _created = PaymentSettings.objects.get_or_create(tenant=tenant)
    return found


def stripe_config(tenant: Any, payment_settings: PaymentSettings | None = None) -> StripeConfig:
    chosen = payment_settings or settings_for(tenant)
    return StripeConfig(
        secret_key=os.environ.get("STRIPE_SECRET_KEY") or decrypt_secret(chosen.secret_key_encrypted),
        api_base=(os.environ.get("STRIPE_API_BASE") or chosen.api_base or STRIPE_API_BASE).rstrip("/"),
        publishable_key=chosen.publishable_key,
        webhook_secret=decrypt_secret(chosen.webhook_secret_encrypted),
    )


def stripe_client(tenant: Any) -> stripe.StripeClient:
    """A Stripe client with the tenant's secret key and API address; PaymentsNotConfigured without a key."""
    config = stripe_config(tenant)
    if not config.secret_key:
        raise PaymentsNotConfigured()
    return stripe.StripeClient(
        config.secret_key,
        base_addresses={"api": config.api_base},
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def dashboard_url(*, stripe_customer_id: str, test_mode: bool) -> str:
    """Stripe's dashboard page for a Stripe customer (the test-mode page for test keys)."""
    prefix = "https://dashboard.stripe.com/test" if test_mode else "https://dashboard.stripe.com"
    return f"{prefix}/customers/{stripe_customer_id}"


def secret_from_environment() -> bool:
    """True when STRIPE_SECRET_KEY is set: it wins over every tenant's stored key."""
    return bool(os.environ.get("STRIPE_SECRET_KEY"))
