"""Forms of the lead setup pages. They only shape input (dollars → cents, lists from text, indexed condition
rows → the conditions JSON); every rule lives in the services (setup.py), whose field-level messages are put
back next to the matching form field by `add_service_errors`."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from juiced.core.errors import DomainError
from juiced.core.money import AmountError, cents_to_decimal, parse_amount
from juiced.leads import matching
from juiced.leads.models import FieldType, LeadSettings, Scope, Source, SourcePricing

CHECK = {"required": False}
FLAGS = ("required_for_ping", "required_for_post", "deliverable")


def add_service_errors(form: forms.Form, exc: DomainError, *, rename: dict[str, str] | None = None) -> None:
    """Put a service's messages next to the fields ("county.minimum" → county_minimum), others on top."""
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for key, messages in exc.fields.items():
        name = (rename or {}).get(key, key.replace(".", "_"))
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


def _dollars(cents: int | None) -> str:
    return "" if cents is None else f"{cents_to_decimal(cents)}"


class CategoryForm(forms.Form):
    name = forms.CharField(label="Name", required=False)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class FieldForm(forms.Form):
    key = forms.CharField(
        label="Key", required=False, help_text="Lowercase, e.g. roof_age: the name sources send in the API."
    )
    label = forms.CharField(label="Label", required=False)
    field_type = forms.ChoiceField(label="Type", choices=FieldType.choices, required=False)
    options = forms.CharField(
        label="Options (select and multi-select)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line or separated by commas.",
    )
    required_for_ping = forms.BooleanField(label="Required for ping", **CHECK)
    required_for_post = forms.BooleanField(label="Required for post", **CHECK)
    deliverable = forms.BooleanField(label="Deliverable (sent to the buyer)", initial=True, **CHECK)

    def __init__(self, *args: Any, base: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.base = base
        if base:
            for name in ("key", "field_type", "options"):
                self.fields[name].disabled = True

    @classmethod
    def initial_for(cls, field: Any) -> dict[str, Any]:
        initial = {name: getattr(field, name) for name in ("key", "label", "field_type", *FLAGS)}
        initial["options"] = "\n".join(field.options or [])
        return initial

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.base:
            for name in ("key", "field_type", "options"):
                data.pop(name, None)
            return data
        options = data.pop("options", "")
        if data.get("field_type") in ("select", "multi_select"):
            data["options"] = (
                [part for part in re.split(r"[\n,]", options) if part.strip()] if options else []
            )
        return data


class LeadTypeForm(forms.Form):
    name = forms.CharField(label="Name", required=False)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_fallback = forms.BooleanField(
        label="Fallback type: takes every lead no other type matches (no conditions)", **CHECK
    )

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class LeadTypeCreateForm(LeadTypeForm):
    category = forms.ChoiceField(label="Lead category", choices=())

    field_order = ["category", "name", "description", "is_fallback"]

    def __init__(self, *args: Any, categories: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Choose…")] + [(c.public_id, c.name) for c in categories]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("category", None)
        return data


# --- the conditions builder: indexed inputs cond-<group>-<row>-field/op/value ------------------------------

_CONDITION_INPUT = re.compile(r"^cond-(\d+)-(\d+)-(field|op|value)$")


def conditions_from_post(post: Any) -> list[list[dict[str, Any]]]:
    """Groups of {field, op, value} from the builder's indexed inputs, in order (lists for in/not_in)."""
    rows: dict[tuple[int, int], dict[str, str]] = {}
    for name in post:
        found = _CONDITION_INPUT.match(name)
        if found:
            group, row, part = int(found[1]), int(found[2]), found[3]
            rows.setdefault((group, row), {})[part] = post.get(name, "").strip()
    groups: dict[int, list[dict[str, Any]]] = {}
    for (group, _row), parts in sorted(rows.items()):
        op = parts.get("op", "equals")
        condition: dict[str, Any] = {"field": parts.get("field", ""), "op": op}
        raw = parts.get("value", "")
        if op in matching.LIST_OPS:
            condition["value"] = [item.strip() for item in raw.split(",") if item.strip()]
        elif op not in matching.NO_VALUE_OPS:
            condition["value"] = raw
        groups.setdefault(group, []).append(condition)
    return [groups[g] for g in sorted(groups)]


def conditions_edit(groups: list[list[dict[str, Any]]], action: str) -> list[list[dict[str, Any]]]:
    """Apply a builder button: "add-group", "add-condition:<g>" or "remove:<g>:<c>" (0-based indexes)."""
    groups = [list(group) for group in groups]
    blank = {"field": "", "op": "equals", "value": ""}
    kind, _, rest = action.partition(":")
    if kind == "add-group":
        groups.append([dict(blank)])
    elif kind == "add-condition" and rest.isdigit() and int(rest) < len(groups):
        groups[int(rest)].append(dict(blank))
    elif kind == "remove":
        g, _, c = rest.partition(":")
        if g.isdigit() and c.isdigit() and int(g) < len(groups) and int(c) < len(groups[int(g)]):
            del groups[int(g)][int(c)]
            groups = [group for group in groups if group]
    return groups


def condition_rows(groups: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """The builder's rows for the template: each condition with its value as text."""
    return [
        [
            {
                **c,
                "text": ", ".join(map(str, c.get("value") or []))
                if isinstance(c.get("value"), list)
                else ("" if c.get("value") is None else str(c.get("value"))),
            }
            for c in group
        ]
        for group in groups
    ]


# --- bidding settings per scope (dollars in the form, cents in the service) -------------------------------


class PricingForm(forms.Form):
    def __init__(self, *args: Any, pricing: dict[str, Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for scope in Scope.values:
            row = pricing.get(scope)
            self.fields[f"{scope}_enabled"] = forms.BooleanField(
                label="Enabled", initial=bool(row and row.enabled), **CHECK
            )
            self.fields[f"{scope}_fixed_price"] = forms.BooleanField(
                label="Fixed price", initial=bool(row and row.fixed_price), **CHECK
            )
            for amount, default in (("minimum", 100), ("maximum", None), ("step", 100)):
                value = getattr(row, amount) if row else default
                self.fields[f"{scope}_{amount}"] = forms.CharField(
                    label=amount.title(),
                    required=False,
                    initial=_dollars(value),
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
                )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "scope": scope,
                "label": Scope(scope).label,
                **{
                    part: self[f"{scope}_{part}"]
                    for part in ("enabled", "fixed_price", "minimum", "maximum", "step")
                },
            }
            for scope in Scope.values
        ]

    def service_data(self) -> dict[str, Any] | None:
        """{scope: values in cents}, or None after putting amount errors on the form."""
        data: dict[str, Any] = {}
        for scope in Scope.values:
            fixed = self.cleaned_data[f"{scope}_fixed_price"]
            values: dict[str, Any] = {"enabled": self.cleaned_data[f"{scope}_enabled"], "fixed_price": fixed}
            for amount in ("minimum", "maximum", "step"):
                if fixed and amount != "minimum":
                    continue
                text = self.cleaned_data[f"{scope}_{amount}"].strip()
                if not text:
                    values[amount] = None
                    continue
                try:
                    values[amount] = parse_amount(text)
                except AmountError as exc:
                    self.add_error(f"{scope}_{amount}", str(exc))
            data[scope] = values
        return None if self.errors else data


# --- sources ------------------------------------------------------------------------------------------------


class SourceForm(forms.Form):
    name = forms.CharField(label="Name", required=False)
    kind = forms.ChoiceField(label="Type", choices=Source.Kind.choices, initial=Source.Kind.INTERNAL)
    default_category = forms.ChoiceField(label="Lead category", choices=(), required=False)
    payout_percent = forms.CharField(
        label="Payout %", required=False, initial="100", help_text="What vendors are reported: 0 to 100."
    )
    rate_limit_per_minute = forms.CharField(
        label="Rate limit per minute", required=False, help_text="Empty: the account default."
    )
    test_mode = forms.BooleanField(label="Test mode (vendor sources)", **CHECK)
    is_active = forms.BooleanField(label="Active", initial=True, **CHECK)

    def __init__(self, *args: Any, categories: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["default_category"].choices = [("", "Choose…")] + [
            (c.public_id, c.name) for c in categories
        ]

    @classmethod
    def initial_for(cls, source: Source) -> dict[str, Any]:
        return {
            "name": source.name,
            "kind": source.kind,
            "default_category": source.default_category.public_id if source.default_category_id else "",
            "payout_percent": f"{source.payout_percent}",
            "rate_limit_per_minute": source.rate_limit_per_minute or "",
            "test_mode": source.test_mode,
            "is_active": source.is_active,
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        limit = str(data.pop("rate_limit_per_minute") or "").strip()
        if not limit:
            data["rate_limit_per_minute"] = None
        else:
            data["rate_limit_per_minute"] = int(limit) if limit.isdigit() else limit
        return data


class SourcePricingForm(forms.Form):
    def __init__(self, *args: Any, rows: list[dict[str, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lead_types = [row["lead_type"] for row in rows]
        for row in rows:
            key, pricing = row["lead_type"].public_id, row["pricing"]
            self.fields[f"kind_{key}"] = forms.ChoiceField(
                label="Pricing type",
                choices=SourcePricing.Kind.choices,
                initial=pricing.kind if pricing else SourcePricing.Kind.FALLBACK,
            )
            self.fields[f"price_{key}"] = forms.CharField(
                label="Price",
                required=False,
                initial=_dollars(pricing.price) if pricing else "",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"lead_type": t, "kind": self[f"kind_{t.public_id}"], "price": self[f"price_{t.public_id}"]}
            for t in self.lead_types
        ]

    def service_data(self) -> dict[str, Any] | None:
        data: dict[str, Any] = {}
        for lead_type in self.lead_types:
            key = lead_type.public_id
            text = self.cleaned_data[f"price_{key}"].strip()
            if not text:
                data[key] = None
                continue
            try:
                data[key] = {"kind": self.cleaned_data[f"kind_{key}"], "price": parse_amount(text)}
            except AmountError as exc:
                self.add_error(f"price_{key}", str(exc))
        return None if self.errors else data

    def rename(self) -> dict[str, str]:
        """Service error keys → this form's field names."""
        names = {}
        for lead_type in self.lead_types:
            key = lead_type.public_id
            names |= {f"{key}.price": f"price_{key}", f"{key}.kind": f"kind_{key}", key: f"price_{key}"}
        return names


# --- duplicate rules ----------------------------------------------------------------------------------------


class DuplicateRuleForm(forms.Form):
    category = forms.ChoiceField(label="Lead category", choices=(), required=False)
    source = forms.ChoiceField(label="Source", choices=(), required=False)
    fields = forms.MultipleChoiceField(
        label="Fields that must all match", choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    lookback_days = forms.IntegerField(label="Look-back (days)", initial=30, required=False)
    apply_to_pings = forms.BooleanField(label="Apply to pings", **CHECK)
    ignore_punctuation = forms.BooleanField(label="Ignore punctuation", **CHECK)
    case_sensitive = forms.BooleanField(label="Case sensitive", **CHECK)
    is_active = forms.BooleanField(label="Active", initial=True, **CHECK)

    def __init__(
        self, *args: Any, categories: list[Any], sources: list[Any], field_keys: list[str], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Choose…")] + [(c.public_id, c.name) for c in categories]
        self.fields["source"].choices = [("", "Every source")] + [(s.public_id, s.name) for s in sources]
        self.fields["fields"].choices = [(key, key) for key in field_keys]

    @classmethod
    def initial_for(cls, rule: Any) -> dict[str, Any]:
        return {
            "category": rule.category.public_id,
            "source": rule.source.public_id if rule.source_id else "",
            "fields": list(rule.fields),
            **{
                name: getattr(rule, name)
                for name in (
                    "lookback_days",
                    "apply_to_pings",
                    "ignore_punctuation",
                    "case_sensitive",
                    "is_active",
                )
            },
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["source"] = data["source"] or None
        return data


# --- Leads & bidding settings -------------------------------------------------------------------------------


class LeadSettingsForm(forms.Form):
    ping_expiry_minutes = forms.IntegerField(
        label="Ping expiry (minutes)", help_text="Holds placed by a ping are released after this (1–1440)."
    )
    ping_max_offers = forms.IntegerField(
        label="Bids listed per ping",
        help_text="Internal sources' pings list (and hold) this many bids (1–50).",
    )
    default_rate_limit_per_minute = forms.IntegerField(
        label="Default rate limit per source (requests per minute)",
        help_text="1–100000; a source may override it.",
    )
    smart_pricing = forms.BooleanField(
        label="Smart pricing: the winner pays just enough to beat the runner-up", **CHECK
    )
    bid_lock = forms.BooleanField(label="Lock bids: buyers cannot change bids in the portal", **CHECK)
    bid_limits_enabled = forms.BooleanField(label="Bids may carry their own caps and budgets", **CHECK)

    @classmethod
    def initial_for(cls, row: LeadSettings) -> dict[str, Any]:
        return {name: getattr(row, name) for name in cls.base_fields}

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
