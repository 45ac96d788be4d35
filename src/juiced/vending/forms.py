"""Vending page forms. They parse what a browser sends (amounts typed as "20.00", checkboxes, dates);
the services decide what is valid and their `ValidationFailed.fields` are shown next to the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms

from juiced.core.money import AmountError, cents_to_decimal, parse_amount
from juiced.vending.models import MasterAccount, PaymentKind, RepaymentPlan, TariffKind, TokenType

# The Quick Pay buttons, in the order a cashier expects them, with the permission each one needs.
QUICK_PAY_BUTTONS: tuple[tuple[str, str, str], ...] = (
    (PaymentKind.CASH, "Cash", "vending.sell"),
    (PaymentKind.CARD, "Card", "vending.sell"),
    (PaymentKind.CHEQUE, "Cheque", "vending.sell"),
    (PaymentKind.MOBILE_MONEY, "Mobile money", "vending.sell"),
    (PaymentKind.WALLET, "Wallet", "vending.sell"),
    (PaymentKind.FREE_ISSUE, "Free issue", "vending.free_issue"),
)
QUICK_PAY_PERMISSION = {kind: permission for kind, _label, permission in QUICK_PAY_BUTTONS}
QUICK_PAY_LABEL = {kind: label for kind, label, _permission in QUICK_PAY_BUTTONS}
NEEDS_REFERENCE = {PaymentKind.CARD, PaymentKind.CHEQUE, PaymentKind.MOBILE_MONEY}


def _text(label: str, *, input_type: str = "text", required: bool = False, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, widget=forms.TextInput(attrs={"type": input_type, **attrs})
    )


def _money(label: str, **attrs: Any) -> forms.CharField:
    return _text(label, inputmode="decimal", autocomplete="off", **attrs)


def _area(label: str, rows: int = 3) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}))


def cents_or_none(form: forms.Form, field: str) -> int | None:
    """The money field in cents, None when empty; a field error (and None) when it does not parse."""
    raw = (form.cleaned_data.get(field) or "").strip()
    if not raw:
        return None
    try:
        return parse_amount(raw)
    except AmountError as exc:
        form.add_error(field, str(exc))
        return None


def money_text(cents: int | None) -> str:
    return "" if cents is None else str(cents_to_decimal(cents))


class SearchForm(forms.Form):
    q = _text("Search", input_type="search", placeholder="Account, customer, phone, Loc ID or meter")


class QuickPayForm(forms.Form):
    """Amount, plus what the payment kind needs: tendered (cash), reference (card, cheque, mobile money),
    note (free issue)."""

    amount = _money("Amount", required=False, autofocus=True)
    tendered = _money("Amount tendered")
    reference = _text("Reference", maxlength=100)
    note = _area("Note (why this is issued free)")

    def __init__(self, *args: Any, payment_kind: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.payment_kind = payment_kind
        if payment_kind != PaymentKind.CASH:
            del self.fields["tendered"]
        if payment_kind not in NEEDS_REFERENCE:
            del self.fields["reference"]
        else:
            self.fields["reference"].label = {
                PaymentKind.CARD: "Card slip reference",
                PaymentKind.CHEQUE: "Cheque number",
                PaymentKind.MOBILE_MONEY: "Mobile money transaction id",
            }[payment_kind]
        if payment_kind != PaymentKind.FREE_ISSUE:
            del self.fields["note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["amount_cents"] = cents_or_none(self, "amount")
        if data["amount_cents"] is None and "amount" not in self.errors:
            self.add_error("amount", "Enter the amount the customer pays.")
        if "tendered" in self.fields:
            data["tendered_cents"] = cents_or_none(self, "tendered")
            if data["tendered_cents"] is None and "tendered" not in self.errors:
                self.add_error("tendered", "Enter the cash handed over.")
            elif data["amount_cents"] is not None and data["tendered_cents"] is not None:
                if data["tendered_cents"] < data["amount_cents"]:
                    self.add_error("tendered", "The cash tendered is less than the amount.")
        if "note" in self.fields and not (data.get("note") or "").strip():
            self.add_error("note", "A note is required for a free issue.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "amount": data["amount_cents"],
            "payment_kind": self.payment_kind,
            "tendered": data.get("tendered_cents"),
            "reference": (data.get("reference") or "").strip(),
            "note": (data.get("note") or "").strip(),
        }


class CalculatorForm(forms.Form):
    amount = _money("What does this amount buy today?", placeholder="20.00")


class ReasonForm(forms.Form):
    reason = _area("Reason")

    def clean_reason(self) -> str:
        reason = (self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


class NoteForm(forms.Form):
    body = _area("Note", rows=4)

    def clean_body(self) -> str:
        body = (self.cleaned_data.get("body") or "").strip()
        if not body:
            raise forms.ValidationError("Write the note.")
        return body


class StatusForm(forms.Form):
    note = _area("Note (required to deactivate)")


class SmsForm(forms.Form):
    body = forms.CharField(
        label="Message", required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 480})
    )


class DocumentForm(forms.Form):
    file = forms.FileField(label="File", required=False)
    name = _text("Name (optional)")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            raise forms.ValidationError("Choose a file to upload.")
        return upload


class MoneyMoveForm(forms.Form):
    """Wallet top-up, deposit paid or refunded: amount + payment kind (+ note)."""

    amount = _money("Amount")
    payment_kind = forms.ChoiceField(
        label="Payment", choices=[c for c in PaymentKind.choices if c[0] != PaymentKind.WALLET]
    )
    note = _text("Note")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["amount_cents"] = cents_or_none(self, "amount")
        if data["amount_cents"] is None and "amount" not in self.errors:
            self.add_error("amount", "Enter an amount.")
        return data


class DebtForm(forms.Form):
    amount = _money("Debt amount")
    reason = _text("Reason")
    recovery_percent = _text("Recovered from each purchase (%)", inputmode="decimal", placeholder="e.g. 25")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["amount_cents"] = cents_or_none(self, "amount")
        if data["amount_cents"] is None and "amount" not in self.errors:
            self.add_error("amount", "Enter the debt amount.")
        data["recovery_bp"] = percent_to_bp(self, "recovery_percent")
        return data


class PlanForm(forms.Form):
    debt = forms.ChoiceField(label="Debt", choices=())
    instalments = forms.IntegerField(label="Instalments (1–72)", required=False, min_value=1, max_value=72)
    interest_percent = _text("Interest (% of the debt)", inputmode="decimal", placeholder="0")
    frequency = forms.ChoiceField(label="Frequency", choices=RepaymentPlan.Frequency.choices)
    start_date = forms.DateField(
        label="First instalment", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, debts: list[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["debt"].choices = [
            (d.public_id, f"{d.reason} ({money_text(d.balance)} owed)") for d in debts
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("instalments") and "instalments" not in self.errors:
            self.add_error("instalments", "Enter the number of instalments (1 to 72).")
        if not data.get("start_date") and "start_date" not in self.errors:
            self.add_error("start_date", "Choose the first instalment's date.")
        data["interest_bp"] = percent_to_bp(self, "interest_percent") or 0
        return data


class InstalmentForm(forms.Form):
    amount = _money("Amount")
    payment_kind = forms.ChoiceField(
        label="Payment", choices=[c for c in PaymentKind.choices if c[0] != PaymentKind.FREE_ISSUE]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["amount_cents"] = cents_or_none(self, "amount")
        if data["amount_cents"] is None and "amount" not in self.errors:
            self.add_error("amount", "Enter an amount.")
        return data


def percent_to_bp(form: forms.Form, field: str) -> int | None:
    raw = (form.cleaned_data.get(field) or "").strip().rstrip("%")
    if not raw:
        return None
    try:
        from decimal import Decimal, InvalidOperation

        value = Decimal(raw)
    except InvalidOperation:
        form.add_error(field, "Enter a percentage such as 25 or 12.5.")
        return None
    bp = value * 100
    if bp != bp.to_integral_value() or bp < 0 or bp > 10_000:
        form.add_error(field, "Enter a percentage between 0 and 100, at most two decimals.")
        return None
    return int(bp)


def bp_to_percent(bp: int | None) -> str:
    if bp is None:
        return ""
    return f"{bp / 100:.2f}".rstrip("0").rstrip(".")


class ManagementTokenForm(forms.Form):
    token_type = forms.ChoiceField(label="Token type", choices=TokenType.choices)
    value = forms.IntegerField(
        label="Value (energy steps; days for time-based meters)", required=False, min_value=0
    )
    reason = _text("Reason")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("reason") or "").strip():
            self.add_error("reason", "A reason is required for a management token.")
        return data


class DecodeForm(forms.Form):
    token = _text("Token the customer reads out", inputmode="numeric", autocomplete="off")

    def clean_token(self) -> str:
        token = "".join((self.cleaned_data.get("token") or "").split())
        if not token:
            raise forms.ValidationError("Enter the token's digits.")
        return token


# --- manage screens: plain fields passed to the setup services, which validate ---------------------------


class CustomerForm(forms.Form):
    name = _text("Name")
    phone = _text("Phone", input_type="tel", placeholder="+254700000001")
    phone_alt = _text("Second phone", input_type="tel")
    email = _text("E-mail", input_type="email")
    id_number = _text("National id / company number")
    address = _text("Address")
    receipt_sms = forms.BooleanField(label="Send the token by SMS after each sale", required=False)
    receipt_email = forms.BooleanField(label="E-mail the receipt after each sale", required=False)
    language = _text("Language")
    discount_percent = _text("Discount on energy (%)", inputmode="decimal")
    notes = _area("Notes")

    plain_fields = ("name", "phone", "phone_alt", "email", "id_number", "address", "language", "notes")

    @classmethod
    def initial_for(cls, customer: Any) -> dict[str, Any]:
        initial = {f: getattr(customer, f) for f in cls.plain_fields}
        initial |= {"receipt_sms": customer.receipt_sms, "receipt_email": customer.receipt_email}
        initial["discount_percent"] = bp_to_percent(customer.discount_bp)
        return initial

    def service_data(self) -> dict[str, Any]:
        data = {f: (self.cleaned_data.get(f) or "").strip() for f in self.plain_fields}
        data["receipt_sms"] = self.cleaned_data.get("receipt_sms", False)
        data["receipt_email"] = self.cleaned_data.get("receipt_email", False)
        data["discount_bp"] = percent_to_bp(self, "discount_percent") or 0
        if not data["language"]:
            data.pop("language")
        return data


class LocationForm(forms.Form):
    loc_id = _text("Loc ID")
    address_1 = _text("Address")
    address_2 = _text("Address line 2")
    city = _text("City")
    region = _text("Region")
    postal_code = _text("Postal code")
    country = _text("Country (2 letters)", maxlength=2)
    notes = _area("Notes")

    @classmethod
    def initial_for(cls, location: Any) -> dict[str, Any]:
        return {f: getattr(location, f) for f in cls.base_fields}

    def service_data(self) -> dict[str, Any]:
        return {f: (self.cleaned_data.get(f) or "").strip() for f in self.fields}


class MeterForm(forms.Form):
    serial_number = _text("Serial number")
    com = _text("Com (technology, brand or network)")
    vending_enabled = forms.BooleanField(label="Vending enabled", required=False, initial=True)
    openpaygo_secret_key = _text("OpenPAYGO secret key (32 hex; leave empty to keep)", autocomplete="off")
    openpaygo_starting_code = forms.IntegerField(label="Starting code", required=False, min_value=0)
    restricted_digit_set = forms.BooleanField(label="Restricted digit set (1–4)", required=False)
    extended_tokens = forms.BooleanField(label="Extended tokens", required=False)
    energy_step_kwh = _text("Energy per token step (kWh)", inputmode="decimal", initial="0.1")
    notes = _area("Notes")

    @classmethod
    def initial_for(cls, meter: Any) -> dict[str, Any]:
        initial = {
            f: getattr(meter, f)
            for f in ("serial_number", "com", "vending_enabled", "openpaygo_starting_code", "notes")
        }
        initial |= {
            "restricted_digit_set": meter.restricted_digit_set,
            "extended_tokens": meter.extended_tokens,
        }
        initial["energy_step_kwh"] = f"{meter.energy_step_wh / 1000:g}"
        return initial

    def service_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            f: (self.cleaned_data.get(f) or "").strip() for f in ("serial_number", "com", "notes")
        }
        for flag in ("vending_enabled", "restricted_digit_set", "extended_tokens"):
            data[flag] = bool(self.cleaned_data.get(flag))
        if self.cleaned_data.get("openpaygo_starting_code") is not None:
            data["openpaygo_starting_code"] = self.cleaned_data["openpaygo_starting_code"]
        secret = (self.cleaned_data.get("openpaygo_secret_key") or "").strip()
        if secret:
            data["openpaygo_secret_key"] = secret
        step = (self.cleaned_data.get("energy_step_kwh") or "").strip()
        if step:
            data["energy_step_kwh"] = step
        return data


class TariffForm(forms.Form):
    name = _text("Name")
    description = _area("Description")


class TariffVersionForm(forms.Form):
    """A new version's terms. Rates are typed in cents per kWh; blocks and time-of-use windows one per
    line ("50: 12.0" = up to 50 kWh at 12.0 ¢/kWh, "*: 25" open-ended; "00:00-06:00: 9.0")."""

    kind = forms.ChoiceField(label="Kind", choices=TariffKind.choices)
    flat_rate = _text("Flat rate (¢/kWh)", inputmode="decimal")
    blocks = forms.CharField(
        label="Blocks (one per line: up-to kWh: ¢/kWh; * for the last)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tou = forms.CharField(
        label="Time of use (one per line: HH:MM-HH:MM: ¢/kWh)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    fixed_per_purchase = _money("Fixed charge per purchase")
    fixed_per_day = _money("Fixed charge per day since the last purchase")
    tax_percent = _text("Tax (%)", inputmode="decimal")
    minimum_purchase = _money("Minimum purchase")
    note = _text("Why this change")

    @classmethod
    def initial_for(cls, version: Any) -> dict[str, Any]:
        """The current version's terms, typed as a person would: a new version starts from them, so
        changing the rate alone does not silently drop the tax, fixed charges or minimum purchase."""
        if version is None:
            return {"kind": TariffKind.FLAT}
        return {
            "kind": version.kind,
            "flat_rate": _rate_text(version.flat_rate),
            "blocks": "\n".join(
                f"{'*' if b.get('up_to_kwh') is None else b['up_to_kwh']}: {_rate_text(b['rate'])}"
                for b in version.blocks or []
            ),
            "tou": "\n".join(f"{w['start']}-{w['end']}: {_rate_text(w['rate'])}" for w in version.tou or []),
            "fixed_per_purchase": money_text(version.fixed_per_purchase),
            "fixed_per_day": money_text(version.fixed_per_day),
            "tax_percent": bp_to_percent(version.tax_bp),
            "minimum_purchase": money_text(version.minimum_purchase),
        }

    def service_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.cleaned_data.get("kind"),
            "note": self.cleaned_data.get("note", ""),
        }
        if (self.cleaned_data.get("flat_rate") or "").strip():
            data["flat_rate"] = _rate_mc(self, "flat_rate", self.cleaned_data["flat_rate"])
        data["blocks"] = [
            {
                "up_to_kwh": None if left.strip() == "*" else _number(self, "blocks", left),
                "rate": _rate_mc(self, "blocks", right),
            }
            for left, right in _lines(self.cleaned_data.get("blocks", ""))
        ]
        windows = []
        for left, right in _lines(self.cleaned_data.get("tou", "")):
            start, _sep, end = left.partition("-")
            windows.append({"start": start.strip(), "end": end.strip(), "rate": _rate_mc(self, "tou", right)})
        data["tou"] = windows
        for field in ("fixed_per_purchase", "fixed_per_day", "minimum_purchase"):
            data[field] = cents_or_none(self, field) or 0
        data["tax_bp"] = percent_to_bp(self, "tax_percent") or 0
        return data


def _rate_text(millicents: int | None) -> str:
    """Millicents per kWh → cents per kWh as typed in the form: 25000 → "25", 23450 → "23.45"."""
    if millicents is None:
        return ""
    from decimal import Decimal

    return f"{Decimal(int(millicents)) / 1000:.3f}".rstrip("0").rstrip(".")


def _lines(text: str) -> list[tuple[str, str]]:
    """'50: 12.0' → ('50', '12.0'); the time windows' own colons stay on the left (rsplit)."""
    pairs = []
    for line in (text or "").splitlines():
        if line.strip():
            left, _sep, right = line.rpartition(":")
            pairs.append((left.strip(), right.strip()))
    return pairs


