"""Per-source rate limit: a fixed one-minute window counted in Django's cache.

The default cache is per-process local memory, so each server process counts on its own (N processes
allow up to N × the limit). Configure a shared cache (Redis, Memcached, the database cache) in
`CACHES["default"]` to make the limit global. A cache that loses a counter only lets a few extra calls in.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache

WINDOW_SECONDS = 60


def rate_limit_hit(*, source_key: str, limit: int, now: float | None = None) -> int | None:
    """Count one call for `source_key`; None when within `limit` per minute, else seconds to wait."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"juiced:ingest-rate:{source_key}:{window}"
    # One cache call per request: incr the window's counter; only the window's first call finds no key,
    # creates it with add() (a no-op when a concurrent first call won) and counts again.
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1 if cache.add(key, 1, timeout=WINDOW_SECONDS + 1) else _incr_or_one(key)
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


def _incr_or_one(key: str) -> int:
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: count this call as the first
        cache.set(key, 1, timeout=WINDOW_SECONDS + 1)
        return 1
