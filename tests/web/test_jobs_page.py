"""The Background jobs page: an Admin sees their tenant's jobs, filters them, and re-runs final failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from juiced.core.jobs import job_attempt
from juiced.core.models import AuditEntry, JobRerun
from juiced.tenants.roles import StaffRole
from tests.core import sample_jobs

JOBS = "/manage/acme-leads/settings/jobs/"
FAILED, READY, SUCCESSFUL = TaskResultStatus.FAILED, TaskResultStatus.READY, TaskResultStatus.SUCCESSFUL
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/juiced/partner.py", line 12, in fetch\n'
    '    raise ConnectionError("the partner\'s server is down")\n'
    "ConnectionError: the partner's server is down\n"
)


def finished(result, *, status=FAILED, traceback: str = TRACEBACK) -> DBTaskResult:
    """Mark a queued job as run by a worker, as the worker would."""
    now = timezone.now()
    failing = status == FAILED
    DBTaskResult.objects.filter(pk=result.id).update(
        status=status,
        started_at=now - timedelta(seconds=2),
        finished_at=now - timedelta(seconds=1),
        exception_class_path="builtins.ConnectionError" if failing else "",
        traceback=traceback if failing else "",
    )
    return DBTaskResult.objects.get(pk=result.id)


@pytest.fixture
def final_failure(tenant_a):
    """Acme's import job whose last attempt (3 of 3) failed."""
    return finished(sample_jobs.always_fails.enqueue(attempt=3, tenant_id=tenant_a.pk))


def rerun_url(job_id, tenant: str = "acme-leads") -> str:
    return f"/manage/{tenant}/settings/jobs/{job_id}/rerun/"


def job_rows() -> list[tuple]:
    return sorted(DBTaskResult.objects.values_list("pk", "status", "args_kwargs"), key=str)


@pytest.mark.django_db
def test_admin_sees_the_tenants_jobs_with_attempt_error_and_traceback(login_client, alice, final_failure):
    html = login_client(alice).get(JOBS).content.decode()

    assert "Always failing import" in html
    assert "3 of 3" in html
    assert "<strong>ConnectionError</strong>" in html
    assert '<div class="small">the partner&#x27;s server is down</div>' in html  # the last line
    assert "<details>" in html and "/srv/juiced/partner.py" in html  # the full traceback, folded
    assert "none: final" in html
    assert f'id="job-{final_failure.pk}"' in html and "Re-run</button>" in html


@pytest.mark.django_db
def test_a_retried_failure_shows_when_the_next_attempt_runs_and_cannot_be_rerun(
    login_client, alice, tenant_a
):
    first = finished(sample_jobs.always_fails.enqueue(tenant_id=tenant_a.pk))
    retry_at = timezone.now() + timedelta(minutes=5)
    sample_jobs.always_fails.using(run_after=retry_at).enqueue(attempt=2, tenant_id=tenant_a.pk)

    html = login_client(alice).get(JOBS).content.decode()

    assert "1 of 3" in html and "2 of 3" in html
    assert timezone.localtime(retry_at).strftime("%Y-%m-%d %H:%M:%S") in html
    assert "runs after" in html
    assert "Re-run</button>" not in html
    before = job_rows()
    login_client(alice).post(rerun_url(first.pk))
    assert job_rows() == before


@pytest.mark.django_db
def test_jobs_can_be_filtered_by_status(login_client, alice, tenant_a, final_failure):
    done = finished(sample_jobs.heartbeat.enqueue(tenant_id=tenant_a.pk), status=SUCCESSFUL)
    waiting = sample_jobs.plain_task.enqueue(tenant_id=tenant_a.pk)
    client = login_client(alice)

    def shown(query: str) -> set[str]:
        html = client.get(JOBS + query).content.decode()
        return {str(pk) for pk in (final_failure.pk, done.pk, waiting.id) if f'id="job-{pk}"' in html}

    assert shown("") == {str(final_failure.pk), str(done.pk), str(waiting.id)}
    assert shown("?status=failed") == {str(final_failure.pk)}
    assert shown("?status=successful") == {str(done.pk)}
    assert shown("?status=queued") == {str(waiting.id)}
    assert shown("?status=running") == set()
    assert shown("?status=nonsense") == shown("")


@pytest.mark.django_db
def test_rerun_queues_the_same_job_as_attempt_one_and_is_audited(
    login_client, alice, tenant_a, final_failure
):
    response = login_client(alice).post(rerun_url(final_failure.pk), follow=True)

    assert response.status_code == 200
    assert "queued again" in response.content.decode()
    rerun = DBTaskResult.objects.get(status=READY)
    assert rerun.task_path == final_failure.task_path
    assert rerun.args_kwargs["kwargs"] == {"tenant_id": tenant_a.pk}
    assert job_attempt(rerun.args_kwargs["kwargs"]) == 1
    assert rerun.run_after.year == 9999  # due at once
    assert JobRerun.objects.get(original_id=final_failure.pk).rerun_id == rerun.pk
    entry = AuditEntry.objects.get(action="job.rerun")
    assert (entry.tenant, entry.actor) == (tenant_a, alice)
    assert entry.changes == {"job": [str(final_failure.pk), str(rerun.pk)]}
    assert "Re-run on" in response.content.decode()