def _number(form: forms.Form, field: str, raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        form.add_error(field, f"“{raw}” is not a whole number of kWh.")
        return None


def _rate_mc(form: forms.Form, field: str, raw: str) -> int | None:
    """Cents per kWh typed by a person → millicents per kWh (the model's unit)."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(raw).strip()) * 1000
    except InvalidOperation:
        form.add_error(field, f"“{raw}” is not a rate in cents per kWh.")
        return None
    if value != value.to_integral_value() or value < 0:
        form.add_error(field, "Rates have at most three decimals of a cent and are not negative.")
        return None
    return int(value)


class MasterForm(forms.Form):
    name = _text("Name")
    tariff = forms.ChoiceField(label="Tariff", required=False, choices=())
    arrears_recovery_percent = _text("Arrears recovery (%)", inputmode="decimal")
    minimum_purchase = _money("Minimum purchase")
    maximum_purchase = _money("Maximum purchase")
    notes = _area("Notes")

    def __init__(self, *args: Any, tariffs: list[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["tariff"].choices = [("", "—")] + [(t.public_id, t.name) for t in tariffs]

    @classmethod
    def initial_for(cls, master: Any) -> dict[str, Any]:
        return {
            "name": master.name,
            "tariff": master.tariff.public_id if master.tariff_id else "",
            "arrears_recovery_percent": bp_to_percent(master.arrears_recovery_bp),
            "minimum_purchase": money_text(master.minimum_purchase),
            "maximum_purchase": money_text(master.maximum_purchase),
            "notes": master.notes,
        }

    def service_data(self) -> dict[str, Any]:
        return {
            "name": (self.cleaned_data.get("name") or "").strip(),
            "tariff": self.cleaned_data.get("tariff") or None,
            "arrears_recovery_bp": percent_to_bp(self, "arrears_recovery_percent") or 0,
            "minimum_purchase": cents_or_none(self, "minimum_purchase"),
            "maximum_purchase": cents_or_none(self, "maximum_purchase"),
            "notes": self.cleaned_data.get("notes") or "",
        }


SYNC_FIELD_LABELS = {
    "tariff": "Tariff",
    "arrears_recovery_bp": "Arrears recovery (%)",
    "minimum_purchase": "Minimum purchase",
    "maximum_purchase": "Maximum purchase",
}


class SyncForm(forms.Form):
    sync_fields = forms.MultipleChoiceField(
        label="Fields to synchronize",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(f, SYNC_FIELD_LABELS[f]) for f in MasterAccount.SYNC_FIELDS],
    )

    def clean_sync_fields(self) -> list[str]:
        chosen = self.cleaned_data.get("sync_fields") or []
        if not chosen:
            raise forms.ValidationError("Choose at least one field to synchronize.")
        return chosen


class AccountCreateForm(forms.Form):
    """Create an account: pick the customer, location, meter and tariff (created first on their screens,
    or typed here for a new customer)."""

    number = _text("Account number (empty: next free number)")
    customer = forms.ChoiceField(label="Customer", required=False, choices=())
    new_customer_name = _text("…or a new customer's name")
    new_customer_phone = _text("New customer's phone", input_type="tel")
    location = forms.ChoiceField(label="Location (Loc ID)", required=False, choices=())
    meter = forms.ChoiceField(label="Meter (serial)", required=False, choices=())
    tariff = forms.ChoiceField(label="Tariff", required=False, choices=())
    master = forms.ChoiceField(label="Master account", required=False, choices=())
    arrears_recovery_percent = _text("Arrears recovery (%)", inputmode="decimal")

    def __init__(self, *args: Any, choices: dict[str, list[tuple[str, str]]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, options in choices.items():
            self.fields[name].choices = [("", "—")] + options

    def service_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            name: self.cleaned_data.get(name) or None
            for name in ("customer", "location", "meter", "tariff", "master")
        }
        if (self.cleaned_data.get("number") or "").strip():
            data["number"] = self.cleaned_data["number"].strip()
        data["arrears_recovery_bp"] = percent_to_bp(self, "arrears_recovery_percent") or 0
        return data


class AccountSettingsForm(forms.Form):
    """Vending settings on the account (what a master can synchronise)."""

    tariff = forms.ChoiceField(label="Tariff", choices=())
    arrears_recovery_percent = _text("Arrears recovery (%)", inputmode="decimal")
    minimum_purchase = _money("Minimum purchase (empty: the tariff's)")
    maximum_purchase = _money("Maximum purchase (empty: no maximum)")

    def __init__(self, *args: Any, tariffs: list[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["tariff"].choices = [(t.public_id, t.name) for t in tariffs]

    @classmethod
    def initial_for(cls, account: Any) -> dict[str, Any]:
        return {
            "tariff": account.tariff.public_id,
            "arrears_recovery_percent": bp_to_percent(account.arrears_recovery_bp),
            "minimum_purchase": money_text(account.minimum_purchase),
            "maximum_purchase": money_text(account.maximum_purchase),
        }

    def service_data(self) -> dict[str, Any]:
        return {
            "tariff": self.cleaned_data.get("tariff"),
            "arrears_recovery_bp": percent_to_bp(self, "arrears_recovery_percent") or 0,
            "minimum_purchase": cents_or_none(self, "minimum_purchase"),
            "maximum_purchase": cents_or_none(self, "maximum_purchase"),
        }


class VendorLimitsForm(forms.Form):
    limit_per_sale = _money("Limit per sale (empty: none)")
    limit_per_day = _money("Limit per day (empty: none)")
    is_active = forms.BooleanField(label="Active", required=False)
