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
        category=category,
        actor=alice,
        data={"name": "Seniors", "conditions": [[{"field": "age", "op": "gte", "value": "65"}]]},
    )
    fallback = setup.lead_type_create(
        category=category, actor=alice, data={"name": "Standard", "is_fallback": True}
    )
    source, secret = setup.source_create(
        tenant=tenant_a, actor=alice, data={"name": "Web form", "default_category": category.public_id}
    )
    rule = setup.duplicate_rule_create(
        tenant=tenant_a, actor=alice, data={"category": category.public_id, "fields": ["email"]}
    )
    return {
        "category": category,
        "lead_type": lead_type,
        "fallback": fallback,
        "source": source,
        "secret": secret,
        "rule": rule,
    }


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


def post_pages(market) -> list[str]:
    """Every POST-only endpoint (actions, partials) for the role and tenant checks."""
    category, field = market["category"], market["category"].fields.get(key="age")
    cat = f"{A}/setup/categories/{category.public_id}/"
    lead_type = f"{A}/setup/lead-types/{market['lead_type'].public_id}/"
    source = f"{A}/setup/sources/{market['source'].public_id}/"
    token, _raw = setup.source_token_create(source=market["source"], actor=None)
    return [
        cat + "archive/",
        cat + "restore/",
        cat + "fields/",
        cat + "conditions/",
        cat + f"fields/{field.public_id}/move-up/",
        cat + f"fields/{field.public_id}/delete/",
        cat + f"fields/{field.public_id}/toggle/deliverable/",
        lead_type + "pricing/",
        lead_type + "test/",
        lead_type + "archive/",
        lead_type + "move-down/",
        source + "rotate-secret/",
        source + "token-create/",
        source + "token-rotate/",
        source + "pause/",
        source + "delete/",
        source + f"tokens/{token.public_id}/revoke/",
        source + "pricing/copy/",
        f"{A}/setup/duplicate-rules/{market['rule'].public_id}/delete/",
    ]


@pytest.mark.parametrize("role", ["customer_support", "sales", "data_validation"])
def test_other_roles_get_403_on_every_setup_page(login_client, make_staff, market, role):
    client = login_client(make_staff(role))
    for url in pages(market):
        if url.endswith("/settings/leads/"):
            continue  # settings.manage: checked below
        assert client.get(url).status_code == 403, url
    for url in post_pages(market):
        assert client.post(url).status_code == 403, url
    assert client.get(f"{A}/settings/leads/").status_code == 403
    assert Source.objects.get(pk=market["source"].pk).deleted_at is None


def test_bob_gets_404_for_tenant_a_records(login_client, bob, market):
    client = login_client(bob)
    lists = (
        "/setup/categories/",
        "/setup/lead-types/",
        "/setup/sources/",
        "/setup/duplicate-rules/",
        "/settings/leads/",
    )
    for url in pages(market):
        path = url.replace(A, "/manage/bolt-leads")
        if path.endswith(lists):
            response = client.get(path)
            assert response.status_code == 200 and market["category"].name not in response.content.decode()
            continue
        assert client.get(path).status_code == 404, path
    for url in post_pages(market):
        path = url.replace(A, "/manage/bolt-leads")
        assert client.post(path).status_code == 404, path
    assert client.get(f"{A}/setup/categories/").status_code == 404  # bob is not on tenant A's staff
    assert LeadCategory.objects.get(pk=market["category"].pk).archived_at is None
    assert Source.objects.get(pk=market["source"].pk).deleted_at is None


# --- forms and partials ---------------------------------------------------------------------------------


def test_create_a_category_and_add_a_select_field(alice_web, tenant_a):
    response = alice_web.post(f"{A}/setup/categories/", {"name": "Solar", "description": "Roofs"})
    category = LeadCategory.objects.get(tenant=tenant_a, name="Solar")
    assert response.status_code == 302 and response["Location"].endswith(f"/categories/{category.public_id}/")
    page = alice_web.get(response["Location"]).content.decode()
    assert "first_name" in page and "county" in page
    url = f"{A}/setup/categories/{category.public_id}/fields/"
    refused = alice_web.post(
        url, {"field-key": "roof_type", "field-field_type": "select", "field-options": ""}
    )
    assert refused.status_code == 422
    assert "Give at least one option for a select field." in refused.content.decode()
    added = alice_web.post(
        url,
        {
            "field-key": "roof_type",
            "field-field_type": "select",
            "field-options": "Shingle\nMetal, Tile",
            "field-deliverable": "on",
        },
    )
    assert added.status_code == 302
    field = CategoryField.objects.get(category=category, key="roof_type")
    assert field.options == ["Shingle", "Metal", "Tile"] and field.deliverable and not field.is_base


