"""Who is calling the source API: `Authorization: Basic base64(api_key:api_secret)` or `Bearer <token>`.

Secrets and tokens are stored as SHA-256 hex digests; the comparison is constant-time. A paused or
deleted source, an expired token, a malformed header or no header at all are the same answer: None
(the view turns it into Juiced's 401 `{"message": "Unauthorized"}`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from functools import cache

from django.db.models import Q
from django.utils import timezone

from juiced.core import rawsql
from juiced.leads.models import LeadCategory, Source, SourceToken


def secret_digest(secret: str) -> str:
    """The stored form of an API secret or bearer token (SHA-256, hex)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@cache
def _sql(by: str) -> str:
    """One fixed statement per way in: the live source with its default category, by key or by token."""
    source, category, token = (model._meta.db_table for model in (Source, LeadCategory, SourceToken))
    select = (
        f'SELECT {rawsql.columns(Source, "s")}, {rawsql.columns(LeadCategory, "c")} FROM "{source}" s '
        f'LEFT JOIN "{category}" c ON c."id" = s."default_category_id" '
    )
    live = 's."is_active" AND s."deleted_at" IS NULL'
    if by == "key":
        return f'{select} WHERE s."api_key" = %s AND {live}'
    return (
        f'{select} JOIN "{token}" t ON t."source_id" = s."id" WHERE t."token_hash" = %s '
        f'AND (t."expires_at" IS NULL OR t."expires_at" > now()) AND {live}'
    )


def _raw_source(by: str, value: str) -> Source | None:
    row = rawsql.fetch_one(_sql(by), [value])
    if row is None:
        return None
    width = rawsql.width(Source)
    source = rawsql.instance(Source, row[:width])
    source.default_category = None if row[width] is None else rawsql.instance(LeadCategory, row[width:])
    return source


def _live_sources():
    return Source.objects.select_related("default_category").filter(is_active=True, deleted_at__isnull=True)


def _basic(credentials: str) -> Source | None:
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    api_key, colon, api_secret = decoded.partition(":")
    if not colon or not api_key or not api_secret:
        return None
    if rawsql.available():
        source = _raw_source("key", api_key)
    else:
        source = _live_sources().filter(api_key=api_key).first()
    if source is None:
        return None
    if not hmac.compare_digest(source.api_secret_hash, secret_digest(api_secret)):
        return None
    return source


def _bearer(token: str) -> Source | None:
    token = token.strip()
    if not token:
        return None
    # The token hash is unique and indexed; the digest itself is the look-up key, so an attacker learns
    # nothing from timing that a guess at a 256-bit preimage would not already need.
    if rawsql.available():
        return _raw_source("token", secret_digest(token))
    source_ids = SourceToken.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()), token_hash=secret_digest(token)
    ).values("source_id")
    return _live_sources().filter(pk__in=source_ids).first()


def source_authenticate(*, authorization: str) -> Source | None:
    """The live source named by an Authorization header (Basic key:secret or Bearer token), else None."""
    scheme, _space, credentials = (authorization or "").strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        return _basic(credentials)
    if scheme == "bearer":
        return _bearer(credentials)
    return None
