"""Leads in, leads sold: categories, lead types, sources, pings, leads, submissions, bids and usage.

Money is integer cents. Every row belongs to one tenant (`tenant` on each model, so one filter scopes any
query). Integer keys never leave the server: each record a user can name has a `public_id`; pings, ping
offers and leads also carry a UUID because Juiced's public API names them by UUID.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from juiced.core.ids import PublicIdField

# --- tenant settings for the marketplace ----------------------------------------------------------------


class LeadSettings(models.Model):
    """Per-tenant switches for ingestion and bidding (created on first read, see selectors)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="lead_settings")
    ping_expiry_minutes = models.PositiveIntegerField(default=5)
    ping_max_offers = models.PositiveIntegerField(
        default=5, help_text="How many bids an internal source's ping lists (each is held until post/expiry)."
    )
    smart_pricing = models.BooleanField(default=False)
    bid_lock = models.BooleanField(
        default=False, help_text="When on, buyers cannot change bids in the portal; only staff can."
    )
    bid_limits_enabled = models.BooleanField(
        default=True, help_text="Whether bids may carry their own caps and budgets."
    )
    default_rate_limit_per_minute = models.PositiveIntegerField(default=1200)
    updated_at = models.DateTimeField(auto_now=True)


# --- schema: categories, fields, lead types, pricing ----------------------------------------------------


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    ZIP = "zip", "ZIP code"
    STATE = "state", "State"
    DATE = "date", "Date"
    BOOLEAN = "boolean", "Yes/No"
    SELECT = "select", "Select"
    MULTI_SELECT = "multi_select", "Multi-select"
    CURRENCY = "currency", "Currency"
    URL = "url", "URL"


class LeadCategory(models.Model):
    public_id = PublicIdField(prefix="cat")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="lead_categories")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="lead_category_unique_name")]

    def __str__(self) -> str:
        return self.name


class CategoryField(models.Model):
    """One field of a category's schema. Base fields (is_base) exist on every category: key and type fixed."""

    public_id = PublicIdField(prefix="fld")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(LeadCategory, on_delete=models.CASCADE, related_name="fields")
    key = models.CharField(max_length=64, help_text="snake_case name used in the API payload.")
    label = models.CharField(max_length=100)
    field_type = models.CharField(max_length=20, choices=FieldType.choices, default=FieldType.TEXT)
    options = models.JSONField(default=list, blank=True, help_text="Choices for select / multi-select.")
    is_base = models.BooleanField(default=False)
    required_for_ping = models.BooleanField(default=False)
    required_for_post = models.BooleanField(default=False)
    deliverable = models.BooleanField(default=True, help_text="Sent to the buyer with the lead.")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "key"], name="category_field_unique_key")]

    def __str__(self) -> str:
        return self.key


class LeadType(models.Model):
    """A priced tier of a category, chosen by ordered condition groups (AND within a group, OR across).

    `conditions` is a list of groups; a group is a list of {"field", "op", "value"} (see matching.py).
    Types are tried in `position` order; the category's fallback type (at most one) takes what none matched.
    """

    public_id = PublicIdField(prefix="ltype")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="lead_types")
    category = models.ForeignKey(LeadCategory, on_delete=models.CASCADE, related_name="lead_types")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_fallback = models.BooleanField(default=False)
    conditions = models.JSONField(default=list, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="lead_type_unique_name"),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(is_fallback=True, archived_at__isnull=True),
                name="lead_type_one_fallback",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Scope(models.TextChoices):
    COUNTY = "county", "County"
    STATE = "state", "State"
    NATIONWIDE = "nationwide", "Nationwide"


