"""Customers (businesses that buy leads) and the users who act for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from juiced.core.ids import PublicIdField
from juiced.tenants.roles import CustomerRole


class Customer(models.Model):
    public_id = PublicIdField(prefix="cus")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    address1 = models.CharField("address line 1", max_length=200, blank=True)
    address2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    zip_code = models.CharField("ZIP code", max_length=20, blank=True)

    # Operational status is manual: archived wins over paused.
    is_paused = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Toggles
    is_onboarded = models.BooleanField(default=False)
    can_access_bidding = models.BooleanField(default=True)
    return_tiers_disabled = models.BooleanField(default=False)

    # Customer-level caps (lead counts) and budgets (cents); empty means unlimited.
    daily_cap = models.PositiveIntegerField(null=True, blank=True)
    weekly_cap = models.PositiveIntegerField(null=True, blank=True)
    monthly_cap = models.PositiveIntegerField(null=True, blank=True)
    daily_budget = models.BigIntegerField(null=True, blank=True)
    weekly_budget = models.BigIntegerField(null=True, blank=True)
    monthly_budget = models.BigIntegerField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "name"]), models.Index(fields=["tenant", "email"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class CustomerMembership(models.Model):
    """A user's access to one customer (a user may act for several customers)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_memberships"
    )
    role = models.CharField(max_length=30, choices=CustomerRole.choices, default=CustomerRole.CUSTOMER_USER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "user"], name="customer_membership_unique")
        ]
        ordering = ["created_at"]


class CustomerSignupSettings(models.Model):
    """A tenant's self-registration switch (no row means the default: sign-ups allowed)."""

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="customer_signup_settings"
    )
    allow_self_registration = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)


class OnboardingVideo(models.Model):
    """A video every new customer of the tenant must watch before placing bids (listed by position)."""

    public_id = PublicIdField(prefix="vid")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="onboarding_videos")
    title = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class OnboardingView(models.Model):
    """One customer's "watched" mark on one video: who marked it and when."""

    video = models.ForeignKey(OnboardingVideo, on_delete=models.CASCADE, related_name="views")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="onboarding_views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    watched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video", "customer"], name="onboarding_view_unique")]
