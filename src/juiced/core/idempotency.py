"""Idempotency-Key handling shared by every money path (wallets, payments, vending)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from juiced.core.errors import ValidationFailed


def idempotency_key_clean(key: str | None) -> str | None:
    """The key without surrounding blanks, or None when none was sent; 1 to 255 characters."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 255:
        raise ValidationFailed.on("idempotency_key", "Idempotency-Key must be 1 to 255 characters.")
    return key


def request_fingerprint(operation: str, params: dict[str, Any]) -> str:
    """SHA-256 of the operation and its parameters: the same key with other parameters is refused."""
    blob = json.dumps({"operation": operation, **params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
