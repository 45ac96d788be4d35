"""Webhook endpoints (tenant-wide or per customer), their deliveries, and every delivery attempt.

A tenant endpoint subscribes to events and receives the standard event envelope; a customer endpoint
receives `lead.assigned` (and test sends) shaped by its own JSON payload template. Both are signed with
the endpoint's secret, stored encrypted (juiced.core.crypto).
"""

from __future__ import annotations

from django.db import models

from juiced.core.ids import PublicIdField


class WebhookEvent(models.TextChoices):
    CUSTOMER_CREATED = "customer.created", "Customer created"
    CUSTOMER_UPDATED = "customer.updated", "Customer updated"
    TRANSACTION_CREATED = "transaction.created", "Transaction created"
    LEAD_CREATED = "lead.created", "Lead created"
    LEAD_ASSIGNED = "lead.assigned", "Lead assigned"
    LEAD_UNASSIGNED = "lead.unassigned", "Lead not assigned"
    LEAD_DUPLICATED = "lead.duplicated", "Lead duplicated"


TEST_EVENT = "webhook.test"


class WebhookSettings(models.Model):
    """Per-tenant webhook options (one row, created on first change)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="webhook_settings")
    allow_private_addresses = models.BooleanField(
        default=False,
        help_text="Testing only: allow webhook URLs on loopback, private and link-local addresses.",
    )
    updated_at = models.DateTimeField(auto_now=True)


class WebhookEndpoint(models.Model):
    public_id = PublicIdField(prefix="whk")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="webhook_endpoints")
    # Empty for a tenant webhook; set for a customer's own webhook.
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, blank=True)  # tenant webhooks: subscribed WebhookEvent values
    payload_template = models.TextField(blank=True)  # customer webhooks: empty → the default payload
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "customer", "is_active"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_customer_webhook(self) -> bool:
        return self.customer_id is not None


class WebhookDelivery(models.Model):
    """One event sent to one endpoint: the exact body, its status and its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    public_id = PublicIdField(prefix="whd")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    body = models.TextField()
    is_test = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    round_attempts = models.PositiveIntegerField(default=0)  # attempts since the last (re)send
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"])]


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, as sent and as answered."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    url = models.CharField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)  # at most 2 KB
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    will_retry = models.BooleanField(default=False)
    started_at = models.DateTimeField()

    class Meta:
        ordering = ["number"]

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
