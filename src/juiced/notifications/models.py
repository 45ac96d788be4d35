"""Contacts, per-tenant notification templates and channel settings, and the record of every send.

A `Notification` row is one message to one recipient on one channel (email, SMS or in-app); the row is
written by `notify()` inside the caller's transaction and sent by a background job after commit.
"""

from __future__ import annotations

from django.db import models

from juiced.core.ids import PublicIdField


class NotificationType(models.TextChoices):
    LEAD_ASSIGNED = "lead_assigned", "Lead Assigned"
    OUTBID = "outbid", "Outbid"
    BID_MATCHED = "bid_matched", "Bid Matched"
    BUY_ORDER_EXCEEDED = "buy_order_exceeded", "Buy Order Exceeded"
    BUY_ORDER_REINSTATED = "buy_order_reinstated", "Buy Order Reinstated"
    ACCOUNT_PAUSED = "account_paused", "Account Paused"
    ACCOUNT_UNPAUSED = "account_unpaused", "Account Unpaused"
    ACCOUNT_ARCHIVED = "account_archived", "Account Archived"
    ACCOUNT_RESTORED = "account_restored", "Account Restored"
    RETURN_APPROVED = "return_approved", "Return Approved"
    # Not in Juiced's list of 14: issue 6 asks that a rejection sends its reason to the buyer.
    RETURN_REJECTED = "return_rejected", "Return Rejected"
    RETURN_TIER_UPDATED = "return_tier_updated", "Return Tier Updated"
    PAYMENT_FAILED = "payment_failed", "Payment Failed"
    PAYMENT_SUCCESSFUL = "payment_successful", "Payment Successful"
    UNDER_FUNDED_BIDS = "under_funded_bids", "Under Funded Bids"


class NotificationCategory(models.TextChoices):
    """The four groups of the contact's toggles; which type is in which group is catalog.CATEGORIES."""

    LEAD = "lead", "Lead notifications"
    BID = "bid", "Bid notifications"
    ACCOUNT = "account", "Account notifications"
    MARKETPLACE = "marketplace", "Marketplace notifications"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    IN_APP = "in_app", "In-app"


class Contact(models.Model):
    """An e-mail address or phone number of a customer that receives notifications."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"

    public_id = PublicIdField(prefix="con")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    # type → on/off, as chosen for this contact; a type missing here follows its template's Default-on.
    preferences = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "value"], name="contact_unique_value")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.value}>" if self.name else self.value

    @property
    def channel(self) -> str:
        return Channel.EMAIL if self.kind == self.Kind.EMAIL else Channel.SMS


class NotificationTemplate(models.Model):
    """A tenant's wording for one type; a type without a row uses the shipped default (catalog.py)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40, choices=NotificationType.choices)
    visible = models.BooleanField(default=True)
    default_on = models.BooleanField(default=True)
    email_subject = models.CharField(max_length=200)
    email_body = models.TextField()
    sms_body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "type"], name="notification_template_unique")
        ]


class ChannelSettings(models.Model):
    """A tenant's e-mail sender and Twilio account (the auth token is encrypted at rest)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    email_from = models.CharField(max_length=254, blank=True)
    twilio_account_sid = models.CharField(max_length=64, blank=True)
    twilio_auth_token_encrypted = models.TextField(blank=True)
    twilio_from_number = models.CharField(max_length=20, blank=True)
    twilio_base_url = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def sms_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token_encrypted and self.twilio_from_number)


class Notification(models.Model):
    """One message on one channel to one recipient; in-app rows are the portal's notification list."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    public_id = PublicIdField(prefix="ntf")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="notifications")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    type = models.CharField(max_length=40)  # a NotificationType, or "test" for a contact's test message
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    provider_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["customer", "channel", "read_at"]),
        ]

    @property
    def type_label(self) -> str:
        if self.type == "test":
            return "Test message"
        return NotificationType(self.type).label if self.type in NotificationType.values else self.type
