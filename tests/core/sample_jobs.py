"""Jobs the core tests queue: importable by task path, so the real worker can run them."""

from __future__ import annotations

from django_tasks import task

from juiced.core.jobs import PermanentFailure, background_job

CALLS: dict[str, int] = {}  # key → times the job body ran (the worker runs in the test process)


@background_job(max_attempts=4, base_delay=60.0, max_delay=3600.0)
def flaky(*, key: str, fail_times: int, tenant_id: int | None = None) -> str:
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] <= fail_times:
        raise ConnectionError(f"{key}: attempt {CALLS[key]} could not connect")
    return f"{key}: done on attempt {CALLS[key]}"


@background_job(max_attempts=3, base_delay=10.0, label="Always failing import")
def always_fails(*, tenant_id: int | None = None) -> None:
    raise ConnectionError("the partner's server is down")


@background_job(max_attempts=5)
def refuses(*, tenant_id: int | None = None) -> None:
    raise PermanentFailure("the address does not exist")


@background_job(max_attempts=1)
def heartbeat() -> str:
    return "beat"


@task()
def plain_task(*, tenant_id: int | None = None) -> None:
    """A django-tasks task without our retry policy."""


def nightly_report() -> str:
    """A plain function: `@scheduled` turns it into a job with one attempt."""
    return "report"
