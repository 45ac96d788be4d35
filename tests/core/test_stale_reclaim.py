"""A task left RUNNING by a killed worker is marked FAILED; its job's retry policy decides what follows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from juiced.core.tasks import WORKER_LOST, stale_tasks_reclaim
from tests.core import sample_jobs

pytestmark = pytest.mark.django_db

RUNNING, FAILED, READY = TaskResultStatus.RUNNING, TaskResultStatus.FAILED, TaskResultStatus.READY


def running_since(result, minutes: int) -> DBTaskResult:
    DBTaskResult.objects.filter(pk=result.id).update(
        status=RUNNING, started_at=timezone.now() - timedelta(minutes=minutes)
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_a_lost_job_with_attempts_left_is_failed_and_retried_with_backoff():
    lost = running_since(sample_jobs.always_fails.using(priority=3).enqueue(tenant_id=7), minutes=45)
    before = timezone.now()

    assert stale_tasks_reclaim(older_than_minutes=30) == 1

    lost.refresh_from_db()
    assert (lost.status, lost.exception_class_path) == (FAILED, WORKER_LOST)
    assert "worker stopped" in lost.traceback
    retry = DBTaskResult.objects.get(status=READY)
    assert retry.task_path == lost.task_path
    assert retry.args_kwargs["kwargs"] == {"attempt": 2, "tenant_id": 7}
    assert retry.priority == 3
    assert before + timedelta(seconds=10) <= retry.run_after <= timezone.now() + timedelta(seconds=10)


def test_a_lost_last_attempt_is_final():
    result = sample_jobs.always_fails.enqueue(attempt=3, tenant_id=7)  # always_fails allows 3 attempts
    running_since(result, minutes=45)

    assert stale_tasks_reclaim(older_than_minutes=30) == 1

    assert DBTaskResult.objects.get(pk=result.id).status == FAILED
    assert not DBTaskResult.objects.filter(status=READY).exists()


def test_a_lost_plain_task_is_failed_without_a_retry():
    result = sample_jobs.plain_task.enqueue(tenant_id=7)
    running_since(result, minutes=45)

    assert stale_tasks_reclaim(older_than_minutes=30) == 1

    assert DBTaskResult.objects.get(pk=result.id).status == FAILED
    assert DBTaskResult.objects.count() == 1


def test_a_task_running_for_less_than_the_limit_is_left_alone():
    result = sample_jobs.always_fails.enqueue(tenant_id=7)
    running_since(result, minutes=29)

    assert stale_tasks_reclaim(older_than_minutes=30) == 0

    assert DBTaskResult.objects.get(pk=result.id).status == RUNNING
    assert DBTaskResult.objects.count() == 1
