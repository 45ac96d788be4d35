"""Background jobs with retries: `@background_job(...)` defines a django-tasks task that retries itself.

Every job is queued through Django's tasks API (django-tasks, database backend) and run by
`juiced worker`. django-tasks has no retries of its own, so a job defined here re-enqueues itself with
exponential backoff when it raises: attempt n waits `base_delay * 2**(n-1)` seconds (capped at
`max_delay`) before attempt n+1, up to `max_attempts`. The failed attempt stays FAILED in the task table
with its traceback (visible on the dashboard's Jobs page); the last attempt's failure is final and can be
re-run by hand. Raise `PermanentFailure` for an error a retry cannot fix (it is final at once).

Conventions: jobs take keyword arguments only, and a `tenant_id` keyword (None for platform jobs) so the
Jobs page can show each tenant its own jobs; `attempt` is added by this module.

Scheduled jobs: `@scheduled(every=timedelta(...))` above a job registers it; `juiced worker` runs
`scheduler_tick()` every few seconds in a thread, and each due job is enqueued exactly once across all
worker processes (a `ScheduledRun` row per job, claimed with one conditional UPDATE).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules, import_string
from django_tasks import TaskResultStatus, task
from django_tasks.base import Task
from django_tasks.signals import task_finished, task_started

from juiced.core.errors import Conflict, InvalidState, NotFound

logger = logging.getLogger("juiced.jobs")

MAX_ATTEMPTS: dict[str, int] = {}  # task path → its max_attempts, for the Jobs page


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay: float
    max_delay: float
    label: str

    def delay(self, attempt: int) -> float:
        return retry_delay(attempt, base_delay=self.base_delay, max_delay=self.max_delay)


POLICIES: dict[str, RetryPolicy] = {}  # task path → how it retries and what the Jobs page calls it


class PermanentFailure(Exception):
    """A job error that retrying cannot fix (bad address, deleted record): no further attempts."""


def retry_delay(attempt: int, *, base_delay: float, max_delay: float) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based) before the next one."""
    return min(max_delay, base_delay * 2 ** (attempt - 1))


