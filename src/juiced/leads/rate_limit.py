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
    # add() is a no-op when the key exists, so concurrent first calls cannot reset each other's count.
    cache.add(key, 0, timeout=WINDOW_SECONDS + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
