"""Lead setup pages: render, create through forms, htmx partials, roles and tenant isolation."""

from __future__ import annotations

import pytest

from juiced.leads import setup
from juiced.leads.models import CategoryField, DuplicateRule, LeadCategory, LeadSettings, LeadType, Source

A = "/manage/acme-leads"


@pytest.fixture
def alice_web(login_client, alice):
    return login_client(alice)


@pytest.fixture
def market(tenant_a, alice):
    category = setup.category_create(tenant=tenant_a, actor=alice, data={"name": "Auto insurance"})
    setup.category_field_create(category=category, actor=alice, data={"key": "age", "field_type": "number"})
    lead_type = setup.lead_type_create(
        category=category, actor=alice,
        data={"name": "Seniors", "conditions": [[{"field": "age", "op": "gte", "value": "65"}]]},
    )  # fmt: skip
    fallback = setup.lead_type_create(category=category, actor=alice, data={"name": "Standard", "is_fallback": True})
    source, secret = setup.source_create(
        tenant=tenant_a, actor=alice, data={"name": "Web form", "default_category": category.public_id}
    )
    rule = setup.duplicate_rule_create(
        tenant=tenant_a, actor=alice, data={"category": category.public_id, "fields": ["email"]}
    )
    return {"category": category, "lead_type": lead_type, "fallback": fallback, "source": source,
            "secret": secret, "rule": rule}  # fmt: skip


def pages(market) -> list[str]:
    category, field = market["category"], market["category"].fields.get(key="age")
    return [
        f"{A}/setup/categories/",
        f"{A}/setup/categories/{category.public_id}/",
        f"{A}/setup/categories/{category.public_id}/fields/{field.public_id}/",
        f"{A}/setup/lead-types/",
        f"{A}/setup/lead-types/{market['lead_type'].public_id}/",
        f"{A}/setup/sources/",
        f"{A}/setup/sources/{market['source'].public_id}/",
        f"{A}/setup/sources/{market['source'].public_id}/pricing/",
        f"{A}/setup/duplicate-rules/",
        f"{A}/setup/duplicate-rules/{market['rule'].public_id}/",
        f"{A}/settings/leads/",
    ]


def test_every_setup_page_renders_for_the_admin(alice_web, market):
    for url in pages(market):
        response = alice_web.get(url)
        assert response.status_code == 200, url
