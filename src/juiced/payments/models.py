"""Payments: the tenant's Stripe settings, each customer's billing profile (Stripe customer id and
auto-recharge), saved cards, card payments into the wallet, and the Stripe events already processed.

A Payment is the record of one card charge; the wallet is credited from it exactly once (see services).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from juiced.core.ids import PublicIdField

STRIPE_API_BASE = "https://api.stripe.com"
DEFAULT_DEPOSIT_MINIMUM = 10_00  # cents: $10.00
MINIMUM_TRIGGER = 1_00  # cents: auto-recharge triggers at $1 or more


class PaymentSettings(models.Model):
    """One tenant's Stripe keys, deposit minimum and fees. Secrets are stored encrypted (core.crypto)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="payment_settings")
    publishable_key = models.CharField(max_length=255, blank=True)
    secret_key_encrypted = models.TextField(blank=True)
    webhook_secret_encrypted = models.TextField(blank=True)
    api_base = models.URLField(max_length=255, blank=True, help_text="Empty means Stripe's own API.")
    deposit_minimum = models.BigIntegerField(default=DEFAULT_DEPOSIT_MINIMUM)
    manual_fee_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"))
    auto_recharge_fee_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"))
    waive_first_deposit_fee = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(deposit_minimum__gte=100), name="deposit_minimum_min"),
            models.CheckConstraint(
                condition=models.Q(manual_fee_percent__gte=0, manual_fee_percent__lte=100),
                name="manual_fee_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(auto_recharge_fee_percent__gte=0, auto_recharge_fee_percent__lte=100),
                name="auto_recharge_fee_percent_range",
            ),
        ]


class BillingProfile(models.Model):
    """A customer's Stripe customer id (created with the first card) and auto-recharge settings.

    `auto_recharge_armed` is the latch that makes a drop below the trigger fire once: the first
    transaction that finds it armed and available < trigger flips it off with a conditional UPDATE.
    """

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="billing")
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    auto_recharge_enabled = models.BooleanField(default=False)
    auto_recharge_trigger = models.BigIntegerField(default=0)
    auto_recharge_amount = models.BigIntegerField(default=0)
    auto_recharge_armed = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)


class PaymentMethod(models.Model):
    """A card saved on the customer's Stripe customer; card data itself stays at Stripe."""

    public_id = PublicIdField(prefix="card")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="payment_methods"
    )
    stripe_id = models.CharField(max_length=255)
    brand = models.CharField(max_length=40, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(default=0)
    exp_year = models.PositiveSmallIntegerField(default=0)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "stripe_id"], name="payment_method_unique_stripe_id"),
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(is_default=True), name="payment_method_one_default"
            ),
        ]

    @property
    def label(self) -> str:
        return f"{self.brand.title() or 'Card'} •••• {self.last4}"

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year}"


class Payment(models.Model):
    """One card charge into the wallet (a deposit or an auto-recharge)."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        AUTO_RECHARGE = "auto_recharge", "Auto-recharge"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    public_id = PublicIdField(prefix="pay")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DEPOSIT)
    amount = models.BigIntegerField(help_text="Cents credited to the wallet.")
    fee = models.BigIntegerField(default=0, help_text="Cents charged on top of the amount.")
    fee_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment_method = models.ForeignKey(PaymentMethod, null=True, blank=True, on_delete=models.SET_NULL)
    card_label = models.CharField(max_length=60, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    failure_message = models.CharField(max_length=500, blank=True)
    transaction = models.OneToOneField(
        "wallets.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="payment_unique_idempotency_key"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=models.Q(fee__gte=0), name="payment_fee_not_negative"),
        ]

    @property
    def total(self) -> int:
        """What the card is charged: the amount plus the fee."""
        return self.amount + self.fee


class StripeEvent(models.Model):
    """A Stripe webhook event already processed for a tenant; a replay of its id is ignored."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "event_id"], name="stripe_event_unique")]
