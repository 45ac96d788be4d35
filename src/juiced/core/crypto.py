"""Secrets stored at rest (Stripe secret keys, Twilio auth tokens) are encrypted with Fernet.

The key comes from `JUICED_ENCRYPTION_KEY` (a Fernet key) when set, else it is derived from
`SECRET_KEY`; rotating SECRET_KEY without setting JUICED_ENCRYPTION_KEY makes stored secrets unreadable,
so production should set JUICED_ENCRYPTION_KEY (docs/operations.md).
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = os.environ.get("JUICED_ENCRYPTION_KEY")
    if not key:
        digest = hashlib.sha256(b"juiced-secrets:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def encrypt_secret(plain: str) -> str:
    """Ciphertext (text) for `plain`; the empty string stays empty."""
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt_secret(cipher: str) -> str:
    """The plain secret, or "" when nothing is stored; raises ValueError when the key changed."""
    if not cipher:
        return ""
    try:
        return _fernet().decrypt(cipher.encode()).decode()
    except InvalidToken:
        raise ValueError("A stored secret cannot be decrypted: the encryption key changed.") from None


def mask_secret(plain: str, *, visible: int = 4) -> str:
    """`sk_test_…abcd`-style display of a secret."""
    if not plain:
        return ""
    return plain[: min(8, len(plain) // 3)] + "…" + plain[-visible:]
