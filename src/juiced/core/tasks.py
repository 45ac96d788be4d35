"""Queue background work only once the surrounding transaction has committed."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` after commit; side effects never run for a rolled-back change."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def stale_tasks_reclaim(*, older_than_minutes: int = 30) -> int:
    """Mark tasks left RUNNING by a killed worker as FAILED so they can be seen and re-enqueued."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - timedelta(minutes=older_than_minutes)
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="juiced.core.tasks.WorkerLost",
        traceback=f"The worker stopped before this task finished (RUNNING > {older_than_minutes} min).",
    )
