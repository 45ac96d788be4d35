"""Ping expiry: an open ping past `expires_at` becomes Expired and the funds its offers held are released.

The post path expires a ping it finds stale (so a late post gets "Ping ID has expired" at once), and a
scheduled job sweeps the rest every minute. Both go through `ping_expire`, whose conditional UPDATE is
the claim: a ping is expired, and its holds released, exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from juiced.core.jobs import background_job, scheduled
from juiced.leads import allocation
from juiced.leads.models import Ping, PingOffer

logger = logging.getLogger("juiced.leads.pings")

SWEEP_BATCH = 500


def ping_expire(*, ping: Ping) -> bool:
    """Mark an open ping Expired and release its held offers; False when it was no longer open."""
    with transaction.atomic():
        claimed = Ping.objects.filter(pk=ping.pk, status=Ping.Status.OPEN).update(status=Ping.Status.EXPIRED)
        if not claimed:
            return False
        ping.status = Ping.Status.EXPIRED
        if PingOffer.objects.filter(ping_id=ping.pk, status=PingOffer.Status.HELD).exists():
            allocation.ping_release(ping=ping, reason="Ping expired")
    return True


def pings_expire(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Expire every open ping whose expiry has passed (up to `batch` per call); returns how many."""
    now = now or timezone.now()
    due = Ping.objects.filter(status=Ping.Status.OPEN, expires_at__lte=now).order_by("expires_at", "id")
    expired = 0
    for ping in list(due[:batch]):
        try:
            expired += ping_expire(ping=ping)
        except Exception:  # one bad ping must not stop the sweep; the next run tries it again
            logger.exception("Could not expire ping %s", ping.uuid)
    return expired


@scheduled(every=timedelta(minutes=1))
@background_job(max_attempts=1, label="Expire pings and release their holds")
def pings_expire_job() -> int:
    return pings_expire()