def test_category_name_error_is_shown_next_to_the_field(alice_web, market):
    response = alice_web.post(f"{A}/setup/categories/", {"name": "auto insurance"})
    assert response.status_code == 422
    assert "A lead category named auto insurance already exists." in response.content.decode()


def test_field_flag_toggle_answers_htmx_with_the_row(alice_web, market):
    category, age = market["category"], market["category"].fields.get(key="age")
    url = f"{A}/setup/categories/{category.public_id}/fields/{age.public_id}/toggle/required_for_post/"
    response = alice_web.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content.decode().lstrip().startswith(
        f'<tr id="field-{age.public_id}"'
    )
    age.refresh_from_db()
    assert age.required_for_post
    zip_field = category.fields.get(key="zip")
    url = f"{A}/setup/categories/{category.public_id}/fields/{zip_field.public_id}/toggle/required_for_ping/"
    refused = alice_web.post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "ZIP is always required" in refused.content.decode()
    zip_field.refresh_from_db()
    assert zip_field.required_for_ping
    assert (
        alice_web.post(url.replace("required_for_ping", "is_base"), HTTP_HX_REQUEST="true").status_code == 404
    )


def test_base_field_edit_page_locks_key_and_type(alice_web, market):
    category = market["category"]
    email = category.fields.get(key="email")
    url = f"{A}/setup/categories/{category.public_id}/fields/{email.public_id}/"
    page = alice_web.get(url).content.decode()
    assert 'name="key"' in page and "disabled" in page
    response = alice_web.post(
        url,
        {
            "key": "mail",
            "field_type": "text",
            "label": "Email address",
            "required_for_ping": "on",
            "deliverable": "on",
        },
    )
    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.key, email.field_type, email.label, email.required_for_ping) == (
        "email",
        "email",
        "Email address",
        True,
    )


def test_create_a_lead_type_then_build_its_conditions(alice_web, market):
    category = market["category"]
    response = alice_web.post(
        f"{A}/setup/lead-types/", {"category": category.public_id, "name": "Young drivers"}
    )
    created = LeadType.objects.get(category=category, name="Young drivers")
    assert response.status_code == 302 and response["Location"].endswith(f"/lead-types/{created.public_id}/")
    url = response["Location"]
    saved = alice_web.post(
        url,
        {
            "name": "Young drivers",
            "cond-0-0-field": "age",
            "cond-0-0-op": "lt",
            "cond-0-0-value": "25",
            "cond-0-1-field": "state",
            "cond-0-1-op": "in",
            "cond-0-1-value": "CA, NV",
            "cond-1-0-field": "email",
            "cond-1-0-op": "is_set",
            "cond-1-0-value": "",
        },
    )
    assert saved.status_code == 302
    created.refresh_from_db()
    assert created.conditions == [
        [{"field": "age", "op": "lt", "value": "25"}, {"field": "state", "op": "in", "value": ["CA", "NV"]}],
        [{"field": "email", "op": "is_set"}],
    ]
    refused = alice_web.post(
        url,
        {"name": "Young drivers", "cond-0-0-field": "shoe", "cond-0-0-op": "equals", "cond-0-0-value": "x"},
    )
    assert refused.status_code == 422
    assert "Group 1, condition 1: choose a field of this category." in refused.content.decode()


