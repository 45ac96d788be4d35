"""Lead setup services: every validation rule says what is wrong, on which field, and changes nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from juiced.core.errors import InvalidState, ValidationFailed
from juiced.core.models import AuditEntry
from juiced.leads import fields as lead_fields
from juiced.leads import matching, setup, setup_selectors
from juiced.leads.models import (
    Bid,
    BidChange,
    CategoryField,
    DuplicateRule,
    Lead,
    LeadCategory,
    LeadType,
    LeadTypePricing,
    Source,
    SourcePricing,
)
from juiced.leads.tenant_settings import lead_settings_for


def refused(call, field: str) -> str:
    """Run `call`, expect ValidationFailed with a message on `field`, and return that message."""
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert field in caught.value.fields, caught.value.fields
    return caught.value.fields[field][0]


@pytest.fixture
def category(tenant_a, alice):
    return setup.category_create(tenant=tenant_a, actor=alice, data={"name": "Auto insurance"})


@pytest.fixture
def add_field(category, alice):
    def add(key: str, field_type: str = "text", **extra):
        return setup.category_field_create(
            category=category, actor=alice, data={"key": key, "field_type": field_type, **extra}
        )

    return add


@pytest.fixture
def source_pair(tenant_a, alice, category):
    return setup.source_create(
        tenant=tenant_a, actor=alice, data={"name": "Web form", "default_category": category.public_id}
    )


# --- categories -----------------------------------------------------------------------------------------


def test_category_create_adds_the_ten_base_fields_in_order(category, alice):
    fields = list(category.fields.all())
    assert [f.key for f in fields] == [key for key, _label, _type in lead_fields.BASE_FIELDS]
    assert all(f.is_base for f in fields)
    zip_field = category.fields.get(key="zip")
    assert zip_field.required_for_ping and zip_field.required_for_post
    assert AuditEntry.objects.filter(action="lead_category.created", customer=None).count() == 1


def test_category_name_is_required_and_unique_ignoring_case(tenant_a, alice, category):
    assert refused(
        lambda: setup.category_create(tenant=tenant_a, actor=alice, data={"name": " "}), "name"
    ) == ("This field is required.")
    message = refused(
        lambda: setup.category_create(tenant=tenant_a, actor=alice, data={"name": "AUTO INSURANCE"}), "name"
    )
    assert message == "A lead category named AUTO INSURANCE already exists."
    assert LeadCategory.objects.count() == 1


def test_category_names_are_per_tenant(tenant_b, bob, category):
    other = setup.category_create(tenant=tenant_b, actor=bob, data={"name": "Auto insurance"})
    assert other.tenant == tenant_b


def test_category_update_archive_and_restore(category, alice):
    setup.category_update(category=category, actor=alice, data={"description": "Drivers"})
    archived = setup.category_archive(category=category, actor=alice)
    assert archived.archived_at is not None
    assert setup.category_restore(category=category, actor=alice).archived_at is None
    assert refused(
        lambda: setup.category_update(category=category, actor=alice, data={"color": "red"}), "color"
    )


# --- fields ---------------------------------------------------------------------------------------------


def test_all_twelve_field_types_can_be_added(add_field):
    for kind in lead_fields.FIELD_TYPES:
        options = {"options": ["a", "b"]} if kind in ("select", "multi_select") else {}
        field = add_field(f"custom_{kind}", kind, **options)
        assert field.field_type == kind and field.label == f"Custom {kind}".replace("_", " ")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("Roof Age", "Use lowercase letters, digits and underscores, starting with a letter (64 at most)."),
        ("9lives", "Use lowercase letters, digits and underscores, starting with a letter (64 at most)."),
        ("email", "email is a base field: every category already has it."),
        ("ping_id", "ping_id is reserved by the API."),
    ],
)
def test_field_key_rules(add_field, key, message):
    assert refused(lambda: add_field(key), "key") == message


def test_field_key_is_unique_in_the_category(add_field):
    add_field("roof_age", "number")
    assert refused(lambda: add_field("roof_age"), "key") == "This category already has a field roof_age."


def test_field_type_must_be_known(add_field):
    assert refused(lambda: add_field("roof", "colour"), "field_type").startswith(
        "Choose a field type: text, "
    )


def test_select_fields_need_non_empty_unique_options(add_field):
    assert (
        refused(lambda: add_field("plan", "select"), "options")
        == "Give at least one option for a select field."
    )
    assert refused(lambda: add_field("plan", "select", options=[]), "options") == (
        "Give at least one option for a select field."
    )
    assert (
        refused(lambda: add_field("plan", "select", options=["a", " "]), "options")
        == "Options must not be empty."
    )
    assert refused(lambda: add_field("plan", "multi_select", options=["Gold", "gold"]), "options") == (
        "The option gold is listed twice."
    )
    field = add_field("plan", "select", options=[" Gold ", "Silver"])
    assert field.options == ["Gold", "Silver"]


def test_options_are_dropped_for_other_types(add_field):
    assert add_field("note", "text", options=["x"]).options == []


def test_base_field_key_and_type_are_locked_but_flags_change(category, alice):
    email = category.fields.get(key="email")
    email.category = category
    assert (
        refused(lambda: setup.category_field_update(field=email, actor=alice, data={"key": "mail"}), "key")
        == "The key of a base field cannot change."
    )
    assert (
        refused(
            lambda: setup.category_field_update(field=email, actor=alice, data={"field_type": "text"}),
            "field_type",
        )
        == "The type of a base field cannot change."
    )
    updated = setup.category_field_update(
        field=email, actor=alice, data={"required_for_ping": True, "label": "E-mail"}
    )
    assert updated.required_for_ping and updated.label == "E-mail" and updated.key == "email"


def test_zip_stays_required(category, alice):
    zip_field = category.fields.get(key="zip")
    zip_field.category = category
    for flag in ("required_for_ping", "required_for_post"):
        message = refused(
            lambda flag=flag: setup.category_field_update(field=zip_field, actor=alice, data={flag: False}),
            flag,
        )
        assert message == "ZIP is always required: every lead is routed by its location."
    zip_field.refresh_from_db()
    assert zip_field.required_for_ping and zip_field.required_for_post


def test_base_fields_cannot_be_removed(category, alice):
    email = category.fields.get(key="email")
    email.category = category
    with pytest.raises(InvalidState, match="email is a base field"):
        setup.category_field_delete(field=email, actor=alice)


def test_a_field_used_by_a_lead_type_cannot_be_removed_or_renamed(category, alice, add_field):
    age = add_field("age", "number")
    age.category = category
    setup.lead_type_create(
        category=category,
        actor=alice,
        data={"name": "Seniors", "conditions": [[{"field": "age", "op": "gte", "value": 65}]]},
    )
    with pytest.raises(InvalidState, match="age is used by lead type Seniors"):
        setup.category_field_delete(field=age, actor=alice)
    assert refused(
        lambda: setup.category_field_update(field=age, actor=alice, data={"key": "years"}), "key"
    ) == ("age is used by lead type Seniors: change that first.")


def test_a_field_used_by_a_duplicate_rule_cannot_be_removed(tenant_a, category, alice, add_field):
    phone2 = add_field("alt_phone", "phone")
    phone2.category = category
    setup.duplicate_rule_create(
        tenant=tenant_a, actor=alice, data={"category": category.public_id, "fields": ["alt_phone"]}
    )
    with pytest.raises(InvalidState, match="a duplicate rule"):
        setup.category_field_delete(field=phone2, actor=alice)


def test_unused_custom_field_is_removed(category, alice, add_field):
    field = add_field("roof_age", "number")
    field.category = category
    setup.category_field_delete(field=field, actor=alice)
    assert not category.fields.filter(key="roof_age").exists()


def test_fields_move_up_and_down(category, alice, add_field):
    first = add_field("roof_age", "number")
    add_field("roof_type", "text")
    first.category = category
    setup.category_field_move(field=first, actor=alice, direction="down")
    keys = list(category.fields.values_list("key", flat=True))
    assert keys[-2:] == ["roof_type", "roof_age"]
    setup.category_field_move(field=first, actor=alice, direction="up")
    assert list(category.fields.values_list("key", flat=True))[-2:] == ["roof_age", "roof_type"]
    assert refused(lambda: setup.category_field_move(field=first, actor=alice, direction="left"), "direction")


def test_adding_a_field_later_keeps_old_leads_valid(tenant_a, alice, category, source_pair):
    source, _secret = source_pair
    specs = setup_selectors.category_field_specs(category)
    payload = {
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@example.com",
        "phone": "5555550123",
        "zip": "90210",
    }
    saved = lead_fields.validate_payload(specs, payload, stage="post")
    assert saved.ok
    lead = Lead.objects.create(
        tenant=tenant_a, source=source, category=category, data=saved.values, zip_code="90210"
    )
    setup.category_field_create(
        category=category,
        actor=alice,
        data={"key": "roof_age", "field_type": "number", "required_for_post": True},
    )
    lead.refresh_from_db()
    assert lead.data == saved.values  # nothing rewrote the stored lead
    new_specs = setup_selectors.category_field_specs(category)
    assert [s.key for s in new_specs][-1] == "roof_age"
    # The old lead's values still normalise field by field under the new schema; only new posts need roof_age.
    for spec in new_specs:
        if spec.key in lead.data:
            assert lead_fields.normalize_value(spec, lead.data[spec.key])[1] is None
    assert lead_fields.validate_payload(new_specs, payload, stage="post").errors == {
        "roof_age": ["The roof_age field is required."]
    }


# --- lead types -----------------------------------------------------------------------------------------


def test_lead_type_create_appends_with_three_disabled_scopes(category, alice):
    first = setup.lead_type_create(category=category, actor=alice, data={"name": "Seniors"})
    second = setup.lead_type_create(category=category, actor=alice, data={"name": "Standard"})
    assert second.position > first.position
    rows = LeadTypePricing.objects.filter(lead_type=first)
    assert sorted(rows.values_list("scope", flat=True)) == ["county", "nationwide", "state"]
    assert not rows.filter(enabled=True).exists()


def test_lead_type_name_is_required_and_unique_in_the_category(category, alice):
    setup.lead_type_create(category=category, actor=alice, data={"name": "Seniors"})
    assert refused(lambda: setup.lead_type_create(category=category, actor=alice, data={}), "name") == (
        "This field is required."
    )
    assert refused(
        lambda: setup.lead_type_create(category=category, actor=alice, data={"name": "seniors"}), "name"
    ) == ("This category already has a lead type named seniors.")


def test_one_fallback_per_category(category, alice):
    setup.lead_type_create(category=category, actor=alice, data={"name": "Standard", "is_fallback": True})
    message = refused(
        lambda: setup.lead_type_create(
            category=category, actor=alice, data={"name": "Other", "is_fallback": True}
        ),
        "is_fallback",
    )
    assert message == "Standard is already the fallback of this category (one per category)."
    other = setup.lead_type_create(category=category, actor=alice, data={"name": "Other"})
    assert refused(
        lambda: setup.lead_type_update(lead_type=other, actor=alice, data={"is_fallback": True}),
        "is_fallback",
    )


def test_making_a_type_the_fallback_clears_its_conditions(category, alice, add_field):
    add_field("age", "number")
    lead_type = setup.lead_type_create(
        category=category,
        actor=alice,
        data={"name": "Seniors", "conditions": [[{"field": "age", "op": "gt", "value": 64}]]},
    )
    updated = setup.lead_type_update(lead_type=lead_type, actor=alice, data={"is_fallback": True})
    assert updated.is_fallback and updated.conditions == []


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("age > 3", "Conditions must be a list of groups."),
        ([[]], "Group 1 must have at least one condition."),
        (
            [[{"field": "shoe", "op": "equals", "value": "x"}]],
            "Group 1, condition 1: choose a field of this category.",
        ),
        ([[{"field": "age", "op": "near", "value": 1}]], "Group 1, condition 1: unknown operator 'near'."),
        ([[{"field": "age", "op": "gt", "value": "old"}]], "Group 1, condition 1: give a number."),
        ([[{"field": "state", "op": "in", "value": []}]], "Group 1, condition 1: give at least one value."),
        ([[{"field": "city", "op": "equals", "value": " "}]], "Group 1, condition 1: give a value."),
    ],
)
def test_conditions_are_validated(category, alice, add_field, conditions, message):
    add_field("age", "number")
    got = refused(
        lambda: setup.lead_type_create(
            category=category, actor=alice, data={"name": "X", "conditions": conditions}
        ),
        "conditions",
    )
    assert got == message
    assert not LeadType.objects.filter(name="X").exists()


def test_types_are_tried_in_position_order_and_move(category, alice, add_field):
    add_field("age", "number")
    wide = [[{"field": "age", "op": "gte", "value": 18}]]
    adults = setup.lead_type_create(
        category=category, actor=alice, data={"name": "Adults", "conditions": wide}
    )
    seniors = setup.lead_type_create(
        category=category,
        actor=alice,
        data={"name": "Seniors", "conditions": [[{"field": "age", "op": "gte", "value": 65}]]},
    )
    fallback = setup.lead_type_create(
        category=category, actor=alice, data={"name": "Other", "is_fallback": True}
    )
    rules = setup_selectors.category_type_rules(category)
    assert [r.id for r in rules] == [adults.pk, seniors.pk, fallback.pk]
    assert matching.match_lead_type(rules, {"age": "70"}) == adults.pk
    setup.lead_type_move(lead_type=seniors, actor=alice, direction="up")
    rules = setup_selectors.category_type_rules(category)
    assert matching.match_lead_type(rules, {"age": "70"}) == seniors.pk
    assert matching.match_lead_type(rules, {"age": "10"}) == fallback.pk


def test_archiving_a_type_archives_its_bids_and_hides_it_from_matching(
    category, alice, acme_customer, make_bid
):
    lead_type = setup.lead_type_create(
        category=category, actor=alice, data={"name": "Standard", "is_fallback": True}
    )
    bid = make_bid(acme_customer, lead_type, amount=1000)
    setup.lead_type_archive(lead_type=lead_type, actor=alice)
    bid.refresh_from_db()
    assert bid.archived_at is not None
    assert BidChange.objects.filter(bid=bid, action="archived").exists()
    assert setup_selectors.category_type_rules(category) == []
    restored = setup.lead_type_restore(lead_type=lead_type, actor=alice)
    assert restored.archived_at is None and Bid.objects.get(pk=bid.pk).archived_at is not None


def test_restoring_a_second_fallback_is_refused(category, alice):
    first = setup.lead_type_create(
        category=category, actor=alice, data={"name": "Standard", "is_fallback": True}
    )
    setup.lead_type_archive(lead_type=first, actor=alice)
    setup.lead_type_create(category=category, actor=alice, data={"name": "New", "is_fallback": True})
    with pytest.raises(InvalidState, match="already has a fallback"):
        setup.lead_type_restore(lead_type=first, actor=alice)


def test_no_lead_type_in_an_archived_category(category, alice):
    setup.category_archive(category=category, actor=alice)
    with pytest.raises(InvalidState):
        setup.lead_type_create(category=category, actor=alice, data={"name": "Late"})


# --- bidding settings -----------------------------------------------------------------------------------


@pytest.fixture
def lead_type(category, alice):
    return setup.lead_type_create(
        category=category, actor=alice, data={"name": "Standard", "is_fallback": True}
    )


def price(lead_type, alice, **values):
    return lambda: setup.lead_type_pricing_update(lead_type=lead_type, actor=alice, data={"state": values})


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"minimum": 0, "maximum": 1000, "step": 100},
            "state.minimum",
            "The minimum must be more than zero.",
        ),
        ({"minimum": 500, "maximum": 1000, "step": 0}, "state.step", "The step must be more than zero."),
        (
            {"minimum": 500, "maximum": None, "step": 100},
            "state.maximum",
            "Give a maximum, or make the price fixed.",
        ),
        (
            {"minimum": 500, "maximum": 400, "step": 100},
            "state.maximum",
            "The maximum must be at least the minimum.",
        ),
        (
            {"minimum": 500, "maximum": 1050, "step": 100},
            "state.maximum",
            "The maximum must be the minimum plus whole steps: try 1000 or 1100 cents.",
        ),
        ({"fixed_price": True, "minimum": -5}, "state.minimum", "The price must be more than zero."),
        ({"minimum": "5"}, "state.minimum", "Enter a whole number of cents."),
        ({"enabled": "yes"}, "state.enabled", "Must be true or false."),
    ],
)
def test_pricing_rules(lead_type, alice, values, field, message):
    before = list(LeadTypePricing.objects.filter(lead_type=lead_type).values())
    assert refused(price(lead_type, alice, **values), field) == message
    assert list(LeadTypePricing.objects.filter(lead_type=lead_type).values()) == before


def test_pricing_saves_range_and_fixed(lead_type, alice):
    saved = setup.lead_type_pricing_update(
        lead_type=lead_type,
        actor=alice,
        data={
            "state": {"enabled": True, "minimum": 500, "maximum": 2500, "step": 250},
            "county": {"enabled": True, "fixed_price": True, "minimum": 1200, "maximum": 9999},
        },
    )
    assert (saved["state"].enabled, saved["state"].minimum, saved["state"].maximum, saved["state"].step) == (
        True,
        500,
        2500,
        250,
    )
    assert saved["county"].fixed_price and saved["county"].maximum is None and saved["county"].minimum == 1200
    assert not saved["nationwide"].enabled
    assert AuditEntry.objects.filter(action="lead_type.pricing_updated").exists()


def test_pricing_refuses_unknown_scopes(lead_type, alice):
    with pytest.raises(ValidationFailed) as caught:
        setup.lead_type_pricing_update(lead_type=lead_type, actor=alice, data={"planet": {"enabled": True}})
    assert caught.value.fields["planet"] == ["Unknown scope; use county, state, nationwide."]


# --- sources --------------------------------------------------------------------------------------------


def test_source_create_returns_the_secret_once_and_stores_only_its_hash(source_pair):
    source, secret = source_pair
    assert source.api_key.startswith("key_") and len(source.api_key) == 4 + 24
    assert source.api_secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(Source.objects.filter(pk=source.pk).values().first())
    assert secret not in str(list(AuditEntry.objects.values()))


def test_source_rules(tenant_a, alice, category):
    def create(**data):
        return lambda: setup.source_create(tenant=tenant_a, actor=alice, data={"name": "S", **data})

    assert refused(create(), "default_category") == "This field is required."
    assert (
        refused(create(default_category="cat_nope"), "default_category")
        == "Choose a lead category of this account."
    )
    ok = {"default_category": category.public_id}
    assert refused(create(kind="partner", **ok), "kind") == "Choose internal or vendor."
    for payout in (-1, 101, "12.345", "lots", True):
        assert refused(create(payout_percent=payout, **ok), "payout_percent") == (
            "Give a percentage from 0 to 100 with at most 2 decimals."
        )
    assert refused(create(test_mode=True, **ok), "test_mode") == "Test mode is for vendor sources only."
    assert refused(create(rate_limit_per_minute=0, **ok), "rate_limit_per_minute") == (
        "Give a whole number from 1 to 100000, or leave it empty for the account default."
    )
    assert not Source.objects.exists()
    vendor, _secret = setup.source_create(
        tenant=tenant_a,
        actor=alice,
        data={"name": "Vendor", "kind": "vendor", "test_mode": True, "payout_percent": "62.5", **ok},
    )
    assert vendor.test_mode and vendor.payout_percent == Decimal("62.50")


def test_an_archived_or_foreign_category_cannot_be_a_source_default(tenant_a, tenant_b, alice, bob, category):
    foreign = setup.category_create(tenant=tenant_b, actor=bob, data={"name": "Solar"})
    assert refused(
        lambda: setup.source_create(
            tenant=tenant_a, actor=alice, data={"name": "S", "default_category": foreign.public_id}
        ),
        "default_category",
    )
    setup.category_archive(category=category, actor=alice)
    assert refused(
        lambda: setup.source_create(
            tenant=tenant_a, actor=alice, data={"name": "S", "default_category": category.public_id}
        ),
        "default_category",
    )


def test_switching_a_test_mode_vendor_to_internal_is_refused(tenant_a, alice, category):
    vendor, _ = setup.source_create(
        tenant=tenant_a,
        actor=alice,
        data={"name": "V", "kind": "vendor", "test_mode": True, "default_category": category.public_id},
    )
    assert refused(
        lambda: setup.source_update(source=vendor, actor=alice, data={"kind": "internal"}), "test_mode"
    )


def test_rotating_the_secret_replaces_the_hash(source_pair, alice):
    source, old = source_pair
    new = setup.source_secret_rotate(source=source, actor=alice)
    source.refresh_from_db()
    assert new != old and source.api_secret_hash == setup.credential_hash(new)


def test_token_rotation_keeps_the_old_token_for_24_hours(source_pair, alice):
    source, _ = source_pair
    first, first_raw = setup.source_token_create(source=source, actor=alice)
    assert first_raw.startswith("jst_") and first.prefix == first_raw[:12]
    assert first.token_hash == hashlib.sha256(first_raw.encode()).hexdigest() and first.expires_at is None
    before = timezone.now()
    second, second_raw = setup.source_token_rotate(source=source, actor=alice)
    first.refresh_from_db()
    assert second_raw != first_raw and second.expires_at is None
    assert before + timedelta(hours=24) <= first.expires_at <= timezone.now() + timedelta(hours=24)
    assert setup_selectors.token_is_live(first)
    second.source = source
    revoked = setup.source_token_revoke(token=second, actor=alice)
    assert not setup_selectors.token_is_live(revoked)


def test_soft_delete_hides_the_source_and_stops_its_credentials(tenant_a, source_pair, alice):
    source, _ = source_pair
    token, _raw = setup.source_token_create(source=source, actor=alice)
    setup.source_delete(source=source, actor=alice)
    source.refresh_from_db()
    token.refresh_from_db()
    assert source.deleted_at is not None and not source.is_active
    assert not setup_selectors.token_is_live(token)
    assert not setup_selectors.sources(tenant=tenant_a).exists()
    assert setup_selectors.sources(tenant=tenant_a, include_deleted=True).get() == source
    with pytest.raises(InvalidState, match="deleted"):
        setup.source_secret_rotate(source=source, actor=alice)


def test_source_pricing_set_clear_and_copy(tenant_a, alice, category, source_pair):
    source, _ = source_pair
    seniors = setup.lead_type_create(category=category, actor=alice, data={"name": "Seniors"})
    standard = setup.lead_type_create(
        category=category, actor=alice, data={"name": "Standard", "is_fallback": True}
    )
    assert (
        refused(
            lambda: setup.source_pricing_update(
                source=source, actor=alice, data={seniors.public_id: {"price": -1}}
            ),
            f"{seniors.public_id}.price",
        )
        == "Enter a whole number of cents, zero or more."
    )
    assert (
        refused(
            lambda: setup.source_pricing_update(source=source, actor=alice, data={"ltype_x": {"price": 100}}),
            "ltype_x",
        )
        == "Not a lead type of this source's category."
    )
    setup.source_pricing_update(
        source=source, actor=alice, data={seniors.public_id: {"kind": "fixed", "price": 1500}}
    )
    other, _ = setup.source_create(
        tenant=tenant_a, actor=alice, data={"name": "Vendor", "default_category": category.public_id}
    )
    setup.source_pricing_update(
        source=other,
        actor=alice,
        data={seniors.public_id: {"kind": "fallback", "price": 900}, standard.public_id: {"price": 400}},
    )
    copied = setup.source_pricing_copy(source=source, actor=alice, from_source_id=other.public_id)
    assert copied == 1
    prices = {
        row.lead_type.name: (row.kind, row.price) for row in SourcePricing.objects.filter(source=source)
    }
    assert prices == {"Seniors": ("fixed", 1500), "Standard": ("fallback", 400)}
    setup.source_pricing_update(source=source, actor=alice, data={standard.public_id: None})
    assert SourcePricing.objects.filter(source=source).count() == 1
    with pytest.raises(ValidationFailed):
        setup.source_pricing_copy(source=source, actor=alice, from_source_id=source.public_id)


# --- duplicate rules ------------------------------------------------------------------------------------


def test_duplicate_rule_rules(tenant_a, alice, category, source_pair):
    def create(**data):
        return lambda: setup.duplicate_rule_create(tenant=tenant_a, actor=alice, data=data)

    cat = category.public_id
    assert refused(create(fields=["email"]), "category") == "This field is required."
    assert refused(create(category=cat, fields=[]), "fields") == "Choose at least one field."
    assert (
        refused(create(category=cat, fields=["shoe_size"]), "fields")
        == "shoe_size is not a field of Auto insurance."
    )
    for days in (0, 3651, "30"):
        assert refused(create(category=cat, fields=["email"], lookback_days=days), "lookback_days") == (
            "Give a number of days from 1 to 3650."
        )
    assert refused(create(category=cat, fields=["email"], source="src_nope"), "source")
    assert not DuplicateRule.objects.exists()
    source, _ = source_pair
    rule = setup.duplicate_rule_create(
        tenant=tenant_a,
        actor=alice,
        data={
            "category": cat,
            "fields": ["email", "phone", "email"],
            "lookback_days": 90,
            "source": source.public_id,
            "ignore_punctuation": True,
        },
    )
    assert rule.fields == ["email", "phone"] and rule.source == source and rule.lookback_days == 90
    updated = setup.duplicate_rule_update(rule=rule, actor=alice, data={"source": None, "is_active": False})
    assert updated.source is None and not updated.is_active
    setup.duplicate_rule_delete(rule=updated, actor=alice)
    assert not DuplicateRule.objects.exists()


# --- settings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ping_expiry_minutes", 0, "Give a number of minutes from 1 to 1440 (24 hours)."),
        ("ping_expiry_minutes", 1441, "Give a number of minutes from 1 to 1440 (24 hours)."),
        ("ping_max_offers", 51, "Give a number from 1 to 50."),
        ("default_rate_limit_per_minute", 100_001, "Give a number of requests per minute from 1 to 100000."),
        ("smart_pricing", "on", "Must be true or false."),
    ],
)
def test_lead_settings_rules(tenant_a, alice, field, value, message):
    assert (
        refused(lambda: setup.lead_settings_update(tenant=tenant_a, actor=alice, data={field: value}), field)
        == message
    )
    assert lead_settings_for(tenant_a).ping_expiry_minutes == 5


def test_lead_settings_update(tenant_a, alice):
    row = setup.lead_settings_update(
        tenant=tenant_a,
        actor=alice,
        data={
            "ping_expiry_minutes": 10,
            "ping_max_offers": 3,
            "smart_pricing": True,
            "bid_lock": True,
            "bid_limits_enabled": False,
            "default_rate_limit_per_minute": 600,
        },
    )
    fresh = lead_settings_for(tenant_a)
    assert (fresh.ping_expiry_minutes, fresh.ping_max_offers, fresh.smart_pricing, fresh.bid_lock) == (
        10,
        3,
        True,
        True,
    )
    assert not row.bid_limits_enabled and fresh.default_rate_limit_per_minute == 600
    entry = AuditEntry.objects.get(action="lead_settings.updated")
    assert entry.changes["ping_expiry_minutes"] == [5, 10] and entry.customer is None


def test_every_change_is_audited_without_a_customer(tenant_a, alice, category, source_pair):
    actions = set(AuditEntry.objects.filter(tenant=tenant_a).values_list("action", flat=True))
    assert {"lead_category.created", "source.created"} <= actions
    assert not AuditEntry.objects.filter(
        tenant=tenant_a, action__startswith="source.", customer__isnull=False
    ).exists()


def test_category_field_specs_and_matching_helpers(category, add_field):
    add_field("plan", "select", options=["Gold", "Silver"], deliverable=False)
    specs = setup_selectors.category_field_specs(category)
    plan = specs[-1]
    assert plan == lead_fields.FieldSpec(
        key="plan", label="Plan", field_type="select", options=("Gold", "Silver"), deliverable=False
    )
    assert CategoryField.objects.filter(category=category).count() == len(specs)
