"""The wallet ledger: immutable transactions, holds, and idempotency records.

balance = Σ transaction.amount, held = Σ transaction.held_delta, available = balance − held.
The wallet row caches both sums and is updated in the same database transaction as each new row;
`juiced ledger check` proves the cache and the sums agree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from juiced.core.ids import PublicIdField


class ImmutableRowError(Exception):
    """Ledger rows are written once; corrections are new rows."""


class Wallet(models.Model):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="wallets")
    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="wallet")
    currency = models.CharField(max_length=3, default="USD")
    balance = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(held__gte=0), name="wallet_held_not_negative"),
            models.CheckConstraint(
                condition=models.Q(balance__gte=models.F("held")), name="wallet_available_not_negative"
            ),
        ]

    @property
    def available(self) -> int:
        return self.balance - self.held


class TransactionEvent(models.TextChoices):
    FUNDS_ADDED = "funds_added", "Funds Added"
    FUNDS_ADDED_BY_TENANT = "funds_added_by_tenant", "Funds Added By Tenant"
    FUNDS_SUBTRACTED_BY_TENANT = "funds_subtracted_by_tenant", "Funds Subtracted By Tenant"
    AUTO_RECHARGE = "auto_recharge", "Auto Recharge"
    LEAD_ASSIGNED = "lead_assigned", "Lead Assigned"
    LEAD_RETURNED = "lead_returned", "Lead Returned"
    PLACED_BUY_ORDER = "placed_buy_order", "Placed Buy Order"
    CANCELED_BUY_ORDER = "canceled_buy_order", "Canceled Buy Order"
    RELEASED_BUY_ORDER = "released_buy_order", "Released Buy Order"
    # A ping's offer holds the buyer's price until the matching post or the ping's expiry (issue 5).
    PING_HOLD = "ping_hold", "Ping Hold"
    PING_HOLD_RELEASED = "ping_hold_released", "Ping Hold Released"


TENANT_ADJUSTMENT_EVENTS = (
    TransactionEvent.FUNDS_ADDED_BY_TENANT,
    TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT,
)


class Hold(models.Model):
    """Reserved funds: reduce `available` until released (nothing spent) or captured (charged)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RELEASED = "released", "Released"
        CAPTURED = "captured", "Captured"

    public_id = PublicIdField(prefix="hold")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="holds")
    amount = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    reason = models.CharField(max_length=200, blank=True)
    related_type = models.CharField(max_length=40, blank=True)
    related_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="hold_amount_positive")]
        indexes = [models.Index(fields=["wallet", "status"])]


class Transaction(models.Model):
    """One immutable change to a wallet's balance or holds."""

    public_id = PublicIdField(prefix="txn")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    # Indexed by (wallet, -created_at) and (wallet, event) below: no single-column index
    # (it would only slow writes).
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="transactions", db_index=False)
    event = models.CharField(max_length=40, choices=TransactionEvent.choices)
    amount = models.BigIntegerField(help_text="Signed change of the balance, in cents.")
    held_delta = models.BigIntegerField(default=0, help_text="Signed change of the held amount, in cents.")
    balance_after = models.BigIntegerField()
    held_after = models.BigIntegerField()
    description = models.CharField(max_length=500, blank=True, help_text="Visible to the customer.")
    receipt_url = models.URLField(max_length=500, blank=True)
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions", db_index=False
    )
    related_type = models.CharField(max_length=40, blank=True, help_text="lead, return, buy_order, payment…")
    related_id = models.CharField(
        max_length=40, blank=True, help_text="Public id of the record that caused it."
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, default="System")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Every ledger query goes through a wallet; the hold index skips the many rows without a hold.
        # Each index is written on every money movement, so there are no others (bench/wallet.py).
        indexes = [
            models.Index(fields=["wallet", "-created_at"]),
            models.Index(fields=["wallet", "event"]),
            models.Index(
                fields=["hold"], condition=models.Q(hold__isnull=False), name="transaction_hold_idx"
            ),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableRowError("Transactions are immutable; record a new transaction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError("Transactions are immutable and cannot be deleted.")

    @property
    def available_after(self) -> int:
        return self.balance_after - self.held_after

    @property
    def display_amount(self) -> int:
        """What the customer sees: the balance change, or for a hold event the change of available funds."""
        return self.amount if self.amount else -self.held_delta

    @property
    def is_hold_event(self) -> bool:
        return self.amount == 0 and self.held_delta != 0


class IdempotencyRecord(models.Model):
    """The first result of a money-moving request, keyed per tenant by its Idempotency-Key."""

    # Indexed by the unique (tenant, key) below.
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=60)
    request_hash = models.CharField(max_length=64)
    transaction = models.ForeignKey(Transaction, null=True, on_delete=models.PROTECT, related_name="+")
    hold = models.ForeignKey(Hold, null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_unique_key")]
        indexes = [
            models.Index(fields=["hold"], condition=models.Q(hold__isnull=False), name="idempotency_hold_idx")
        ]
