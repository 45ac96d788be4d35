"""Background jobs with retries: `@background_job(...)` defines a django-tasks task that retries itself.

Every job is queued through Django's tasks API (django-tasks, database backend) and run by
`juiced worker`. django-tasks has no retries of its own, so a job defined here re-enqueues itself with
exponential backoff when it raises: attempt n waits `base_delay * 2**(n-1)` seconds (capped at
`max_delay`) before attempt n+1, up to `max_attempts`. The failed attempt stays FAILED in the task table
with its traceback (visible on the dashboard's Jobs page); the last attempt's failure is final and can be
re-run by hand. Raise `PermanentFailure` for an error a retry cannot fix (it is final at once).

Conventions: jobs take keyword arguments only, and a `tenant_id` keyword (None for platform jobs) so the
Jobs page can show each tenant its own jobs; `attempt` is added by this module.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task

MAX_ATTEMPTS: dict[str, int] = {}  # task path → its max_attempts, for the Jobs page


class PermanentFailure(Exception):
    """A job error that retrying cannot fix (bad address, deleted record): no further attempts."""


def retry_delay(attempt: int, *, base_delay: float, max_delay: float) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based) before the next one."""
    return min(max_delay, base_delay * 2 ** (attempt - 1))


def background_job(
    *, max_attempts: int = 5, base_delay: float = 10.0, max_delay: float = 3600.0, priority: int = 0
) -> Callable[[Callable[..., Any]], Any]:
    """Decorate a module-level function taking keyword arguments to make it a retried background job."""

    def decorator(func: Callable[..., Any]) -> Any:
        @functools.wraps(func)
        def run(*, attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return func(**kwargs)
            except PermanentFailure:
                raise
            except Exception:
                if attempt < max_attempts:
                    delay = retry_delay(attempt, base_delay=base_delay, max_delay=max_delay)
                    job.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                        attempt=attempt + 1, **kwargs
                    )
                raise

        job = task(priority=priority)(run)
        MAX_ATTEMPTS[f"{func.__module__}.{func.__qualname__}"] = max_attempts
        return job

    return decorator
