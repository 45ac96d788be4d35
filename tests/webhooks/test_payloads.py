"""Payload templates: JSON-escaped substitution, unknown variables and invalid JSON refused, no evaluation."""

from __future__ import annotations

import json

import pytest

from juiced.core.errors import ValidationFailed
from juiced.webhooks.payloads import (
    SAMPLE_LEAD_TYPES,
    customer_payload,
    placeholders,
    sample_lead,
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


@pytest.mark.parametrize("lead_type", [None, *SAMPLE_LEAD_TYPES])
def test_sample_leads_exist_for_every_sample_type(lead_type):
    lead = sample_lead(lead_type, currency="EUR")
    assert lead["public_id"].startswith("lead_") and lead["currency"] == "eur"
    assert lead["lead_type"]["key"] == (lead_type or "generic")
    assert isinstance(lead["price"], int)


def test_an_unknown_sample_type_falls_back_to_generic():
    assert sample_lead("no-such-type")["lead_type"]["key"] == "generic"
