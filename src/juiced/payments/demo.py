"""Demo payment settings: the demo tenant charges cards through localstripe, a local fake Stripe that
`juiced serve --with-fake-stripe` (and so `make run`) starts on 127.0.0.1:8420."""

from __future__ import annotations

from typing import Any

from juiced.payments.models import PaymentSettings
from juiced.payments.services import payment_settings_update

FAKE_STRIPE_PORT = 8420
FAKE_STRIPE_URL = f"http://127.0.0.1:{FAKE_STRIPE_PORT}"
DEMO_WEBHOOK_SECRET = "whsec_demo_fake_stripe_only"


def demo_payments(*, tenant: Any, admin: Any) -> bool:
    """Point the demo tenant at the fake Stripe (once: an Admin's later changes are kept)."""
    existing = PaymentSettings.objects.filter(tenant=tenant).first()
    if existing is not None and existing.secret_key_encrypted:
        return False
    payment_settings_update(
        tenant=tenant,
        actor=admin,
        data={
            "publishable_key": "pk_test_demo",
            "secret_key": "sk_test_demo_fake_stripe_only",
            "webhook_secret": DEMO_WEBHOOK_SECRET,
            "api_base": FAKE_STRIPE_URL,
            "deposit_minimum": 1000,
            "manual_fee_percent": "3.00",
            "auto_recharge_fee_percent": "2.00",
        },
    )
    return True


def fake_stripe_register_webhook(*, server_url: str, tenant_slug: str) -> None:
    """Ask the fake Stripe to post signed payment events to this server's webhook for the demo tenant."""
    import urllib.parse
    import urllib.request

    form = urllib.parse.urlencode(
        [
            ("url", f"{server_url}/webhooks/stripe/{tenant_slug}/"),
            ("secret", DEMO_WEBHOOK_SECRET),
            ("events[]", "payment_intent.succeeded"),
            ("events[]", "payment_intent.payment_failed"),
        ]
    ).encode()
    request = urllib.request.Request(f"{FAKE_STRIPE_URL}/_config/webhooks/{tenant_slug}", data=form)
    urllib.request.urlopen(request, timeout=5)
