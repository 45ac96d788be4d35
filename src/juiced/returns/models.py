"""Returns and return tiers (SPEC §6, seed 001): settings, return requests, the tier ladder, each customer's
assigned tier, and the recalculation runs. Money is integer cents; percentages are Decimal with 2 places."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from juiced.core.ids import PublicIdField

DEFAULT_REASONS = [
    "Wrong or disconnected phone number",
    "Invalid e-mail address",
    "Did not request a quote",
    "Duplicate of a lead I already had",
    "Outside my service area",
    "Other",
]


def default_reasons() -> list[str]:
    return list(DEFAULT_REASONS)


class ReturnSettings(models.Model):
    """The tenant's Return Settings (Admin only), created on first read."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="return_settings")
    returns_enabled = models.BooleanField(default=True)
    tiers_enabled = models.BooleanField(default=False, help_text="Enable dispute tiers.")
    policy_url = models.URLField(max_length=500, blank=True, help_text='Shown as "View return policy".')
    window_days = models.PositiveIntegerField(
        default=7, help_text="Days after the sale a return may be asked."
    )
    reasons = models.JSONField(default=default_reasons, help_text="The reasons a buyer picks from.")
    rate_window_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Return rate over the trailing N days; empty = all time."
    )
    updated_at = models.DateTimeField(auto_now=True)


class ReturnRequest(models.Model):
    """A buyer's request to return one sold lead; staff approve (credit what was charged) or reject it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    public_id = PublicIdField(prefix="ret")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="return_requests")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="return_requests"
    )
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="return_requests")
    reason = models.CharField(max_length=200)
    comment = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_label = models.CharField(max_length=200, default="System")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=1000, blank=True)
    amount = models.BigIntegerField(default=0, help_text="Cents credited on approval.")
    transaction = models.ForeignKey(
        "wallets.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "status", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status="pending"), name="return_one_open_per_lead"
            ),
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status="approved"), name="return_credit_once"
            ),
        ]


class ReturnTier(models.Model):
    """One bracket of the ladder: [lower, upper) in % of the return rate (100 inclusive on top), or the
    new-customer tier (under $5,000 charged), with an optional discount and/or penalty."""

    public_id = PublicIdField(prefix="tier")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="return_tiers")
    name = models.CharField(max_length=60)
    headline = models.CharField(max_length=160, blank=True)
    brief_description = models.CharField(max_length=500, blank=True)
    long_description = models.TextField(
        blank=True, help_text="Sanitised HTML (bold/italic/underline/strike…)."
    )
    color = models.CharField(max_length=7, default="#f59e0b", help_text="#rrggbb")
    icon = models.CharField(max_length=40, default="star", help_text="A key of the curated icon set.")
    applies_to_new_customers = models.BooleanField(default=False)
    lower_bound = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    upper_bound = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    discount_enabled = models.BooleanField(default=False)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    penalty_enabled = models.BooleanField(default=False)
    penalty_matches_return_rate = models.BooleanField(default=False)
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Display order only.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="return_tier_unique_name"),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(applies_to_new_customers=True),
                name="return_tier_one_new_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerTier(models.Model):
    """A customer's tier as the last recalculation left it (no tier: none matched, excluded or deleted)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="return_tier"
    )
    tier = models.ForeignKey(
        ReturnTier, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    return_rate = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    charged = models.BigIntegerField(default=0)
    returned = models.BigIntegerField(default=0)
    assigned_at = models.DateTimeField(auto_now=True)


class TierRecalculation(models.Model):
    """One run of the recalculation job, with progress for the page; at most one queued/running per tenant."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    public_id = PublicIdField(prefix="recalc")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    requested_by_label = models.CharField(max_length=200, default="System")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(status__in=["queued", "running"]),
                name="tier_recalc_one_active",
            )
        ]
