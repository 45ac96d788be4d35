"""Retried background jobs, run by the real django-tasks database worker.

The worker only picks a row whose `run_after` has passed, so a retry waits out its backoff; the tests
move time by setting the queued retries' `run_after` to now (`make_retries_due`), then run the worker again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from juiced.core.jobs import MAX_ATTEMPTS, POLICIES, job_attempt, job_label, job_policy, retry_delay
from tests.core import sample_jobs

# The worker runs outside any test transaction (it commits), so these tests use real commits.
pytestmark = pytest.mark.django_db(transaction=True)

FAILED, READY, SUCCESSFUL = TaskResultStatus.FAILED, TaskResultStatus.READY, TaskResultStatus.SUCCESSFUL


def attempts(task_path: str) -> list[tuple[int, str]]:
    rows = DBTaskResult.objects.filter(task_path=task_path).order_by("enqueued_at")
    return [(job_attempt(row.args_kwargs["kwargs"]), row.status) for row in rows]


def make_retries_due() -> int:
    return DBTaskResult.objects.filter(status=READY).update(run_after=timezone.now())


def waited(retry: DBTaskResult, failed: DBTaskResult) -> tuple[float, float]:
    """Bounds of the retry's delay: it was queued while `failed` ran, between its start and finish."""
    return (
        (retry.run_after - failed.finished_at).total_seconds(),
        (retry.run_after - failed.started_at).total_seconds(),
    )


def test_a_job_that_fails_twice_then_succeeds_ends_successful_after_two_failed_attempts(run_tasks):
    path = sample_jobs.flaky.module_path
    sample_jobs.flaky.enqueue(key="twice", fail_times=2, tenant_id=None)

    run_tasks()
    # The retry waits out its backoff: the worker left it queued.
    assert attempts(path) == [(1, FAILED), (2, READY)]
    make_retries_due()
    run_tasks()
    assert attempts(path) == [(1, FAILED), (2, FAILED), (3, READY)]
    make_retries_due()
    run_tasks()

    assert attempts(path) == [(1, FAILED), (2, FAILED), (3, SUCCESSFUL)]
    first, second, third = DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at")
    assert third.return_value == "twice: done on attempt 3"
    assert first.exception_class_path == "builtins.ConnectionError"
    assert "attempt 1 could not connect" in first.traceback
    assert third.args_kwargs["kwargs"] == {"attempt": 3, "key": "twice", "fail_times": 2, "tenant_id": None}


def test_each_retry_waits_twice_as_long_as_the_one_before(run_tasks):
    path = sample_jobs.flaky.module_path
    sample_jobs.flaky.enqueue(key="backoff", fail_times=3, tenant_id=None)
    delays = []
    for expected_attempt in (2, 3, 4):
        run_tasks()
        failed = DBTaskResult.objects.filter(task_path=path, status=FAILED).latest("finished_at")
        retry = DBTaskResult.objects.get(task_path=path, status=READY)
        assert job_attempt(retry.args_kwargs["kwargs"]) == expected_attempt
        low, high = waited(retry, failed)
        assert low <= high
        delays.append((low, high))
        make_retries_due()
    run_tasks()

    for (low, high), expected in zip(delays, (60, 120, 240), strict=True):
        assert low <= expected <= high
    assert attempts(path)[-1] == (4, SUCCESSFUL)


def test_max_attempts_is_respected(run_tasks):
    path = sample_jobs.always_fails.module_path
    sample_jobs.always_fails.enqueue(tenant_id=None)

    for _ in range(5):
        run_tasks()
        make_retries_due()

    assert attempts(path) == [(1, FAILED), (2, FAILED), (3, FAILED)]
    assert not DBTaskResult.objects.filter(status=READY).exists()


def test_a_permanent_failure_is_final_at_once(run_tasks):
    path = sample_jobs.refuses.module_path
    sample_jobs.refuses.enqueue(tenant_id=None)

    run_tasks()
    make_retries_due()
    run_tasks()

    assert attempts(path) == [(1, FAILED)]
    row = DBTaskResult.objects.get(task_path=path)
    assert row.exception_class_path == "juiced.core.jobs.PermanentFailure"
    assert "the address does not exist" in row.traceback


def test_a_retry_keeps_its_priority_and_arguments(run_tasks):
    sample_jobs.always_fails.using(priority=5).enqueue(tenant_id=42)

    run_tasks()

    retry = DBTaskResult.objects.get(status=READY)
    assert (retry.priority, retry.queue_name) == (5, "default")
    assert retry.args_kwargs["kwargs"] == {"attempt": 2, "tenant_id": 42}
    assert retry.run_after > timezone.now() + timedelta(seconds=5)


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [(1, 10), (2, 20), (3, 40), (4, 80), (9, 2560), (10, 3600), (30, 3600)],
)
def test_retry_delay_doubles_from_the_base_and_is_capped(attempt, seconds):
    assert retry_delay(attempt, base_delay=10, max_delay=3600) == seconds


def test_the_registry_knows_each_jobs_policy_and_label():
    path = sample_jobs.always_fails.module_path
    assert MAX_ATTEMPTS[path] == 3
    assert POLICIES[path].base_delay == 10.0
    assert job_label(path) == "Always failing import"
    assert job_label(sample_jobs.flaky.module_path) == "Flaky"
    assert job_policy(sample_jobs.plain_task.module_path) is None
    assert job_label("tests.core.gone.deleted_job") == "Deleted job"