class LeadTypePricing(models.Model):
    """Bidding settings of one lead type at one scope: enabled, and a fixed price or min/max/step."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    lead_type = models.ForeignKey(LeadType, on_delete=models.CASCADE, related_name="pricing")
    scope = models.CharField(max_length=12, choices=Scope.choices)
    enabled = models.BooleanField(default=False)
    fixed_price = models.BooleanField(default=False, help_text="When on, `minimum` is the only price.")
    minimum = models.BigIntegerField(default=100)
    maximum = models.BigIntegerField(null=True, blank=True)
    step = models.BigIntegerField(default=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead_type", "scope"], name="lead_type_pricing_unique_scope"),
            models.CheckConstraint(condition=Q(minimum__gt=0), name="lead_type_pricing_minimum_positive"),
            models.CheckConstraint(condition=Q(step__gt=0), name="lead_type_pricing_step_positive"),
        ]


# --- sources ------------------------------------------------------------------------------------------


class Source(models.Model):
    class Kind(models.TextChoices):
        INTERNAL = "internal", "Internal"
        VENDOR = "vendor", "Vendor"

    public_id = PublicIdField(prefix="src")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INTERNAL)
    api_key = models.CharField(max_length=64, unique=True, help_text="Public half of Basic auth.")
    api_secret_hash = models.CharField(max_length=64, help_text="SHA-256 of the secret; shown once.")
    is_active = models.BooleanField(default=True, help_text="Paused sources are refused (401).")
    test_mode = models.BooleanField(default=False, help_text="Vendor sources only.")
    payout_percent = models.DecimalField(max_digits=5, decimal_places=2, default=100)
    default_category = models.ForeignKey(
        LeadCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="sources"
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: the tenant's default."
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SourceToken(models.Model):
    """A bearer token of a source. Rotation sets the old token's `expires_at` 24 h ahead."""

    public_id = PublicIdField(prefix="stok")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class SourcePricing(models.Model):
    class Kind(models.TextChoices):
        FIXED = "fixed", "Fixed"
        FALLBACK = "fallback", "Fallback"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="pricing")
    lead_type = models.ForeignKey(LeadType, on_delete=models.CASCADE, related_name="source_pricing")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FALLBACK)
    price = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "lead_type"], name="source_pricing_unique_type"),
            models.CheckConstraint(condition=Q(price__gte=0), name="source_pricing_price_not_negative"),
        ]


class DuplicateRule(models.Model):
    """Leads matching a previous lead on all `fields` within `lookback_days` are Duplicate.

    Category-wide when `source` is empty, else only for that source's leads.
    """

    public_id = PublicIdField(prefix="dup")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="duplicate_rules")
    category = models.ForeignKey(LeadCategory, on_delete=models.CASCADE, related_name="duplicate_rules")
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, related_name="duplicate_rules"
    )
    fields = models.JSONField(default=list, help_text="Field keys that must all match.")
    lookback_days = models.PositiveIntegerField(default=30)
    apply_to_pings = models.BooleanField(default=False)
    ignore_punctuation = models.BooleanField(default=False)
    case_sensitive = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


# --- bids -----------------------------------------------------------------------------------------------


class LimitFields(models.Model):
    """Caps (lead counts) and budgets (cents) per UTC calendar period; empty means unlimited."""

    daily_cap = models.PositiveIntegerField(null=True, blank=True)
    weekly_cap = models.PositiveIntegerField(null=True, blank=True)
    monthly_cap = models.PositiveIntegerField(null=True, blank=True)
    daily_budget = models.BigIntegerField(null=True, blank=True)
    weekly_budget = models.BigIntegerField(null=True, blank=True)
    monthly_budget = models.BigIntegerField(null=True, blank=True)

    class Meta:
        abstract = True


class Bid(LimitFields):
    """A buyer's standing offer: lead type + scope + location + amount (cents, on the step grid).

    Location: `state` is a USPS code (empty for nationwide); `county` is the county's name as in geo.py
    (only for county scope).
    """

    public_id = PublicIdField(prefix="bid")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="bids")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="bids")
    lead_type = models.ForeignKey(LeadType, on_delete=models.PROTECT, related_name="bids")
    scope = models.CharField(max_length=12, choices=Scope.choices)
    state = models.CharField(max_length=2, blank=True)
    county = models.CharField(max_length=100, blank=True)
    amount = models.BigIntegerField()
    is_paused = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    last_won_at = models.DateTimeField(
        null=True, blank=True, help_text="Round robin among ties: least recently assigned first."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["lead_type", "scope", "state", "county"],
                condition=Q(archived_at__isnull=True),
                name="bid_live_location",
            ),
            models.Index(fields=["customer", "archived_at"]),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="bid_amount_positive")]


