"""Scheduled jobs: due jobs are queued once per period, however many workers tick at the same moment."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from juiced.config.cli import main
from juiced.core import jobs
from juiced.core.jobs import SchedulerThread, scheduled, scheduled_jobs_discover, scheduler_tick
from juiced.core.models import ScheduledRun
from juiced.core.tasks import stale_tasks_reclaim_job, task_results_prune_job
from tests.core import sample_jobs

HEARTBEAT = sample_jobs.heartbeat.module_path


@pytest.fixture
def schedule(monkeypatch):
    """An empty schedule for the test; the heartbeat job registered every 10 minutes."""
    monkeypatch.setattr(jobs, "SCHEDULE", {})
    scheduled(every=timedelta(minutes=10))(sample_jobs.heartbeat)
    return jobs.SCHEDULE


def queued(path: str) -> int:
    return DBTaskResult.objects.filter(task_path=path).count()


@pytest.mark.django_db
def test_a_due_job_is_queued_once_per_period(schedule):
    start = timezone.now()

    assert scheduler_tick(now=start) == [HEARTBEAT]  # a newly registered job is due at once
    assert scheduler_tick(now=start + timedelta(minutes=1)) == []
    assert scheduler_tick(now=start + timedelta(minutes=9, seconds=59)) == []
    assert scheduler_tick(now=start + timedelta(minutes=10)) == [HEARTBEAT]

    assert queued(HEARTBEAT) == 2
    run = ScheduledRun.objects.get(name=HEARTBEAT)
    assert run.next_run_at == start + timedelta(minutes=20)
    assert run.last_enqueued_at == start + timedelta(minutes=10)


@pytest.mark.django_db
def test_a_worker_that_was_down_for_hours_queues_one_run_not_every_missed_one(schedule):
    start = timezone.now()
    scheduler_tick(now=start)

    assert scheduler_tick(now=start + timedelta(hours=5)) == [HEARTBEAT]

    assert queued(HEARTBEAT) == 2
    assert ScheduledRun.objects.get(name=HEARTBEAT).next_run_at == start + timedelta(hours=5, minutes=10)


@pytest.mark.django_db
def test_a_plain_function_can_be_scheduled_and_becomes_a_job(schedule, monkeypatch):
    job = scheduled(every=timedelta(days=1), name="reports.nightly")(sample_jobs.nightly_report)
    monkeypatch.setattr(sample_jobs, "nightly_report", job)  # as `@scheduled` at module level rebinds it

    assert schedule["reports.nightly"].job is job
    assert schedule["reports.nightly"].every == timedelta(days=1)
    assert jobs.job_policy(job.module_path).max_attempts == 1
    assert sorted(scheduler_tick()) == sorted([HEARTBEAT, "reports.nightly"])
    assert queued(job.module_path) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_ticking_at_the_same_moment_queue_a_due_job_exactly_once(schedule):
    start = timezone.now()
    scheduler_tick(now=start)
    workers = 8
    barrier = threading.Barrier(workers)
    claimed: list[list[str]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            claimed.append(scheduler_tick(now=start + timedelta(minutes=10)))
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(claimed, key=len) == [[]] * (workers - 1) + [[HEARTBEAT]]
    assert queued(HEARTBEAT) == 2


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_thread_ticks_before_it_waits(schedule):
    thread = SchedulerThread(tick_seconds=60)
    thread.start()
    thread.stop()
    thread.join(timeout=10)

    assert not thread.is_alive()
    assert queued(HEARTBEAT) == 1


def test_stale_reclaim_and_pruning_are_registered_scheduled_jobs():
    schedule = scheduled_jobs_discover()

    reclaim = schedule[stale_tasks_reclaim_job.module_path]
    prune = schedule[task_results_prune_job.module_path]
    assert reclaim.every == timedelta(minutes=5)
    assert prune.every == timedelta(hours=1)


@pytest.mark.django_db(transaction=True)
def test_worker_batch_runs_the_due_scheduled_jobs_and_prunes_week_old_successes(tenant_a):
    now = timezone.now()
    old_success = sample_jobs.heartbeat.enqueue()
    recent_success = sample_jobs.heartbeat.enqueue()
    old_failure = sample_jobs.refuses.enqueue(tenant_id=tenant_a.pk)
    DBTaskResult.objects.filter(pk=old_success.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=now - timedelta(days=7, minutes=1)
    )
    DBTaskResult.objects.filter(pk=recent_success.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=now - timedelta(days=6, hours=23)
    )
    DBTaskResult.objects.filter(pk=old_failure.id).update(
        status=TaskResultStatus.FAILED, finished_at=now - timedelta(days=60)
    )

    assert main(["worker", "--batch"]) == 0

    remaining = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert str(old_success.id) not in remaining
    assert {str(recent_success.id), str(old_failure.id)} <= remaining
    for job in (stale_tasks_reclaim_job, task_results_prune_job):
        assert DBTaskResult.objects.get(task_path=job.module_path).status == TaskResultStatus.SUCCESSFUL
        assert ScheduledRun.objects.get(name=job.module_path).next_run_at > now


@pytest.mark.django_db(transaction=True)
def test_worker_batch_without_the_scheduler_queues_nothing_scheduled():
    assert main(["worker", "--batch", "--no-scheduler"]) == 0

    assert not ScheduledRun.objects.exists()
    assert not DBTaskResult.objects.exists()
