"""Our renderer: whitelisted substitution only; Django template syntax and attribute tricks stay inert."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from juiced.notifications.catalog import DEFAULTS, SAMPLE, TYPE_NAMESPACES
from juiced.notifications.renderer import render, template_errors


def test_substitutes_known_variables_and_formats_cents():
    context = {"customer": {"name": "Acme"}, "payment": {"amount": 123456}}
    assert render("{{customer.name}} paid {{ payment.amount }}", context) == "Acme paid $1,234.56"
    assert render("{{ payment.amount }}", context, currency="EUR") == "€1,234.56"


def test_objects_are_read_by_whitelisted_names_only():
    lead = SimpleNamespace(full_name="John Doe", secret="s3cret")
    assert render("{{ lead.full_name }}", {"lead": lead}) == "John Doe"
    assert render("{{ lead.secret }}", {"lead": lead}) == "{{ lead.secret }}"


@pytest.mark.parametrize(
    "text",
    [
        "{{ customer.__class__ }}",
        "{{ customer.__class__.__mro__ }}",
        "{{ customer.name|upper }}",
        "{% load static %}{% static 'x' %}",
        "{{ settings.SECRET_KEY }}",
        "{# comment #}",
        "{{ lead.full_name.__globals__ }}",
    ],
)
def test_django_syntax_and_dunders_are_rejected_and_rendered_inert(text):
    assert template_errors(text, "lead_assigned")
    context = {"customer": object(), "lead": {"full_name": "x"}, "settings": object()}
    assert render(text, context) == text


def test_errors_name_every_unknown_variable_for_the_type():
    errors = template_errors("{{ tier.name }} {{ lead.nope }} {{ customer.name }}", "outbid")
    assert errors == ["Unknown variable(s): {{ tier.name }}, {{ lead.nope }}."]
    assert template_errors("{{ tier.name }}", "return_tier_updated") == []
    assert template_errors("{{ unclosed", "outbid") == ["A {{ is not closed with }}."]


@pytest.mark.parametrize("notification_type", sorted(DEFAULTS))
def test_every_shipped_default_is_valid_and_renders_fully(notification_type):
    default = DEFAULTS[notification_type]
    for text in (default.subject, default.email, default.sms):
        assert template_errors(text, notification_type) == []
        rendered = render(
            text,
            {k: v for k, v in SAMPLE.items() if k in (*TYPE_NAMESPACES[notification_type], "action_link")},
        )
        assert "{{" not in rendered