def _humanize(name: str) -> str:
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def background_job(
    *,
    max_attempts: int = 5,
    base_delay: float = 10.0,
    max_delay: float = 3600.0,
    priority: int = 0,
    label: str = "",
) -> Callable[[Callable[..., Any]], Any]:
    """Decorate a module-level function taking keyword arguments to make it a retried background job."""

    def decorator(func: Callable[..., Any]) -> Any:
        path = f"{func.__module__}.{func.__qualname__}"
        policy = RetryPolicy(max_attempts, base_delay, max_delay, label or _humanize(func.__name__))

        @functools.wraps(func)
        def run(*, attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return func(**kwargs)
            except PermanentFailure:
                raise
            except Exception:
                if attempt < max_attempts:
                    _enqueue_attempt(job, kwargs=kwargs, attempt=attempt + 1, delay=policy.delay(attempt))
                raise

        job = task(priority=priority)(run)
        MAX_ATTEMPTS[path] = max_attempts
        POLICIES[path] = policy
        return job

    return decorator


_running = threading.local()  # the task result the worker is running in this thread


@receiver(task_started)
def _remember_running_task(sender: Any, task_result: Any, **kwargs: Any) -> None:
    _running.task = task_result.task


@receiver(task_finished)
def _forget_running_task(sender: Any, task_result: Any, **kwargs: Any) -> None:
    _running.task = None


def _enqueue_attempt(job: Task, *, kwargs: dict[str, Any], attempt: int, delay: float) -> Any:
    running = getattr(_running, "task", None)
    if running is not None and running.module_path == job.module_path:
        job = running  # the running copy carries the queue, priority and backend it was enqueued with
    return job.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(attempt=attempt, **kwargs)


def job_policy(task_path: str) -> RetryPolicy | None:
    """The retry policy of the job stored under `task_path` (importing its module), None for plain tasks."""
    if task_path not in POLICIES:
        try:
            import_string(task_path)
        except ImportError:
            return None
    return POLICIES.get(task_path)


def job_label(task_path: str) -> str:
    policy = job_policy(task_path)
    return policy.label if policy else _humanize(task_path.rsplit(".", 1)[-1])


def job_attempt(kwargs: dict[str, Any]) -> int:
    return int(kwargs.get("attempt", 1))


def job_retry_after_lost_worker(row: Any, *, now: datetime) -> bool:
    """Queue the next attempt of a job whose worker died mid-run, if its policy has attempts left."""
    policy = job_policy(row.task_path)
    kwargs = dict(row.args_kwargs.get("kwargs", {}))
    attempt = job_attempt(kwargs)
    if policy is None or attempt >= policy.max_attempts or row.args_kwargs.get("args"):
        return False
    kwargs.pop("attempt", None)
    job = import_string(row.task_path)
    job.using(
        run_after=now + timedelta(seconds=policy.delay(attempt)),
        queue_name=row.queue_name,
        priority=row.priority,
    ).enqueue(attempt=attempt + 1, **kwargs)
    return True


# --- scheduled jobs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    every: timedelta
    job: Task


SCHEDULE: dict[str, ScheduledJob] = {}
SCHEDULER_TICK_SECONDS = 5.0


def scheduled(*, every: timedelta, name: str = "") -> Callable[[Any], Any]:
    """Run a job every `every` (enqueued with no arguments); put it above `@background_job`."""

    def decorator(job: Any) -> Any:
        if not isinstance(job, Task):
            job = background_job(max_attempts=1)(job)
        key = name or job.module_path
        SCHEDULE[key] = ScheduledJob(name=key, every=every, job=job)
        return job

    return decorator


def scheduled_jobs_discover() -> dict[str, ScheduledJob]:
    """Import every installed app's `tasks` module so their `@scheduled` jobs register."""
    autodiscover_modules("tasks")
    return SCHEDULE


def scheduler_tick(*, now: datetime | None = None) -> list[str]:
    """Enqueue every scheduled job that is due, each exactly once however many workers tick at once."""
    from juiced.core.models import ScheduledRun

    now = now or timezone.now()
    known = set(ScheduledRun.objects.filter(name__in=list(SCHEDULE)).values_list("name", flat=True))
    for name in SCHEDULE.keys() - known:
        try:
            # A new job is due at once; another worker creating the same row first is fine.
            ScheduledRun.objects.get_or_create(name=name, defaults={"next_run_at": now})
        except IntegrityError:
            pass
    due = ScheduledRun.objects.filter(name__in=list(SCHEDULE), next_run_at__lte=now).order_by("name")
    enqueued = []
    for name in due.values_list("name", flat=True):
        entry = SCHEDULE[name]
        with transaction.atomic():
            # The conditional UPDATE is the claim: a second worker re-reads the row after ours commits,
            # finds next_run_at in the future and updates nothing. The enqueue commits with the claim.
            claimed = ScheduledRun.objects.filter(name=name, next_run_at__lte=now).update(
                next_run_at=now + entry.every, last_enqueued_at=now
            )
            if claimed:
                entry.job.enqueue()
                enqueued.append(name)
    return enqueued


class SchedulerThread(threading.Thread):
    """Ticks the scheduler beside the worker loop; a daemon, so it ends with the worker process."""

    def __init__(self, *, tick_seconds: float = SCHEDULER_TICK_SECONDS) -> None:
        super().__init__(name="juiced-scheduler", daemon=True)
        self.tick_seconds = tick_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:  # tick first: a worker started and stopped at once still queued what was due
            try:
                scheduler_tick()
            except Exception:  # a database hiccup must not kill the scheduler: log, try next tick
                logger.exception("Scheduler tick failed")
            finally:
                connections.close_all()  # this thread's connections only
            if self.stopping.wait(self.tick_seconds):
                return

    def stop(self) -> None:
        self.stopping.set()


# --- the Jobs page: a tenant's jobs and the re-run ----------------------------------------------------

RETRY_LINK_SLACK = timedelta(seconds=5)
JOB_STATUSES = {
    "failed": TaskResultStatus.FAILED,
    "queued": TaskResultStatus.READY,
    "running": TaskResultStatus.RUNNING,
    "successful": TaskResultStatus.SUCCESSFUL,
}


def tenant_jobs(*, tenant: Any, status: str = "") -> Any:
    """The tenant's jobs (kwargs tenant_id == tenant), newest first; `status` is a JOB_STATUSES key."""
    from django_tasks_db.models import DBTaskResult

    jobs = DBTaskResult.objects.filter(args_kwargs__kwargs__tenant_id=tenant.pk)
    if status:
        jobs = jobs.filter(status=JOB_STATUSES[status])
    return jobs.order_by("-enqueued_at", "-id")


def tenant_job_counts(*, tenant: Any) -> dict[str, int]:
    from django.db.models import Count

    counted = tenant_jobs(tenant=tenant).order_by().values("status").annotate(n=Count("id"))
    by_status = {row["status"]: row["n"] for row in counted}
    return {key: by_status.get(value, 0) for key, value in JOB_STATUSES.items()}


@dataclass
class JobRow:
    """One task result as the Jobs page shows it."""

    result: Any
    label: str
    attempt: int
    max_attempts: int
    retry: Any = None  # the queued or run next attempt, when this failure was retried
    rerun: Any = None  # the JobRerun, when an Admin re-ran this final failure

    @property
    def id(self) -> str:
        return str(self.result.pk)

    @property
    def status(self) -> str:
        return next(key for key, value in JOB_STATUSES.items() if value == self.result.status)

    @property
    def error_class(self) -> str:
        return self.result.exception_class_path.rsplit(".", 1)[-1]

    @property
    def error_line(self) -> str:
        """The exception's message: the traceback's last line without the class name before it."""
        lines = [line.strip() for line in self.result.traceback.splitlines() if line.strip()]
        last = lines[-1] if lines else ""
        for prefix in (self.result.exception_class_path, self.error_class):
            if prefix and last.startswith(prefix + ":"):
                return last[len(prefix) + 1 :].strip()
        return last

    @property
    def is_final_failure(self) -> bool:
        return self.result.status == TaskResultStatus.FAILED and self.retry is None

    @property
    def can_rerun(self) -> bool:
        return self.is_final_failure and self.rerun is None

    @property
    def next_retry_at(self) -> datetime | None:
        """When the queued next attempt of this failure may run."""
        if self.retry is not None and self.retry.status == TaskResultStatus.READY:
            return self.retry.run_after
        return None

    @property
    def retry_status(self) -> str:
        if self.retry is None:
            return ""
        return next(key for key, value in JOB_STATUSES.items() if value == self.retry.status)

    @property
    def waits_until(self) -> datetime | None:
        """For a queued row that may not run yet (a retry's backoff), when it becomes due."""
        run_after = self.result.run_after
        if (
            self.result.status == TaskResultStatus.READY
            and run_after.year < 9999
            and run_after > timezone.now()
        ):
            return run_after
        return None


def _without_attempt(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in kwargs.items() if key != "attempt"}


def _retry_window(row: Any) -> tuple[datetime, datetime]:
    """A failed attempt queues its retry while it runs (or the stale reclaim does as it fails it)."""
    return row.started_at or row.enqueued_at, (row.finished_at or timezone.now()) + RETRY_LINK_SLACK


def _retries_of(*, tenant: Any, failed: list[Any]) -> dict[Any, Any]:
    """{failed row pk: the next attempt queued for it} for the failed rows that were retried."""
    from django_tasks_db.models import DBTaskResult

    if not failed:
        return {}
    windows = {row.pk: _retry_window(row) for row in failed}
    candidates = list(
        DBTaskResult.objects.filter(
            args_kwargs__kwargs__tenant_id=tenant.pk,
            args_kwargs__kwargs__has_key="attempt",
            task_path__in={row.task_path for row in failed},
            enqueued_at__gte=min(start for start, _end in windows.values()),
            enqueued_at__lte=max(end for _start, end in windows.values()),
        ).order_by("enqueued_at")
    )
    found = {}
    for row in failed:
        kwargs = row.args_kwargs["kwargs"]
        start, end = windows[row.pk]
        for candidate in candidates:
            other = candidate.args_kwargs["kwargs"]
            if (
                candidate.task_path == row.task_path
                and start <= candidate.enqueued_at <= end
                and job_attempt(other) == job_attempt(kwargs) + 1
                and _without_attempt(other) == _without_attempt(kwargs)
            ):
                found[row.pk] = candidate
                break
    return found


def job_rows(*, tenant: Any, results: Iterable[Any]) -> list[JobRow]:
    """Describe task results for the Jobs page: label, attempt n of max, its retry or re-run."""
    from juiced.core.models import JobRerun

    results = list(results)
    failed = [row for row in results if row.status == TaskResultStatus.FAILED]
    retries = _retries_of(tenant=tenant, failed=failed)
    reruns = {
        rerun.original_id: rerun
        for rerun in JobRerun.objects.filter(tenant=tenant, original_id__in=[row.pk for row in failed])
    }
    rows = []
    for result in results:
        policy = job_policy(result.task_path)
        rows.append(
            JobRow(
                result=result,
                label=job_label(result.task_path),
                attempt=job_attempt(result.args_kwargs.get("kwargs", {})),
                max_attempts=policy.max_attempts if policy else 1,
                retry=retries.get(result.pk),
                rerun=reruns.get(result.pk),
            )
        )
    return rows


def tenant_job_get(*, tenant: Any, job_id: Any) -> JobRow:
    """One of the tenant's jobs; NotFound for another tenant's or an unknown id."""
    result = tenant_jobs(tenant=tenant).filter(pk=job_id).first()
    if result is None:
        raise NotFound("No such job.")
    return job_rows(tenant=tenant, results=[result])[0]


def job_rerun(*, tenant: Any, actor: Any, job_id: Any) -> Any:
    """Queue a final failure again with the same arguments, as attempt 1; once per failed row, audited."""
    from juiced.core.audit import audit_record
    from juiced.core.models import JobRerun

    with transaction.atomic():
        result = tenant_jobs(tenant=tenant).select_for_update().filter(pk=job_id).first()
        if result is None:
            raise NotFound("No such job.")
        row = job_rows(tenant=tenant, results=[result])[0]
        if result.status != TaskResultStatus.FAILED:
            raise InvalidState("Only a failed job can be re-run.")
        if row.rerun is not None:
            raise Conflict("This job has already been re-run.")
        if row.retry is not None:
            raise InvalidState("This job is being retried automatically.")
        try:
            job = import_string(result.task_path)
        except ImportError:
            raise InvalidState("This job no longer exists in this version of Juiced.") from None
        kwargs = _without_attempt(result.args_kwargs["kwargs"])
        # With the database backend the new row commits with the re-run record, or neither does.
        queued = job.using(queue_name=result.queue_name, priority=result.priority).enqueue(
            *result.args_kwargs.get("args", []), **kwargs
        )
        try:
            with transaction.atomic():
                JobRerun.objects.create(original_id=result.pk, rerun_id=queued.id, tenant=tenant, actor=actor)
        except IntegrityError:
            raise Conflict("This job has already been re-run.") from None
        audit_record(
            tenant=tenant,
            actor=actor,
            action="job.rerun",
            summary=f"Re-ran the failed job “{row.label}” ({result.pk})",
            changes={"job": [str(result.pk), str(queued.id)]},
        )
    return queued
