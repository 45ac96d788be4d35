"""The marketplace factories build a working schema (a smoke test for the shared fixtures)."""

from juiced.leads import fields as lead_fields
from juiced.leads import geo, matching
from juiced.leads.models import LeadTypePricing


def test_factories_build_a_market(tenant_a, make_category, make_lead_type, make_source, make_bid,
                                  make_customer, fund):  # fmt: skip
    category = make_category(tenant_a)
    lead_type = make_lead_type(category)
    source, secret = make_source(tenant_a, category=category)
    buyer = make_customer("Zest Co")
    fund(buyer, 5000)
    bid = make_bid(buyer, lead_type, amount=2500)
    assert category.fields.count() == len(lead_fields.BASE_FIELDS) + 1
    assert LeadTypePricing.objects.filter(lead_type=lead_type, enabled=True).count() == 3
    assert bid.public_id.startswith("bid_") and source.api_key and secret
    assert buyer.wallet.available == 5000


def test_payload_validation_and_matching():
    specs = lead_fields.base_field_specs()
    result = lead_fields.validate_payload(specs, {"zip": "90210", "email": "nope"}, stage="ping")
    assert result.errors == {"email": ["The email field must be a valid email address."]}
    result = lead_fields.validate_payload(specs, {"zip": "90210", "age": "44"}, stage="ping")
    assert result.ok and result.values == {"zip": "90210", "age": "44"}
    assert geo.place_for_zip("90210").state == "CA"
    rules = [
        matching.TypeRule(id="senior", groups=[[{"field": "age", "op": "gte", "value": 65}]]),
        matching.TypeRule(id="standard", groups=[], is_fallback=True),
    ]
    assert matching.match_lead_type(rules, {"age": "70"}) == "senior"
    assert matching.match_lead_type(rules, {"age": "30"}) == "standard"
