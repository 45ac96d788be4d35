"""Dashboard and portal forms. They carry what the person typed; the services decide what is valid.

Fields are mostly optional text so a service's `ValidationFailed.fields` (shown with
`access.add_domain_errors`) is the single source of the rules; forms only parse what a browser sends
(dollars typed as text, dates, checkboxes).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from juiced.core.money import AmountError, cents_to_decimal, parse_amount
from juiced.customers.selectors import ARCHIVED_FILTERS, FUNDING_FILTERS, OPERATIONAL_FILTERS, SORTS
from juiced.customers.services import BUDGET_FIELDS, CAP_FIELDS, EDITABLE_FIELDS, TEXT_FIELDS, TOGGLE_FIELDS
from juiced.tenants.roles import CustomerRole
from juiced.wallets.models import TransactionEvent


def _text(label: str, *, input_type: str = "text", **attrs: Any) -> forms.CharField:
    widget = forms.TextInput(attrs={"type": input_type, **attrs})
    return forms.CharField(label=label, required=False, widget=widget)


class CustomerForm(forms.Form):
    """Create or edit a customer. Budgets are typed in dollars ("250.00"); caps are lead counts."""

    name = _text("Business name", autocomplete="organization")
    email = _text("E-mail", input_type="email", autocomplete="email")
    phone = _text("Phone", input_type="tel", autocomplete="tel")
    address1 = _text("Address line 1")
    address2 = _text("Address line 2")
    city = _text("City")
    state = _text("State")
    zip_code = _text("ZIP code")
    daily_cap = _text("Daily cap (leads)", inputmode="numeric", placeholder="Unlimited")
    weekly_cap = _text("Weekly cap (leads)", inputmode="numeric", placeholder="Unlimited")
    monthly_cap = _text("Monthly cap (leads)", inputmode="numeric", placeholder="Unlimited")
    daily_budget = _text("Daily budget ($)", inputmode="decimal", placeholder="Unlimited")
    weekly_budget = _text("Weekly budget ($)", inputmode="decimal", placeholder="Unlimited")
    monthly_budget = _text("Monthly budget ($)", inputmode="decimal", placeholder="Unlimited")
    is_onboarded = forms.BooleanField(label="Onboarded", required=False)
    can_access_bidding = forms.BooleanField(label="Can access bidding", required=False, initial=True)
    return_tiers_disabled = forms.BooleanField(
        label="Disable return tiers (ignore dispute tiers)", required=False
    )

    contact_fields = ("name", "email", "phone")
    address_fields = ("address1", "address2", "city", "state", "zip_code")
    limit_fields = (*CAP_FIELDS, *BUDGET_FIELDS)

    @classmethod
    def initial_for(cls, customer: Any) -> dict[str, Any]:
        """The form's starting values for an existing customer (budgets shown in dollars)."""
        initial: dict[str, Any] = {
            field: getattr(customer, field) for field in (*TEXT_FIELDS, *TOGGLE_FIELDS)
        }
        for field in CAP_FIELDS:
            initial[field] = getattr(customer, field) or ""
        for field in BUDGET_FIELDS:
            cents = getattr(customer, field)
            initial[field] = f"{cents_to_decimal(cents)}" if cents else ""
        return initial

    def service_data(self) -> dict[str, Any]:
        """What the customer services take: text as typed, budgets as text for `parse_amount`."""
        return {field: self.cleaned_data[field] for field in EDITABLE_FIELDS}

    def bound_group(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def contact_group(self) -> list[forms.BoundField]:
        return self.bound_group(self.contact_fields)

    def address_group(self) -> list[forms.BoundField]:
        return self.bound_group(self.address_fields)

    def limit_group(self) -> list[forms.BoundField]:
        return self.bound_group(self.limit_fields)

    def toggle_group(self) -> list[forms.BoundField]:
        return self.bound_group(TOGGLE_FIELDS)


class CustomerRegistrationForm(forms.Form):
    """A business signing itself up in the portal: the business, then the person and their password."""

    name = _text("Business name", autocomplete="organization")
    email = _text("Business e-mail", input_type="email", autocomplete="email")
    phone = _text("Phone (optional)", input_type="tel", autocomplete="tel")
    address1 = _text("Address line 1 (optional)", autocomplete="address-line1")
    address2 = _text("Address line 2 (optional)", autocomplete="address-line2")
    city = _text("City", autocomplete="address-level2")
    state = _text("State", autocomplete="address-level1")
    zip_code = _text("ZIP code", autocomplete="postal-code")
    person_name = _text("Your name", autocomplete="name")
    person_email = _text("Your e-mail (you log in with it)", input_type="email", autocomplete="username")
    password = forms.CharField(
        label="Password (yours, if you already have an account)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    business_fields = ("name", "email", "phone")
    address_fields = ("address1", "address2", "city", "state", "zip_code")
    person_fields = ("person_name", "person_email", "password")

    def business_group(self) -> list[forms.BoundField]:
        return [self[name] for name in self.business_fields]

    def address_group(self) -> list[forms.BoundField]:
        return [self[name] for name in self.address_fields]

    def person_group(self) -> list[forms.BoundField]:
        return [self[name] for name in self.person_fields]

    def service_data(self) -> dict[str, Any]:
        """Keyword arguments of `customer_register` (besides the tenant)."""
        data = self.cleaned_data
        return {
            "business": {field: data[field] for field in (*self.business_fields, *self.address_fields)},
            "person_name": data["person_name"],
            "person_email": data["person_email"],
            "password": data["password"],
        }


class OnboardingVideoForm(forms.Form):
    """One onboarding video: title, address and position (lower first; empty puts a new one last)."""

    title = _text("Title")
    url = _text("Video address", input_type="url", placeholder="https://")
    position = _text("Order", inputmode="numeric", placeholder="Last")


class SignupSettingsForm(forms.Form):
    allow_self_registration = forms.BooleanField(
        label="Let businesses register themselves in the portal", required=False
    )


def new_idempotency_key() -> str:
    return f"web-{uuid.uuid4().hex}"


class FundsForm(forms.Form):
    """Add or remove funds: amount in dollars; the hidden key makes a double submit move money once."""

    amount = _text("Amount ($)", inputmode="decimal", placeholder="100.00")
    description = _text("Description (the customer sees it)")
    receipt_url = _text("Receipt URL (optional)", input_type="url", placeholder="https://")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, with_receipt: bool = True, **kwargs: Any):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", new_idempotency_key())
        super().__init__(*args, **kwargs)
        if not with_receipt:
            del self.fields["receipt_url"]

    def clean_amount(self) -> int | None:
        raw = self.cleaned_data.get("amount", "")
        try:
            return parse_amount(raw)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from None


class CustomerInviteForm(forms.Form):
    email = _text("E-mail", input_type="email", autocomplete="off")
    role = forms.ChoiceField(choices=CustomerRole.choices, initial=CustomerRole.CUSTOMER_USER)


def _choices(values: tuple[str, ...], labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    labels = labels or {}
    return [(value, labels.get(value, value.title())) for value in values]


class CustomerFilterForm(forms.Form):
    """The customer list's search, filters and sort, read from the query string."""

    q = forms.CharField(required=False, label="Search")
    operational = forms.ChoiceField(
        required=False, label="Operational", choices=[("", "Any")] + _choices(OPERATIONAL_FILTERS)
    )
    funding = forms.ChoiceField(
        required=False, label="Funding", choices=[("", "Any")] + _choices(FUNDING_FILTERS)
    )
    archived = forms.ChoiceField(
        required=False,
        label="Archived",
        choices=_choices(
            ARCHIVED_FILTERS,
            {"exclude": "Hide archived", "include": "Show archived", "only": "Only archived"},
        ),
    )
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS], widget=forms.HiddenInput)

    def selection(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": data.get("q", ""),
            "operational": data.get("operational", ""),
            "funding": data.get("funding", ""),
            "archived": data.get("archived") or "exclude",
            "sort": data.get("sort") or "name",
        }


class TransactionFilterForm(forms.Form):
    """Transaction list filters: event, search (id or description) and an inclusive date range."""

    event = forms.ChoiceField(required=False, choices=[("", "All events")] + list(TransactionEvent.choices))
    q = forms.CharField(required=False, label="Search")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def selection(self) -> dict[str, Any]:
        """Keyword arguments for `transaction_list`; the "To" day is included."""
        data = self.cleaned_data if self.is_valid() else {}
        zone = timezone.get_current_timezone()
        since = data.get("since")
        until = data.get("until")
        return {
            "events": [data["event"]] if data.get("event") else None,
            "search": data.get("q", ""),
            "since": datetime.combine(since, time.min, tzinfo=zone) if since else None,
            "until": datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None,
        }
