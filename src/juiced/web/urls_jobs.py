"""Background jobs page (Admin), under /manage/<tenant>/."""

from django.urls import path

from juiced.web import views_jobs

urlpatterns = [
    path("settings/jobs/", views_jobs.jobs_page, name="settings_jobs"),
    path("settings/jobs/<uuid:job_id>/rerun/", views_jobs.job_rerun, name="settings_job_rerun"),
]
