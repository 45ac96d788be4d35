"""Queue background work only once the surrounding transaction has committed; the worker's own jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus

from juiced.core.jobs import background_job, job_retry_after_lost_worker, scheduled

WORKER_LOST = "juiced.core.tasks.WorkerLost"
KEEP_SUCCESSFUL_DAYS = 7


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` after commit; side effects never run for a rolled-back change."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def stale_tasks_reclaim(*, older_than_minutes: int = 30) -> int:
    """Mark tasks left RUNNING by a killed worker as FAILED, and queue the next attempt of retried jobs."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    with transaction.atomic():
        stale = list(
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(
                status=TaskResultStatus.RUNNING, started_at__lt=now - timedelta(minutes=older_than_minutes)
            )
            .order_by("pk")
        )
        if not stale:
            return 0
        DBTaskResult.objects.filter(pk__in=[row.pk for row in stale], status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=WORKER_LOST,
            traceback=f"The worker stopped before this task finished (RUNNING > {older_than_minutes} min).",
        )
        for row in stale:
            # A lost worker counts as a failed attempt: the job's own retry policy decides what follows.
            job_retry_after_lost_worker(row, now=now)
    return len(stale)


def task_results_prune(*, keep_days: int = KEEP_SUCCESSFUL_DAYS) -> int:
    """Delete successful task results older than `keep_days`; failures stay until someone looks."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=keep_days)
    deleted, _by_model = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=cutoff
    ).delete()
    return deleted


@scheduled(every=timedelta(minutes=5))
@background_job(max_attempts=1, label="Reclaim tasks of a stopped worker")
def stale_tasks_reclaim_job() -> int:
    return stale_tasks_reclaim()


@scheduled(every=timedelta(hours=1))
@background_job(max_attempts=1, label="Prune old successful job results")
def task_results_prune_job() -> int:
    return task_results_prune()
