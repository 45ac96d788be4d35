"""Payload templates: JSON-escaped substitution, unknown variables and invalid JSON refused, no evaluation."""

from __future__ import annotations

import json

import pytest

from juiced.core.errors import ValidationFailed
from juiced.leads.fields import FieldSpec, normalize_value
from juiced.leads.models import FieldType
from juiced.webhooks.payloads import (
    SampleLeadType,
    customer_payload,
    placeholders,
    sample_lead,
    sample_value,
    template_check,
    template_render,
)

VALUES = {
    "event": "lead.assigned",
    "lead": {"first_name": "Ann", "price": 2500, "missing": None, "details": {"homeowner": True}},
    "customer": {"name": 'Acme "Best" Insurance\nLLC'},
}


def test_a_bare_placeholder_becomes_the_json_value():
    body = template_render(
        '{"price": {{ lead.price }}, "name": {{lead.first_name}}, "none": {{ lead.missing }}, '
        '"details": {{ lead.details }}}',
        VALUES,
    )
    assert json.loads(body) == {"price": 2500, "name": "Ann", "none": None, "details": {"homeowner": True}}


def test_a_placeholder_inside_a_string_is_escaped_text():
    body = template_render('{"who": "{{ customer.name }} ({{ lead.price }})"}', VALUES)
    assert json.loads(body) == {"who": 'Acme "Best" Insurance\nLLC (2500)'}


def test_a_value_cannot_break_out_of_its_string():
    hostile = {"lead": {"first_name": '", "admin": true, "x": "'}}
    body = template_render('{"name": "{{ lead.first_name }}", "bare": {{ lead.first_name }}}', hostile)
    assert json.loads(body) == {"name": hostile["lead"]["first_name"], "bare": hostile["lead"]["first_name"]}


def test_placeholders_know_whether_they_sit_in_a_string():
    found = placeholders('{"a": "x \\" {{ a }}", "b": {{ b }}}')
    assert [(p.path, p.in_string) for p in found] == [("a", True), ("b", False)]


def test_unknown_variables_are_refused_with_their_names():
    with pytest.raises(ValidationFailed) as caught:
        template_check(
            '{"a": {{ lead.first_name }}, "b": {{ lead.shoe_size }}, "c": {{ secret }}}', sample=VALUES
        )
    assert caught.value.fields["payload_template"] == ["Unknown variables: lead.shoe_size, secret."]


def test_custom_lead_fields_are_open_and_null_when_absent():
    template_check('{"x": {{ lead.details.anything_custom }}}', sample=VALUES)
    assert template_render('{"x": {{ lead.details.nothing }}}', VALUES) == '{"x": null}'


def test_a_template_that_is_not_json_is_refused_with_where():
    with pytest.raises(ValidationFailed) as caught:
        template_check('{"name": {{ lead.first_name }},}', sample=VALUES)
    assert "not valid JSON" in caught.value.fields["payload_template"][0]
    assert "line 1" in caught.value.fields["payload_template"][0]


@pytest.mark.parametrize(
    "template",
    [
        '{"x": "{{ lead.first_name|upper }}"}',
        '{"x": "{% load static %}"}',
        '{"x": "{{ lead.first_name.__class__ }}"}'.replace(".__class__", "()"),
        '{"x": "{{ 7*7 }}"}',
    ],
)
def test_filters_tags_and_expressions_are_refused_never_evaluated(template):
    with pytest.raises(ValidationFailed, match="not a variable"):
        template_check(template, sample=VALUES)


def test_django_template_syntax_in_a_value_is_sent_as_plain_text():
    body = template_render(
        '{"x": {{ lead.first_name }}}', {"lead": {"first_name": "{{ settings.SECRET_KEY }}"}}
    )
    assert json.loads(body) == {"x": "{{ settings.SECRET_KEY }}"}


def test_an_empty_template_sends_the_default_payload():
    body = json.loads(
        customer_payload(
            "",
            {
                "event": "lead.assigned",
                "event_id": "evt_1",
                "customer": {"public_id": "cus_1"},
                "lead": {"first_name": "Ann"},
            },
        )
    )
    assert body == {
        "event": "lead.assigned",
        "event_id": "evt_1",
        "customer_public_id": "cus_1",
        "lead": {"first_name": "Ann"},
    }


def test_the_generic_sample_lead_has_the_base_fields_only():
    lead = sample_lead(None, currency="EUR")
    assert lead["public_id"].startswith("lead_") and lead["currency"] == "eur"
    assert lead["lead_type"] == {"key": "generic_lead", "name": "Generic lead"}
    assert isinstance(lead["price"], int) and lead["details"] == {}
    assert lead["first_name"] == "Jane" and lead["zip"] == "62701"


def test_a_sample_lead_carries_its_types_name_and_a_value_per_custom_field_type():
    fields = (
        FieldSpec("first_name", "First name"),  # a base field stays out of details
        FieldSpec("vehicle_year", "Vehicle year", "number"),
        FieldSpec("insured", "Currently insured", "boolean"),
        FieldSpec("premium", "Premium", "currency"),
        FieldSpec("since", "Insured since", "date"),
        FieldSpec("make", "Make", "select", ("Toyota", "Ford")),
        FieldSpec("drivers", "Drivers", "multi_select", ("Spouse", "Teen", "Self")),
        FieldSpec("color", "Color"),
        FieldSpec("dealer", "Dealer", "url"),
    )
    lead = sample_lead(SampleLeadType("Auto insurance", fields))
    assert lead["lead_type"] == {"key": "auto_insurance", "name": "Auto insurance"}
    assert lead["details"] == {
        "vehicle_year": 3,
        "insured": True,
        "premium": "1500.00",
        "since": "2026-01-15",
        "make": "Toyota",
        "drivers": ["Spouse", "Teen"],
        "color": "Sample Color",
        "dealer": "https://example.com",
    }


def test_every_field_types_sample_value_passes_lead_validation():
    """A sample lead is shaped like a real one: each sample value is what ingestion would accept and store."""
    for field_type in FieldType.values:
        spec = FieldSpec("custom", "Custom", field_type, ("One", "Two"))
        value = sample_value(spec)
        assert normalize_value(spec, value) == (value, None), field_type
