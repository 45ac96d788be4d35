"""The audit log: who changed what and when, for every tenant-visible record."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    # Indexed by (tenant, customer, -created_at) below; one entry is written with every money movement by
    # staff, so no single-column tenant or created_at index slows that write.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="audit_entries", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, help_text="Who acted, kept even if the user is deleted.")
    action = models.CharField(max_length=60)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True, help_text="field → [old, new]")
    receipt_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "customer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.actor_label}: {self.summary}"


# --- background jobs (juiced.core.jobs) ----------------------------------------------------------------


class ScheduledRun(models.Model):
    """When a scheduled job is next due; workers claim a run with one conditional UPDATE on this row."""

    name = models.CharField(
        max_length=200, unique=True, help_text="The scheduled job's name (its task path)."
    )
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} next at {self.next_run_at:%Y-%m-%d %H:%M:%S}"


class JobRerun(models.Model):
    """A failed job an Admin re-ran by hand: at most once per failed row (the unique original)."""

    original_id = models.UUIDField(unique=True, help_text="The FAILED task result that was re-run.")
    rerun_id = models.UUIDField(help_text="The task result queued by the re-run.")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="job_reruns")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.original_id} → {self.rerun_id}"
