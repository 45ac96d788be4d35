"""The delivery job: one HTTP attempt per run, retried with exponential backoff by `@background_job`."""

from __future__ import annotations

from juiced.core.jobs import PermanentFailure, background_job
from juiced.webhooks.services import (
    MAX_ATTEMPTS,
    RETRY_BASE_DELAY,
    RETRY_MAX_DELAY,
    webhook_delivery_attempt,
)


class DeliveryFailed(Exception):
    """A timeout, connection error or 5xx: the job runs again later."""


@background_job(max_attempts=MAX_ATTEMPTS, base_delay=RETRY_BASE_DELAY, max_delay=RETRY_MAX_DELAY)
def webhook_deliver(*, tenant_id: int, delivery_id: int, force: bool = False) -> str:
    """Send one webhook delivery; a 4xx, 3xx or refused address is final, the rest retries."""
    outcome = webhook_delivery_attempt(delivery_id=delivery_id, force=force)
    if outcome is None:
        return "skipped"
    if outcome.result.succeeded:
        return f"delivered: HTTP {outcome.result.status_code}"
    if outcome.will_retry:
        raise DeliveryFailed(outcome.result.error)
    raise PermanentFailure(outcome.result.error)
