"""The SSRF guard: only public addresses, https outside development, checked again at delivery time."""

from __future__ import annotations

import pytest

from juiced.core.errors import ValidationFailed
from juiced.webhooks.addresses import AddressRefused, is_public_address, webhook_target
from juiced.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from juiced.webhooks.services import (
    webhook_create,
    webhook_delivery_attempt,
    webhook_settings_update,
    webhook_test_send,
)

PUBLIC = "https://93.184.216.34/hooks"  # an IP literal: resolving it needs no DNS (no test uses the internet)

REFUSED = [
    "https://127.0.0.1/hook",
    "https://127.1.2.3:8443/hook",
    "https://10.0.0.5/hook",
    "https://172.16.0.1/hook",
    "https://192.168.1.10/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://[::1]/hook",
    "https://[fe80::1]/hook",
    "https://[fd00::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://224.0.0.1/hook",
    "https://localhost/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_addresses_are_refused(url):
    with pytest.raises(AddressRefused) as caught:
        webhook_target(url, allow_private=False)
    assert caught.value.fields["url"]


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://localhost/hook", "https://[::1]/hook"])
def test_the_testing_flag_allows_private_addresses(url):
    target = webhook_target(url, allow_private=True)
    assert target.addresses


def test_a_public_address_is_accepted_and_every_address_is_kept():
    target = webhook_target(PUBLIC + "?a=1", allow_private=False)
    assert target.addresses == ("93.184.216.34",)
    assert (target.scheme, target.port, target.path) == ("https", 443, "/hooks?a=1")


def test_plain_http_is_refused_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(AddressRefused, match="https"):
        webhook_target("http://93.184.216.34/hook", allow_private=False)


def test_plain_http_is_allowed_in_debug(settings):
    settings.DEBUG = True
    assert webhook_target("http://93.184.216.34/hook", allow_private=False).port == 80


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://93.184.216.34/x",
        "https://",
        "https://user:pw@93.184.216.34/",
        "not a url",
        "https://93.184.216.34:99999/",
    ],
)
def test_malformed_urls_and_credentials_are_refused(url):
    with pytest.raises(AddressRefused):
        webhook_target(url, allow_private=False)


def test_is_public_address():
    assert is_public_address("8.8.8.8")
    assert is_public_address("2606:4700:4700::1111")
    assert not is_public_address("::ffff:10.0.0.1")
    assert not is_public_address("fe80::1%eth0")


@pytest.mark.django_db
def test_saving_a_loopback_webhook_without_the_flag_is_a_field_error(tenant_a, alice):
    with pytest.raises(ValidationFailed) as caught:
        webhook_create(
            tenant=tenant_a,
            actor=alice,
            data={"name": "Local", "url": "https://127.0.0.1/x", "events": ["customer.created"]},
        )
    assert "private" in caught.value.fields["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_delivery_checks_the_address_again_and_sends_nothing_once_the_flag_is_off(
    private_allowed, alice, receiver, settings
):
    """A webhook saved while testing was allowed cannot reach 127.0.0.1 after the flag is turned off
    (the same check that stops a host name re-pointed to a private address after it was saved)."""
    settings.DEBUG = True  # plain http stays allowed: only the address rule is under test
    endpoint, _secret = webhook_create(
        tenant=private_allowed,
        actor=alice,
        data={"name": "Local", "url": receiver.url, "events": ["lead.created"]},
    )
    delivery = webhook_test_send(endpoint=endpoint)
    webhook_settings_update(tenant=private_allowed, actor=alice, allow_private_addresses=False)

    outcome = webhook_delivery_attempt(delivery_id=delivery.pk, force=True)

    assert outcome is not None and not outcome.will_retry
    assert "private" in outcome.attempt.error
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert WebhookAttempt.objects.get().status_code is None


@pytest.mark.django_db
def test_the_flag_defaults_to_the_setting_until_the_tenant_chooses(tenant_a, alice, settings):
    from juiced.webhooks.selectors import allow_private_addresses

    settings.JUICED_WEBHOOK_ALLOW_PRIVATE = True
    assert allow_private_addresses(tenant_id=tenant_a.pk) is True
    webhook_settings_update(tenant=tenant_a, actor=alice, allow_private_addresses=False)
    assert allow_private_addresses(tenant_id=tenant_a.pk) is False
