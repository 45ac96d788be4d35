"""Prepaid utility vending (seed 002, SPEC §10): accounts, meters, tariffs, Quick Pay sales and tokens.

Units, everywhere in this app:
- money is integer cents (the tenant's currency); tariff rates are integer **millicents per kWh**
  (1/1000 of a cent: 23.45 ¢/kWh is 23_450) so prices below a cent per kWh stay exact;
- energy is integer **Wh**; a sale's energy is rounded down to 100 Wh (0.1 kWh) and the money value of
  the part rounded away is carried on the account (`Account.carry_mc`, millicents) into the next sale;
- percentages are integer basis points (15 % is 1_500).

Ledger discipline as in `wallets`: sales, account entries and batches-once-closed are never edited; a
reversal is a new Sale row (kind "reversal") with negated amounts and new AccountEntry rows. Every row
belongs to one tenant. Integer keys never leave the server: records carry a `public_id`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from juiced.core.ids import PublicIdField


class ImmutableRowError(Exception):
    """Sales and account entries are written once; corrections are new rows."""


class _Immutable(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableRowError(f"{type(self).__name__} rows are immutable; record a new row instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError(f"{type(self).__name__} rows are immutable and cannot be deleted.")


# --- people, places, meters -------------------------------------------------------------------------------


class VendingCustomer(models.Model):
    """The person or business that buys energy (not a lead-marketplace Customer)."""

    public_id = PublicIdField(prefix="vcu")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="vending_customers")
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, e.g. +254700000001.")
    phone_alt = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    id_number = models.CharField(max_length=60, blank=True, help_text="National id or company number.")
    address = models.CharField(max_length=300, blank=True)
    # Preferences
    receipt_sms = models.BooleanField(default=True, help_text="Send the token by SMS after each sale.")
    receipt_email = models.BooleanField(default=True, help_text="Send the receipt by e-mail after each sale.")
    language = models.CharField(max_length=10, default="en")
    # Business settings (vary by deployment)
    discount_bp = models.PositiveIntegerField(
        default=0, help_text="Discount on the energy price, basis points."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "name"]), models.Index(fields=["tenant", "phone"])]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """A service point. `loc_id` is how staff name it, like an account number (unique per tenant)."""

    public_id = PublicIdField(prefix="loc")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="vending_locations")
    loc_id = models.CharField(max_length=40)
    address_1 = models.CharField(max_length=200)
    address_2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2.")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["loc_id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "loc_id"], name="vending_loc_id_unique")]

    def __str__(self) -> str:
        return self.loc_id


class TokenStandard(models.TextChoices):
    OPENPAYGO = "openpaygo", "OpenPAYGO Token"
    # STS (IEC 62055-41) is a documented extension point (docs/vending.md), not built.


class Meter(models.Model):
    """A prepaid meter. `serial_number` names it (unique per tenant); it holds what token generation needs."""

    public_id = PublicIdField(prefix="mtr")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="vending_meters")
    serial_number = models.CharField(max_length=60)
    com = models.CharField(
        max_length=100, blank=True, help_text="Communication: metering technology, meter brand or network."
    )
    vending_enabled = models.BooleanField(default=True)
    token_standard = models.CharField(
        max_length=20, choices=TokenStandard.choices, default=TokenStandard.OPENPAYGO
    )
    # OpenPAYGO Token: the secret key (hex) encrypted with juiced.core.crypto; write-only in the API.
    openpaygo_secret_key = models.TextField(blank=True)
    openpaygo_starting_code = models.BigIntegerField(null=True, blank=True)
    token_count = models.PositiveIntegerField(
        default=1, help_text="The last count used; the next token advances it (never reused)."
    )
    restricted_digit_set = models.BooleanField(default=False)
    extended_tokens = models.BooleanField(default=False)
    energy_step_wh = models.PositiveIntegerField(
        default=100, help_text="The energy one token value step represents, in Wh (100 = 0.1 kWh)."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["serial_number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "serial_number"], name="vending_meter_serial_unique"),
            models.CheckConstraint(condition=Q(energy_step_wh__gt=0), name="vending_meter_step_positive"),
        ]

    def __str__(self) -> str:
        return self.serial_number


# --- tariffs ---------------------------------------------------------------------------------------------


class TariffKind(models.TextChoices):
    FLAT = "flat", "Flat rate"
    BLOCKS = "blocks", "Inclining blocks (calendar month)"
    TIME_OF_USE = "tou", "Time of use"


class Tariff(models.Model):
    public_id = PublicIdField(prefix="trf")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="vending_tariffs")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    current_version = models.ForeignKey(
        "TariffVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="vending_tariff_name_unique")]

    def __str__(self) -> str:
        return self.name


class TariffVersion(_Immutable):
    """One immutable version of a tariff's terms; a change is a new version; a sale records the one it used.

    blocks: [{"up_to_kwh": 50, "rate": 12_000}, …, {"up_to_kwh": null, "rate": 25_000}] — cumulative kWh
      purchased in the account's calendar month (tenant time zone), the last block open-ended.
    tou: [{"start": "00:00", "end": "06:00", "rate": 9_000}, …] — local time windows covering the day; the
      sale's time picks the rate.
    Rates are millicents per kWh (see module docstring).
    """

    public_id = PublicIdField(prefix="trv")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=TariffKind.choices)
    flat_rate = models.BigIntegerField(null=True, blank=True, help_text="Millicents per kWh (flat tariffs).")
    blocks = models.JSONField(default=list, blank=True)
    tou = models.JSONField(default=list, blank=True)
    fixed_per_purchase = models.BigIntegerField(default=0, help_text="Cents charged on every purchase.")
    fixed_per_day = models.BigIntegerField(
        default=0, help_text="Cents per day since the account's last purchase (service charge)."
    )
    tax_bp = models.PositiveIntegerField(
        default=0, help_text="Tax on the energy and fixed charges, basis points."
    )
    minimum_purchase = models.BigIntegerField(default=0, help_text="Smallest sale amount, cents.")
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tariff", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "number"], name="vending_tariff_version_unique"),
            models.CheckConstraint(
                condition=Q(fixed_per_purchase__gte=0), name="vending_fixed_purchase_gte_0"
            ),
            models.CheckConstraint(condition=Q(fixed_per_day__gte=0), name="vending_fixed_day_gte_0"),
            models.CheckConstraint(condition=Q(minimum_purchase__gte=0), name="vending_minimum_gte_0"),
        ]


# --- accounts --------------------------------------------------------------------------------------------


class MasterAccount(models.Model):
    """Relates several accounts without copying them; Synchronize pushes its chosen fields to each."""

    # The account fields a master can push (Synchronize); the names are Account fields.
    SYNC_FIELDS = ("tariff", "arrears_recovery_bp", "minimum_purchase", "maximum_purchase")

    public_id = PublicIdField(prefix="mac")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="vending_masters")
    name = models.CharField(max_length=200)
    tariff = models.ForeignKey(Tariff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    arrears_recovery_bp = models.PositiveIntegerField(default=0)
    minimum_purchase = models.BigIntegerField(null=True, blank=True)
    maximum_purchase = models.BigIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccountStatus(models.TextChoices):
    PENDING = "pending", "Pending activation"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class Account(models.Model):
    """Customer + location + meter under a tariff. Only an active account with a vending-enabled meter sells.

    The cached balances are sums of AccountEntry rows per pocket (`juiced ledger check` proves them).
    """

    public_id = PublicIdField(prefix="acc")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="vending_accounts")
    number = models.CharField(max_length=20, help_text="The account number staff type (unique per tenant).")
    customer = models.ForeignKey(VendingCustomer, on_delete=models.PROTECT, related_name="accounts")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="accounts")
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="accounts")
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="accounts")
    master = models.ForeignKey(
        MasterAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    status = models.CharField(max_length=10, choices=AccountStatus.choices, default=AccountStatus.PENDING)
    activated_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # Settings a master can synchronise
    arrears_recovery_bp = models.PositiveIntegerField(
        default=0, help_text="Share of each purchase that repays arrears, basis points."
    )
    minimum_purchase = models.BigIntegerField(
        null=True, blank=True, help_text="Overrides the tariff's, cents."
    )
    maximum_purchase = models.BigIntegerField(null=True, blank=True, help_text="Largest sale, cents.")
    # Cached ledger state (updated in the same transaction as each AccountEntry / Sale)
    wallet_balance = models.BigIntegerField(default=0)
    deposit_balance = models.BigIntegerField(default=0)
    arrears_balance = models.BigIntegerField(default=0)
    carry_mc = models.BigIntegerField(
        default=0, help_text="Money (millicents) rounded off earlier sales' energy, carried into the next."
    )
    last_purchase_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="vending_account_number_unique"),
            # A meter serves one active account at a time.
            models.UniqueConstraint(
                fields=["meter"], condition=Q(status="active"), name="vending_one_active_account_per_meter"
            ),
            models.CheckConstraint(condition=Q(wallet_balance__gte=0), name="vending_wallet_not_negative"),
            models.CheckConstraint(condition=Q(deposit_balance__gte=0), name="vending_deposit_not_negative"),
            models.CheckConstraint(condition=Q(arrears_balance__gte=0), name="vending_arrears_not_negative"),
            models.CheckConstraint(condition=Q(carry_mc__gte=0), name="vending_carry_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class AccountEvent(models.Model):
    """The account's history (Audit tab): who changed what and when, synchronisations included."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, default="System")
    action = models.CharField(max_length=60)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class AccountNote(models.Model):
    """Free notes; sensitive actions (reversal, free issue, deactivation, management token) require one."""

    public_id = PublicIdField(prefix="note")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField()
    action = models.CharField(
        max_length=60, blank=True, help_text="The sensitive action it justifies, if any."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class AccountDocument(models.Model):
    public_id = PublicIdField(prefix="doc")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="vending/documents/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


# --- cashiers and batches ----------------------------------------------------------------------------------


class Vendor(models.Model):
    """A cashier (or outlet) who sells: limits per sale and per day, and batches closed daily."""

    public_id = PublicIdField(prefix="ven")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="vending_vendors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vendors")
    name = models.CharField(max_length=120, help_text="Outlet or cashier name shown on receipts.")
    limit_per_sale = models.BigIntegerField(null=True, blank=True, help_text="Cents; empty means no limit.")
    limit_per_day = models.BigIntegerField(null=True, blank=True, help_text="Cents; empty means no limit.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="vending_vendor_user_unique")]

    def __str__(self) -> str:
        return self.name


class Batch(models.Model):
    """A cashier's takings for one business day. Closing totals them by payment kind; then it is immutable."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    public_id = PublicIdField(prefix="bat")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="batches")
    number = models.PositiveIntegerField(help_text="1, 2, 3… per vendor.")
    business_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    totals = models.JSONField(default=dict, blank=True, help_text="Frozen at close: {payment_kind: cents}.")
    sales_count = models.PositiveIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-business_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "number"], name="vending_batch_number_unique"),
            # At most one open batch per vendor.
            models.UniqueConstraint(
                fields=["vendor"], condition=Q(status="open"), name="vending_one_open_batch"
            ),
        ]


# --- sales and tokens ------------------------------------------------------------------------------------


class PaymentKind(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    CHEQUE = "cheque", "Cheque"
    MOBILE_MONEY = "mobile_money", "Mobile money"
    WALLET = "wallet", "Account wallet"
    FREE_ISSUE = "free_issue", "Free / credit issue"


class Sale(_Immutable):
    """One Quick Pay purchase (kind "sale") or its reversal (kind "reversal", every amount negated).

    amount = arrears_share + fixed_charges + tax + energy_money (cents, exact); energy_money plus the carry
    in, minus the carry out, is what the energy cost at the tariff (see vending/tariffs.py).
    """

    class Kind(models.TextChoices):
        SALE = "sale", "Sale"
        REVERSAL = "reversal", "Reversal"

    public_id = PublicIdField(prefix="sal")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="sales")
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="sales")
    tariff_version = models.ForeignKey(TariffVersion, on_delete=models.PROTECT, related_name="sales")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SALE)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="sales")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="sales")
    payment_kind = models.CharField(max_length=20, choices=PaymentKind.choices)
    payment_reference = models.CharField(max_length=100, blank=True, help_text="Card slip, cheque number…")
    amount = models.BigIntegerField(help_text="What the customer paid, cents (negative for a reversal).")
    tendered = models.BigIntegerField(default=0, help_text="Cash handed over, cents (cash only).")
    change_due = models.BigIntegerField(default=0)
    arrears_share = models.BigIntegerField(default=0)
    fixed_charges = models.BigIntegerField(default=0)
    tax = models.BigIntegerField(default=0)
    discount = models.BigIntegerField(default=0, help_text="Cents taken off the energy price.")
    energy_money = models.BigIntegerField(default=0)
    energy_wh = models.BigIntegerField(default=0)
    carry_in_mc = models.BigIntegerField(default=0)
    carry_out_mc = models.BigIntegerField(default=0)
    breakdown = models.JSONField(default=dict, blank=True, help_text="The quote's lines, for the receipt.")
    note = models.TextField(blank=True, help_text="Required for free issue and reversals.")
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, default="System")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            models.Index(fields=["batch", "payment_kind"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="vending_sale_idempotency_unique",
            ),
        ]


class TokenType(models.TextChoices):
    ADD_TIME = "ADD_TIME", "Add credit"
    SET_TIME = "SET_TIME", "Set credit"
    DISABLE_PAYG = "DISABLE_PAYG", "Disable PAYG (unlock)"
    COUNTER_SYNC = "COUNTER_SYNC", "Counter sync"


class Token(models.Model):
    """A token issued for a meter: for a sale (one or several) or a management token. Counts never repeat."""

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        VOID = "void", "Void"

    public_id = PublicIdField(prefix="tok")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="tokens")
    sale = models.ForeignKey(Sale, null=True, blank=True, on_delete=models.PROTECT, related_name="tokens")
    token_type = models.CharField(max_length=20, choices=TokenType.choices)
    value = models.PositiveIntegerField(null=True, blank=True, help_text="Raw token value in energy steps.")
    energy_wh = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField()
    token = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    reason = models.CharField(max_length=300, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["meter", "count"], name="vending_token_count_unique")]


# --- arrears -----------------------------------------------------------------------------------------------


class ArrearsDebt(models.Model):
    """A debt on an account, recovered as a share of each purchase and/or by a repayment plan."""

    public_id = PublicIdField(prefix="arr")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debts")
    amount = models.BigIntegerField(help_text="The original debt, cents.")
    balance = models.BigIntegerField(help_text="What is still owed, cents (cached sum of its entries).")
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="vending_debt_amount_positive"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="vending_debt_balance_gte_0"),
        ]


class RepaymentPlan(models.Model):
    """Up to 72 instalments that repay a debt, with optional flat interest (basis points of the debt)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    public_id = PublicIdField(prefix="rpl")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="plans")
    debt = models.ForeignKey(ArrearsDebt, on_delete=models.PROTECT, related_name="plans")
    instalments = models.PositiveIntegerField()
    interest_bp = models.PositiveIntegerField(default=0)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    start_date = models.DateField()
    total = models.BigIntegerField(help_text="Principal + interest, cents.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(instalments__gte=1) & Q(instalments__lte=72), name="vending_plan_instalments_1_72"
            ),
        ]


