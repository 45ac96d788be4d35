"""Dashboard forms for the Return Settings and a return tier. They only shape input: every rule and message
lives in tiers.py / settings.py, whose field-level errors are shown next to the same-named fields."""

from __future__ import annotations

from typing import Any

from django import forms

from juiced.returns.icons import icon_choices
from juiced.returns.tiers import TIER_FIELDS


def _pct_widget() -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"})


class ReturnSettingsForm(forms.Form):
    returns_enabled = forms.BooleanField(label="Enable returns", required=False)
    tiers_enabled = forms.BooleanField(label="Enable dispute tiers", required=False)
    policy_url = forms.CharField(
        label="Lead Returns URL",
        required=False,
        help_text='The return policy buyers open from "View return policy" in the portal.',
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    return_window_days = forms.CharField(
        label="Return window (days)",
        help_text="How many days after the sale a buyer may ask for a return.",
        widget=forms.NumberInput(attrs={"min": 1, "max": 365}),
    )
    reasons = forms.CharField(
        label="Return reasons",
        help_text="One per line; buyers pick one when they ask for a return.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    rate_window_days = forms.CharField(
        label="Return rate over the last (days)",
        required=False,
        help_text="Leave empty to compute the return rate over all time.",
        widget=forms.NumberInput(attrs={"min": 1}),
    )

    @classmethod
    def initial_from(cls, values: dict[str, Any]) -> dict[str, Any]:
        return {
            **values,
            "reasons": "\n".join(values["reasons"]),
            "rate_window_days": values["rate_window_days"] or "",
        }

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class TierForm(forms.Form):
    # identity & copy
    name = forms.CharField(label="Name", required=False)
    headline = forms.CharField(label="Headline", required=False)
    brief_description = forms.CharField(
        label="Brief description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    long_description = forms.CharField(
        label="Long description",
        required=False,
        help_text="Bold, italic, underline, strike, paragraphs and lists are kept; anything else is removed.",
        widget=forms.Textarea(attrs={"rows": 5, "data-rich-text": "1"}),
    )
    # visual identity
    color = forms.CharField(label="Colour", required=False, widget=forms.TextInput(attrs={"type": "color"}))
    icon = forms.ChoiceField(label="Icon", required=False, choices=[("", "Choose an icon"), *icon_choices()])
    # behaviour: bracket
    applies_to_new_customers = forms.BooleanField(
        label="Apply to new customers",
        required=False,
        help_text="Customers charged less than $5,000 so far. Only one tier; it has no bounds.",
        widget=forms.CheckboxInput(attrs={"data-disables": "bounds"}),
    )
    lower_bound = forms.CharField(label="Lower bound (%)", required=False, widget=_pct_widget())
    upper_bound = forms.CharField(label="Upper bound (%)", required=False, widget=_pct_widget())
    # behaviour: rewards and penalties
    discount_enabled = forms.BooleanField(label="Add a discount", required=False)
    discount_percent = forms.CharField(label="Discount percentage", required=False, widget=_pct_widget())
    penalty_enabled = forms.BooleanField(label="Add a penalty", required=False)
    penalty_matches_return_rate = forms.BooleanField(label="Match return rate", required=False)
    penalty_percent = forms.CharField(label="Penalty percentage", required=False, widget=_pct_widget())

    GROUPS = (
        ("Identity & copy", ("name", "headline", "brief_description", "long_description")),
        ("Visual identity", ("color", "icon")),
        ("Behaviour – tier bracket", ("applies_to_new_customers", "lower_bound", "upper_bound")),
        (
            "Behaviour – rewards and penalties",
            (
                "discount_enabled",
                "discount_percent",
                "penalty_enabled",
                "penalty_matches_return_rate",
                "penalty_percent",
            ),
        ),
    )

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    @classmethod
    def initial_from(cls, values: dict[str, Any]) -> dict[str, Any]:
        return {k: ("" if v is None else v) for k, v in values.items()}

    def service_data(self) -> dict[str, Any]:
        return {field: self.cleaned_data.get(field) for field in TIER_FIELDS}
