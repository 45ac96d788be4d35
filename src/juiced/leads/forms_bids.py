"""Forms for bids (dashboard tab and portal) and the filters of the leads and submissions pages.

Amounts are typed in dollars ("25" or "25.50") and handed to the services in cents; the services own
every rule, the forms only parse.
"""

from __future__ import annotations

from typing import Any

from django import forms

from juiced.core.money import AmountError, cents_to_decimal, parse_amount
from juiced.leads import geo
from juiced.leads.bids import LIMIT_FIELDS, LIMIT_LABELS
from juiced.leads.models import LeadStatus, Scope, Submission

STATE_CHOICES = [("", "Choose a state")] + [
    (code, f"{name} ({code})") for code, name in geo.STATE_NAMES.items()
]


def _money_input(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", **attrs})


class MoneyField(forms.CharField):
    """Dollars as typed → cents (None when empty)."""

    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_amount(text)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from None


class LimitsMixin(forms.Form):
    def add_limit_fields(self, *, enabled: bool) -> None:
        if not enabled:
            return
        for field in LIMIT_FIELDS:
            if field.endswith("cap"):
                self.fields[field] = forms.IntegerField(
                    label=LIMIT_LABELS[field], required=False, min_value=1
                )
            else:
                self.fields[field] = MoneyField(
                    label=LIMIT_LABELS[field], required=False, widget=_money_input()
                )

    def limit_data(self) -> dict[str, Any]:
        return {f: self.cleaned_data.get(f) for f in LIMIT_FIELDS if f in self.fields}

    @staticmethod
    def limit_initial(bid: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for field in LIMIT_FIELDS:
            value = getattr(bid, field)
            initial[field] = (
                cents_to_decimal(value) if value is not None and field.endswith("budget") else value
            )
        return initial


class BidCreateForm(LimitsMixin):
    lead_type = forms.ChoiceField(label="Lead type")
    scope = forms.ChoiceField(label="Scope", choices=[("", "Choose a scope")] + list(Scope.choices))
    state = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
    county = forms.CharField(
        label="County", required=False, widget=forms.Select(choices=[("", "Choose a county")])
    )
    amount = MoneyField(label="Amount", widget=_money_input(placeholder="25.00"))

    def __init__(self, *args: Any, lead_types: list, limits_enabled: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["lead_type"].choices = [("", "Choose a lead type")] + [
            (lt.public_id, f"{lt.category.name} · {lt.name}") for lt, _pricing in lead_types
        ]
        state = self.data.get("state") or self.initial.get("state") or ""
        counties = geo.counties_by_state().get(geo.normalize_state(state), [])
        self.fields["county"].widget.choices = [("", "Choose a county")] + [(c, c) for c in counties]
        self.add_limit_fields(enabled=limits_enabled)

    def service_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data.get(k) for k in ("lead_type", "scope", "state", "county", "amount")}
        return data | {k: v for k, v in self.limit_data().items() if v is not None}


class BidEditForm(LimitsMixin):
    amount = MoneyField(label="Amount", widget=_money_input())

    def __init__(self, *args: Any, limits_enabled: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.add_limit_fields(enabled=limits_enabled)

    @classmethod
    def initial_for(cls, bid: Any) -> dict[str, Any]:
        return {"amount": cents_to_decimal(bid.amount), **cls.limit_initial(bid)}

    def service_data(self) -> dict[str, Any]:
        return {"amount": self.cleaned_data.get("amount"), **self.limit_data()}


class PreviewForm(forms.Form):
    """The buyer's "what would I pay" question: a lead type, a location and an amount."""

    lead_type = forms.ChoiceField(label="Lead type")
    scope = forms.ChoiceField(label="Scope", choices=list(Scope.choices), initial=Scope.NATIONWIDE)
    state = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
    county = forms.CharField(label="County", required=False)
    amount = MoneyField(label="Your bid", widget=_money_input(placeholder="25.00"))

    def __init__(self, *args: Any, lead_types: list, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["lead_type"].choices = [(lt.public_id, lt.name) for lt, _pricing in lead_types]


class LeadFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status")] + list(LeadStatus.choices)
    )
    lead_type = forms.ChoiceField(label="Lead type", required=False)
    source = forms.ChoiceField(label="Source", required=False)
    customer = forms.CharField(label="Customer id", required=False)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    min_price = MoneyField(label="Min price", required=False, widget=_money_input())
    max_price = MoneyField(label="Max price", required=False, widget=_money_input())
    test = forms.BooleanField(label="Include test leads", required=False)

    def __init__(
        self, *args: Any, lead_types: list = (), sources: list = (), keep: tuple = (), **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["lead_type"].choices = [("", "Any lead type")] + [
            (lt.public_id, lt.name) for lt in lead_types
        ]
        self.fields["source"].choices = [("", "Any source")] + [(s.public_id, s.name) for s in sources]
        for name in list(self.fields):
            if keep and name not in keep:
                del self.fields[name]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class SubmissionFilterForm(forms.Form):
    source = forms.ChoiceField(label="Source", required=False)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind")] + list(Submission.Kind.choices)
    )
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any outcome")] + list(Submission.Outcome.choices)
    )
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, sources: list = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "Any source")] + [(s.public_id, s.name) for s in sources]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