class BidChange(models.Model):
    """The history of a bid: who created, changed, paused or archived it, and what changed."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, default="System")
    action = models.CharField(max_length=30)
    changes = models.JSONField(default=dict, blank=True, help_text="field → [old, new]")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class UsageCounter(models.Model):
    """Leads and cents won in one UTC calendar period, per customer (bid empty) or per bid.

    Written in the allocation transaction; returns never decrement it (a return refunds money, not headroom).
    """

    class Period(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    bid = models.ForeignKey(Bid, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=8, choices=Period.choices)
    period_start = models.DateField()
    leads = models.PositiveIntegerField(default=0)
    spent = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "period", "period_start"],
                condition=Q(bid__isnull=True),
                name="usage_customer_period_unique",
            ),
            models.UniqueConstraint(
                fields=["bid", "period", "period_start"],
                condition=Q(bid__isnull=False),
                name="usage_bid_period_unique",
            ),
        ]


# --- leads, pings, submissions ----------------------------------------------------------------------------


class LeadStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    ASSIGNED = "assigned", "Assigned"
    POSTED = "posted", "Posted"
    DUPLICATE = "duplicate", "Duplicate"
    RETURNED = "returned", "Returned"
    UNASSIGNED = "unassigned", "Unassigned"
    WITHHELD = "withheld", "Withheld"
    MARKETPLACE = "marketplace", "Marketplace"
    AUDIT = "audit", "Audit"
    UNCATEGORIZED = "uncategorized", "Uncategorized"
    DISTRIBUTION_ERROR = "distribution_error", "Distribution Error"


SOLD_STATUSES = (LeadStatus.ASSIGNED, LeadStatus.POSTED, LeadStatus.RETURNED)


class Ping(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        POSTED = "posted", "Posted"
        EXPIRED = "expired", "Expired"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="pings")
    category = models.ForeignKey(LeadCategory, on_delete=models.PROTECT, related_name="+")
    lead_type = models.ForeignKey(LeadType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict)
    zip_code = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=2, blank=True)
    county = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=30, help_text="Match found, No match found, Duplicate, Rejected")
    price = models.BigIntegerField(default=0, help_text="Vendor sources: the price reported, cents.")
    is_test = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "expires_at"])]


class PingOffer(models.Model):
    """A bid returned by a ping, its funds held until the matching post or the ping's expiry."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        WON = "won", "Won"
        RELEASED = "released", "Released"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    ping = models.ForeignKey(Ping, on_delete=models.CASCADE, related_name="offers")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    price = models.BigIntegerField(help_text="What the buyer pays if this offer is taken, cents.")
    rank = models.PositiveIntegerField(default=0)
    hold = models.ForeignKey(
        "wallets.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)

    class Meta:
        ordering = ["rank", "id"]


class Lead(models.Model):
    public_id = PublicIdField(prefix="lead")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="leads")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="leads")
    category = models.ForeignKey(LeadCategory, on_delete=models.PROTECT, related_name="leads")
    lead_type = models.ForeignKey(
        LeadType, null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    ping = models.ForeignKey(Ping, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.PENDING)
    is_test = models.BooleanField(default=False)
    data = models.JSONField(default=dict, help_text="Every submitted field, normalised, by key.")
    zip_code = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=2, blank=True)
    county = models.CharField(max_length=100, blank=True)
    # The sale (empty until assigned)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    bid = models.ForeignKey(Bid, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    bid_amount = models.BigIntegerField(default=0, help_text="The winning bid's amount, cents.")
    price = models.BigIntegerField(default=0, help_text="What the buyer was charged, cents.")
    payout = models.BigIntegerField(default=0, help_text="What the source is reported/paid, cents.")
    transaction = models.ForeignKey(
        "wallets.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"]),
            models.Index(fields=["tenant", "status", "-created_at"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["source", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_sold(self) -> bool:
        return self.status in SOLD_STATUSES


class LeadStatusChange(models.Model):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, default="System")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class DistributionLog(models.Model):
    """One processing run of a lead (first run or a reprocess): one row, however many bids were considered.

    `events` is the ordered list of stages, each a dict with at least {"stage", "at", "message"}; the
    auction stage carries every candidate with its outcome (see allocation.py).
    """

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="distribution_logs")
    run = models.PositiveIntegerField(default=1)
    outcome = models.CharField(max_length=20)
    events = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]


class LeadFingerprint(models.Model):
    """A digest of a lead's values for one duplicate rule: one indexed look-up finds a duplicate."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(DuplicateRule, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["rule", "digest", "created_at"])]


class Submission(models.Model):
    """Every authenticated call to /api/ping or /api/leads, accepted or rejected, with why and how long."""

    class Kind(models.TextChoices):
        PING = "ping", "Ping"
        POST = "post", "Post"

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    public_id = PublicIdField(prefix="sub")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="submissions")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    errors = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    response = models.JSONField(default=dict, blank=True)
    http_status = models.PositiveSmallIntegerField()
    is_test = models.BooleanField(default=False)
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    ping = models.ForeignKey(Ping, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    latency_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"]),
            models.Index(fields=["source", "-created_at"]),
        ]