def test_conditions_builder_htmx_partial_adds_and_removes_rows(alice_web, market):
    category = market["category"]
    url = f"{A}/setup/categories/{category.public_id}/conditions/"
    row = {"cond-0-0-field": "age", "cond-0-0-op": "gte", "cond-0-0-value": "65"}
    added = alice_web.post(url, {**row, "builder": "add-group"}, HTTP_HX_REQUEST="true").content.decode()
    assert added.lstrip().startswith('<div id="conditions"') and "<html" not in added
    assert 'name="cond-1-0-field"' in added and 'value="65"' in added
    more = alice_web.post(url, {**row, "builder": "add-condition:0"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="cond-0-1-field"' in more
    removed = alice_web.post(url, {**row, "builder": "remove:0:0"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="cond-0-0-field"' not in removed and "No conditions" in removed


def test_builder_buttons_work_without_javascript(alice_web, market):
    lead_type = market["lead_type"]
    url = f"{A}/setup/lead-types/{lead_type.public_id}/"
    response = alice_web.post(
        url,
        {
            "name": "Seniors",
            "cond-0-0-field": "age",
            "cond-0-0-op": "gte",
            "cond-0-0-value": "65",
            "builder": "add-group",
        },
    )
    assert response.status_code == 200 and 'name="cond-1-0-field"' in response.content.decode()
    lead_type.refresh_from_db()
    assert len(lead_type.conditions) == 1  # a builder button saves nothing


def test_bidding_settings_in_dollars_become_cents(alice_web, market):
    lead_type = market["fallback"]
    url = f"{A}/setup/lead-types/{lead_type.public_id}/pricing/"
    form = {
        "state_enabled": "on",
        "state_minimum": "5",
        "state_maximum": "25.00",
        "state_step": "2.50",
        "county_enabled": "on",
        "county_fixed_price": "on",
        "county_minimum": "12",
        "nationwide_minimum": "1",
        "nationwide_maximum": "10",
        "nationwide_step": "1",
    }
    assert alice_web.post(url, form).status_code == 302
    rows = {row.scope: row for row in lead_type.pricing.all()}
    assert (rows["state"].minimum, rows["state"].maximum, rows["state"].step) == (500, 2500, 250)
    assert rows["county"].fixed_price and rows["county"].minimum == 1200 and rows["county"].maximum is None
    refused = alice_web.post(url, {**form, "state_maximum": "26"})
    assert refused.status_code == 422
    assert (
        "The maximum must be the minimum plus whole steps: try 2500 or 2750 cents."
        in refused.content.decode()
    )
    bad_amount = alice_web.post(url, {**form, "state_step": "2.505"})
    assert bad_amount.status_code == 422 and "Use at most two decimal places." in bad_amount.content.decode()


def test_test_box_says_which_type_matches(alice_web, market):
    url = f"{A}/setup/lead-types/{market['lead_type'].public_id}/test/"
    senior = alice_web.post(url, {"sample-age": "70"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>Seniors</strong>" in senior and "<html" not in senior
    other = alice_web.post(url, {"sample-age": "30"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>Standard</strong>" in other and "fallback" in other
    setup.lead_type_archive(lead_type=market["fallback"], actor=None)
    none = alice_web.post(url, {"sample-age": "30"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Uncategorized" in none


def test_source_secret_is_shown_once_on_the_next_page(alice_web, market, tenant_a):
    response = alice_web.post(
        f"{A}/setup/sources/",
        {
            "name": "Vendor feed",
            "kind": "vendor",
            "default_category": market["category"].public_id,
            "payout_percent": "50",
            "test_mode": "on",
            "is_active": "on",
        },
    )
    source = Source.objects.get(tenant=tenant_a, name="Vendor feed")
    assert response.status_code == 302 and source.test_mode and source.kind == "vendor"
    first = alice_web.get(response["Location"]).content.decode()
    assert 'data-testid="source-secret"' in first
    secret = first.split('data-testid="source-secret">')[1].split("<")[0]
    assert setup.credential_hash(secret) == source.api_secret_hash
    second = alice_web.get(response["Location"]).content.decode()
    assert (
        secret not in second and source.api_key in second
    )  # the key stays in the API spec, the secret never
    assert "YOUR_API_SECRET" in second and "/api/ping" in second and "/api/leads" in second


def test_internal_source_refuses_test_mode_with_a_field_error(alice_web, market):
    response = alice_web.post(
        f"{A}/setup/sources/",
        {
            "name": "Form",
            "kind": "internal",
            "default_category": market["category"].public_id,
            "payout_percent": "100",
            "test_mode": "on",
        },
    )
    assert (
        response.status_code == 422 and "Test mode is for vendor sources only." in response.content.decode()
    )


def test_source_actions_rotate_tokens_pause_and_delete(alice_web, market, tenant_a):
    source = market["source"]
    url = f"{A}/setup/sources/{source.public_id}/"
    alice_web.post(url + "rotate-secret/")
    page = alice_web.get(url).content.decode()
    secret = page.split('data-testid="source-secret">')[1].split("<")[0]
    source.refresh_from_db()
    assert setup.credential_hash(secret) == source.api_secret_hash
    alice_web.post(url + "token-create/")
    token_page = alice_web.get(url).content.decode()
    raw = token_page.split('data-testid="source-token">')[1].split("<")[0]
    assert raw.startswith("jst_") and source.tokens.get().token_hash == setup.credential_hash(raw)
    alice_web.post(url + "token-rotate/")
    old = source.tokens.order_by("created_at", "id").first()
    assert old.expires_at is not None and source.tokens.count() == 2
    alice_web.post(url + "pause/")
    source.refresh_from_db()
    assert not source.is_active
    alice_web.post(url + "resume/")
    source.refresh_from_db()
    assert source.is_active
    alice_web.post(url + "delete/")
    assert f'href="{source.public_id}/"' not in alice_web.get(f"{A}/setup/sources/").content.decode()
    assert "Web form (Deleted)" in alice_web.get(f"{A}/setup/sources/?deleted=1").content.decode()


def test_source_pricing_page_saves_and_copies(alice_web, market, tenant_a):
    source, seniors, standard = market["source"], market["lead_type"], market["fallback"]
    url = f"{A}/setup/sources/{source.public_id}/pricing/"
    page = alice_web.get(url).content.decode()
    assert "Seniors" in page and "Standard" in page
    saved = alice_web.post(
        url,
        {
            f"kind_{seniors.public_id}": "fixed",
            f"price_{seniors.public_id}": "15",
            f"kind_{standard.public_id}": "fallback",
            f"price_{standard.public_id}": "",
        },
    )
    assert saved.status_code == 302
    assert [(p.lead_type_id, p.kind, p.price) for p in source.pricing.all()] == [(seniors.pk, "fixed", 1500)]
    other, _ = setup.source_create(
        tenant=tenant_a, actor=None, data={"name": "Other", "default_category": market["category"].public_id}
    )
    setup.source_pricing_update(
        source=other, actor=None, data={seniors.public_id: {"price": 1}, standard.public_id: {"price": 400}}
    )
    alice_web.post(url + "copy/", {"from_source": other.public_id})
    assert sorted((p.lead_type_id, p.price) for p in source.pricing.all()) == sorted(
        [(seniors.pk, 1500), (standard.pk, 400)]
    )


def test_duplicate_rule_pages(alice_web, market, tenant_a):
    url = f"{A}/setup/duplicate-rules/"
    refused = alice_web.post(url, {"category": market["category"].public_id, "lookback_days": "30"})
    assert refused.status_code == 422 and "Choose at least one field." in refused.content.decode()
    created = alice_web.post(
        url,
        {
            "category": market["category"].public_id,
            "fields": ["email", "phone"],
            "lookback_days": "14",
            "apply_to_pings": "on",
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    rule = DuplicateRule.objects.get(tenant=tenant_a, lookback_days=14)
    assert rule.fields == ["email", "phone"] and rule.apply_to_pings and rule.source is None
    edit = f"{url}{rule.public_id}/"
    assert (
        alice_web.post(
            edit, {"category": market["category"].public_id, "fields": ["email"], "lookback_days": "5000"}
        ).status_code
        == 422
    )
    alice_web.post(edit + "delete/")
    assert not DuplicateRule.objects.filter(pk=rule.pk).exists()


def test_lead_settings_page(alice_web, tenant_a):
    url = f"{A}/settings/leads/"
    page = alice_web.get(url).content.decode()
    assert "Leads &amp; bidding" in page and 'aria-current="page">Leads &amp; bidding' in page
    form = {
        "ping_expiry_minutes": "10",
        "ping_max_offers": "3",
        "default_rate_limit_per_minute": "600",
        "smart_pricing": "on",
    }
    assert alice_web.post(url, form).status_code == 302
    row = LeadSettings.objects.get(tenant=tenant_a)
    assert (
        row.ping_expiry_minutes,
        row.ping_max_offers,
        row.smart_pricing,
        row.bid_lock,
        row.bid_limits_enabled,
    ) == (
        10,
        3,
        True,
        False,
        False,
    )
    refused = alice_web.post(url, {**form, "ping_expiry_minutes": "2000"})
    assert (
        refused.status_code == 422
        and "Give a number of minutes from 1 to 1440 (24 hours)." in refused.content.decode()
    )