@pytest.mark.django_db
def test_rerun_from_htmx_swaps_the_row(login_client, alice, final_failure):
    response = login_client(alice).post(rerun_url(final_failure.pk), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="job-{final_failure.pk}">')
    assert "Re-run on" in html and "Re-run</button>" not in html and "<html" not in html


@pytest.mark.django_db
def test_a_failure_is_rerun_once_only(login_client, alice, final_failure):
    client = login_client(alice)
    client.post(rerun_url(final_failure.pk))
    before = job_rows()

    again = client.post(rerun_url(final_failure.pk), HTTP_HX_REQUEST="true")

    assert "already been re-run" in again.content.decode()
    assert job_rows() == before
    assert AuditEntry.objects.filter(action="job.rerun").count() == 1


@pytest.mark.django_db
def test_the_retry_of_a_rerun_is_not_taken_for_a_retry_of_the_original(login_client, alice, tenant_a):
    original = finished(sample_jobs.always_fails.enqueue(tenant_id=tenant_a.pk))
    an_hour_ago = timezone.now() - timedelta(hours=1)
    DBTaskResult.objects.filter(pk=original.pk).update(
        enqueued_at=an_hour_ago, started_at=an_hour_ago, finished_at=an_hour_ago
    )
    client = login_client(alice)
    client.post(rerun_url(original.pk))
    rerun = DBTaskResult.objects.get(status=READY)
    finished(rerun)  # the re-run failed too, and queued its own attempt 2
    sample_jobs.always_fails.using(run_after=timezone.now() + timedelta(seconds=10)).enqueue(
        attempt=2, tenant_id=tenant_a.pk
    )

    html = client.get(JOBS).content.decode()

    original_row = html.split(f'id="job-{original.pk}"')[1].split("</tr>")[0]
    rerun_row = html.split(f'id="job-{rerun.pk}"')[1].split("</tr>")[0]
    assert "none: final" in original_row and "Re-run on" in original_row
    assert "none: final" not in rerun_row and "Re-run</button>" not in rerun_row


@pytest.mark.django_db
def test_a_successful_job_cannot_be_rerun(login_client, alice, tenant_a):
    done = finished(sample_jobs.heartbeat.enqueue(tenant_id=tenant_a.pk), status=SUCCESSFUL)
    before = job_rows()

    response = login_client(alice).post(rerun_url(done.pk), follow=True)

    assert "Only a failed job can be re-run" in response.content.decode()
    assert job_rows() == before


@pytest.mark.django_db
def test_another_tenants_admin_gets_404_and_changes_nothing(login_client, bob, tenant_b, final_failure):
    client = login_client(bob)
    before = job_rows()

    assert client.get(JOBS).status_code == 404
    assert client.post(rerun_url(final_failure.pk)).status_code == 404
    # Through bob's own tenant the id of Acme's job is unknown too.
    assert client.post(rerun_url(final_failure.pk, tenant="bolt-leads")).status_code == 404
    bolt_page = client.get("/manage/bolt-leads/settings/jobs/").content.decode()
    assert str(final_failure.pk) not in bolt_page and "No background jobs yet" in bolt_page

    assert job_rows() == before
    assert not JobRerun.objects.exists()


@pytest.mark.django_db
def test_the_page_lists_only_this_tenants_jobs(login_client, alice, tenant_b, final_failure):
    bolt_job = finished(sample_jobs.always_fails.enqueue(attempt=3, tenant_id=tenant_b.pk))
    platform_job = finished(sample_jobs.heartbeat.enqueue(), status=SUCCESSFUL)

    html = login_client(alice).get(JOBS).content.decode()

    assert str(final_failure.pk) in html
    assert str(bolt_job.pk) not in html and str(platform_job.pk) not in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", [StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION])
def test_only_admins_may_see_or_rerun_jobs(login_client, make_staff, role, final_failure):
    client = login_client(make_staff(role))
    before = job_rows()

    assert client.get(JOBS).status_code == 403
    assert client.post(rerun_url(final_failure.pk)).status_code == 403

    assert job_rows() == before


@pytest.mark.django_db
def test_a_buyer_gets_404(login_client, buyer, final_failure):
    client = login_client(buyer)

    assert client.get(JOBS).status_code == 404
    assert client.post(rerun_url(final_failure.pk)).status_code == 404


@pytest.mark.django_db(transaction=True)  # the worker commits
def test_a_job_that_exhausted_its_retries_runs_again_after_rerun(login_client, alice, tenant_a, run_tasks):
    sample_jobs.always_fails.enqueue(tenant_id=tenant_a.pk)
    for _ in range(3):
        run_tasks()
        DBTaskResult.objects.filter(status=READY).update(run_after=timezone.now())
    last = DBTaskResult.objects.get(args_kwargs__kwargs__attempt=3)
    client = login_client(alice)
    assert client.get(JOBS + "?status=failed").content.decode().count("Re-run</button>") == 1

    client.post(rerun_url(last.pk))
    run_tasks()

    statuses = [
        (job_attempt(row.args_kwargs["kwargs"]), row.status)
        for row in DBTaskResult.objects.order_by("enqueued_at")
    ]
    # Three attempts, then the re-run as attempt 1 (it fails again: its retry is queued with backoff).
    assert statuses == [(1, FAILED), (2, FAILED), (3, FAILED), (1, FAILED), (2, READY)]