class PlanInstalment(models.Model):
    plan = models.ForeignKey(RepaymentPlan, on_delete=models.CASCADE, related_name="schedule")
    number = models.PositiveIntegerField()
    due_date = models.DateField()
    amount = models.BigIntegerField()
    paid = models.BigIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="vending_instalment_unique"),
            models.CheckConstraint(condition=Q(paid__gte=0), name="vending_instalment_paid_gte_0"),
        ]


# --- the account ledger ------------------------------------------------------------------------------------


class Pocket(models.TextChoices):
    WALLET = "wallet", "Wallet"
    DEPOSIT = "deposit", "Deposit"
    ARREARS = "arrears", "Arrears"


class AccountEntry(_Immutable):
    """One immutable change to an account's wallet, deposit or arrears balance (signed cents).

    Examples: wallet top-up (+wallet), a sale paid from the wallet (−wallet), a deposit paid (+deposit) or
    refunded (−deposit), a debt added (+arrears), recovered by a sale or paid by an instalment (−arrears), and
    each of those reversed by a new entry.
    """

    class Kind(models.TextChoices):
        WALLET_TOPUP = "wallet_topup", "Wallet top-up"
        WALLET_SALE = "wallet_sale", "Sale paid from wallet"
        WALLET_REFUND = "wallet_refund", "Wallet refund"
        DEPOSIT_PAID = "deposit_paid", "Deposit paid"
        DEPOSIT_REFUNDED = "deposit_refunded", "Deposit refunded"
        ARREARS_ADDED = "arrears_added", "Arrears added"
        ARREARS_RECOVERED = "arrears_recovered", "Arrears recovered from a sale"
        ARREARS_INSTALMENT = "arrears_instalment", "Arrears instalment paid"
        ARREARS_INTEREST = "arrears_interest", "Plan interest"
        REVERSAL = "reversal", "Reversal"

    public_id = PublicIdField(prefix="aen")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    pocket = models.CharField(max_length=10, choices=Pocket.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="Signed change of the pocket's balance, cents.")
    balance_after = models.BigIntegerField()
    sale = models.ForeignKey(Sale, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    debt = models.ForeignKey(
        ArrearsDebt, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    payment_kind = models.CharField(max_length=20, choices=PaymentKind.choices, blank=True)
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    description = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, default="System")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "pocket", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="vending_entry_idempotency_unique",
            ),
        ]


# --- messages to vending customers ---------------------------------------------------------------------


class VendingMessage(models.Model):
    """One SMS or e-mail to a vending customer (receipt with token, reversal notice, a cashier's SMS).

    Sent by a background job through the notification channels (`juiced.notifications.channels`: Django
    mail, the twilio library with the tenant's channel settings); it duck-types as a Notification there.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        REVERSAL = "reversal", "Reversal notice"
        TOKEN = "token", "Management token"
        MESSAGE = "message", "Message from staff"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    public_id = PublicIdField(prefix="vms")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(VendingCustomer, on_delete=models.CASCADE, related_name="messages")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    sale = models.ForeignKey(Sale, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    provider_id = models.CharField(max_length=100, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"])]
