"""Background jobs page (Admin): the tenant's jobs with their errors and retries, and a re-run button.

The tenant's jobs are the task results whose `tenant_id` keyword is this tenant (see juiced.core.jobs);
another tenant's job id is a 404 here, and `settings.manage` keeps it to Admins.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core import jobs
from juiced.core.errors import DomainError, NotFound
from juiced.web.access import staff_view
from juiced.web.views.pages import wants_partial

JOBS_PER_PAGE = 50
STATUS_FILTERS = [
    ("", "All"),
    ("failed", "Failed"),
    ("queued", "Queued"),
    ("running", "Running"),
    ("successful", "Successful"),
]


@staff_view("settings.manage")
def jobs_page(request: HttpRequest) -> HttpResponse:
    """The tenant's background jobs, newest first, filtered by status."""
    tenant = request.access.tenant
    status = request.GET.get("status", "")
    if status not in jobs.JOB_STATUSES:
        status = ""
    page = Paginator(jobs.tenant_jobs(tenant=tenant, status=status), JOBS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    counts = jobs.tenant_job_counts(tenant=tenant)
    context = {
        "tenant": tenant,
        "page": page,
        "rows": jobs.job_rows(tenant=tenant, results=page.object_list),
        "status": status,
        "filters": [(key, label, counts.get(key, sum(counts.values()))) for key, label in STATUS_FILTERS],
    }
    return render(request, "juiced/settings/jobs.html", context)


@staff_view("settings.manage")
@require_POST
def job_rerun(request: HttpRequest, job_id) -> HttpResponse:
    """Queue a final failure again (attempt 1); htmx gets the row back, a plain form a redirect."""
    tenant = request.access.tenant
    error = ""
    try:
        jobs.job_rerun(tenant=tenant, actor=request.user, job_id=job_id)
    except NotFound:
        raise
    except DomainError as exc:
        error = exc.message
    if wants_partial(request):
        # htmx swaps 2xx answers only: the refused re-run comes back as the row with its message.
        row = jobs.tenant_job_get(tenant=tenant, job_id=job_id)
        context = {"tenant": tenant, "row": row, "row_error": error}
        return render(request, "juiced/settings/_job_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "The job is queued again.")
    return redirect("settings_jobs", tenant=tenant.slug)
