"""Payments fixtures: a real localstripe server for the session and tenant A configured to use it.

The `stripe` library talks HTTP to localstripe (a fake Stripe from PyPI) on a free local port; nothing
reaches the internet.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import transaction

from juiced.payments.services import CardInput, card_add, payment_settings_update

WEBHOOK_SECRET = "whsec_test_acme_0123456789"
VISA = CardInput(number="4242424242424242", exp_month=12, exp_year=2034, cvc="123")
DECLINED_AT_ATTACH = CardInput(number="4000000000000002", exp_month=12, exp_year=2034, cvc="123")
DECLINED_AT_CHARGE = CardInput(number="4000000000000341", exp_month=12, exp_year=2034, cvc="123")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url():
    port = _free_port()
    binary = Path(sys.executable).with_name("localstripe")
    process = subprocess.Popen(
        [str(binary), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url + "/v1/customers", timeout=1)
        except urllib.error.HTTPError:
            break  # it answers (401 without a key): ready
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("localstripe did not start")
            time.sleep(0.1)
        else:
            break
    yield url
    process.terminate()
    process.wait(timeout=10)


def configure(tenant, actor, url: str, **extra):
    return payment_settings_update(
        tenant=tenant,
        actor=actor,
        data={
            "publishable_key": "pk_test_acme",
            "secret_key": "sk_test_acme_0123456789",
            "webhook_secret": WEBHOOK_SECRET,
            "api_base": url,
            **extra,
        },
    )


@pytest.fixture
def stripe_acme(tenant_a, alice, localstripe_url):
    """Tenant A with Stripe pointing at localstripe: $10 minimum, 3% deposit fee, 5% auto-recharge fee."""
    return configure(
        tenant_a,
        alice,
        localstripe_url,
        deposit_minimum=1000,
        manual_fee_percent="3.00",
        auto_recharge_fee_percent="5.00",
    )


@pytest.fixture
def visa(stripe_acme, acme_customer, buyer):
    """acme_customer's default card, a Visa ending 4242, saved through localstripe."""
    return card_add(customer=acme_customer, actor=buyer, card=VISA)


__all__ = ["transaction"]
