"""The Juiced-Signature header: HMAC-SHA256 over "<t>.<body>"; any change to the body fails it."""

from __future__ import annotations

from juiced.webhooks.signing import SECRET_PREFIX, secret_generate, signature_header, signature_verify

BODY = b'{"id":"evt_1","type":"customer.created","data":{}}'


def test_a_signed_body_verifies_with_its_secret():
    secret = secret_generate()
    header = signature_header(secret=secret, body=BODY, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert signature_verify(secret=secret, header=header, body=BODY, now=1_700_000_010)


def test_a_tampered_body_fails():
    secret = secret_generate()
    header = signature_header(secret=secret, body=BODY, timestamp=1_700_000_000)
    tampered = BODY.replace(b"customer.created", b"customer.updated")
    assert not signature_verify(secret=secret, header=header, body=tampered, now=1_700_000_000)


def test_another_secret_or_an_old_timestamp_fails():
    secret = secret_generate()
    header = signature_header(secret=secret, body=BODY, timestamp=1_700_000_000)
    assert not signature_verify(secret=secret_generate(), header=header, body=BODY, now=1_700_000_000)
    assert not signature_verify(secret=secret, header=header, body=BODY, now=1_700_000_000 + 301)
    assert not signature_verify(secret=secret, header="garbage", body=BODY)


def test_secrets_are_random_and_prefixed():
    first, second = secret_generate(), secret_generate()
    assert first != second and first.startswith(SECRET_PREFIX) and len(first) > 40
