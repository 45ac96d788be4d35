"""The demo marketplace: a category with custom fields, four lead types, an internal and a vendor source,
bids from most demo customers across scopes, and a few hundred leads sent through the real source API.

Leads are not written directly: each one is a real `POST /api/leads` (or a ping then a post) handled
in process by the same views a source calls, so submissions, duplicates, the auction, charges and flow
logs are exactly what production would record. Idempotent: the market is built once per tenant (found by
its category name); `demo --json` rotates the internal source's secret so it can print a working one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.test import RequestFactory

from juiced.customers.models import Customer
from juiced.leads import fields as lead_fields
from juiced.leads.models import (
    Bid,
    CategoryField,
    DuplicateRule,
    LeadCategory,
    LeadType,
    LeadTypePricing,
    Scope,
    Source,
)
from juiced.wallets.models import TransactionEvent
from juiced.wallets.services import wallet_credit

DEMO_CATEGORY = "Home insurance"
INTERNAL_SOURCE = "Website form"
VENDOR_SOURCE = "Partner network (test mode)"

CUSTOM_FIELDS = [
    {"key": "homeowner", "label": "Owns the home", "field_type": "boolean", "required_for_ping": True},
    {"key": "home_value", "label": "Home value", "field_type": "currency"},
    {"key": "coverage", "label": "Coverage wanted", "field_type": "select",
     "options": ["Basic", "Standard", "Premium"]},
    {"key": "age", "label": "Age", "field_type": "number"},
    {"key": "policy_start", "label": "Policy start", "field_type": "date"},
]  # fmt: skip

# name, conditions, per-scope pricing (minimum, step, maximum) or a fixed price, scopes enabled
LEAD_TYPES: list[dict[str, Any]] = [
    {
        "name": "Premium homeowner",
        "conditions": [[{"field": "homeowner", "op": "equals", "value": True},
                        {"field": "home_value", "op": "gte", "value": 500000}]],
        "grid": (2500, 100, 15000),
    },
    {
        "name": "Homeowner",
        "conditions": [[{"field": "homeowner", "op": "equals", "value": True}]],
        "grid": (1200, 50, 10000),
    },
    {
        "name": "Renter",
        "conditions": [[{"field": "homeowner", "op": "equals", "value": False}]],
        "fixed": 800,
        "scopes": (Scope.NATIONWIDE,),
    },
    {"name": "General", "conditions": [], "grid": (300, 50, 5000), "fallback": True},
]  # fmt: skip

# customer name → [(lead type, scope, state, county, amount cents)]
DEMO_BIDS: dict[str, list[tuple[str, str, str, str, int]]] = {
    "Apex Home Insurance": [
        ("Premium homeowner", Scope.STATE, "CA", "", 4500),
        ("Homeowner", Scope.NATIONWIDE, "", "", 2000),
    ],
    "Bright Solar Co": [
        ("Homeowner", Scope.COUNTY, "CA", "Los Angeles County", 2200),
        ("Premium homeowner", Scope.NATIONWIDE, "", "", 3000),
    ],
    "Cedar Roofing": [
        ("Homeowner", Scope.STATE, "CO", "", 1800),
        ("General", Scope.NATIONWIDE, "", "", 500),
    ],
    "Delta Auto Protect": [("Homeowner", Scope.NATIONWIDE, "", "", 2500)],
    "Granite Home Services": [
        ("Renter", Scope.NATIONWIDE, "", "", 800),
        ("General", Scope.NATIONWIDE, "", "", 600),
    ],
    "Harbor Health Plans": [
        ("Premium homeowner", Scope.STATE, "FL", "", 5000),
        ("Homeowner", Scope.STATE, "FL", "", 2400),
    ],
    "Ironwood Windows": [("Homeowner", Scope.NATIONWIDE, "", "", 1650)],
    "Juniper Pest Control": [("General", Scope.NATIONWIDE, "", "", 450)],
    "Keystone Plumbing": [
        ("Premium homeowner", Scope.NATIONWIDE, "", "", 4000),
        ("Homeowner", Scope.STATE, "TX", "", 2100),
    ],
    "Lumen Energy": [
        ("Homeowner", Scope.COUNTY, "FL", "Miami-Dade County", 2300),
        ("Renter", Scope.NATIONWIDE, "", "", 800),
    ],
}
TOP_UP = 150_000  # cents each bidding customer deposits before the demo leads arrive
# Placed bids but never paid: its bids read Not Funded and the customer Inactive.
NEVER_FUNDED = {"Cedar Roofing"}

PLACES = [
    ("90012", "CA", "Los Angeles"), ("90210", "CA", "Beverly Hills"), ("94103", "CA", "San Francisco"),
    ("33139", "FL", "Miami Beach"), ("33101", "FL", "Miami"), ("32801", "FL", "Orlando"),
    ("80202", "CO", "Denver"), ("75201", "TX", "Dallas"), ("10001", "NY", "New York"),
    ("60601", "IL", "Chicago"),
]  # fmt: skip
FIRST = ["Ava", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kara", "Liam",
         "Maya", "Noah", "Olive", "Paul", "Quinn", "Rosa", "Sam", "Tess"]  # fmt: skip
LAST = ["Lemon", "Berry", "Lime", "Peach", "Plum", "Grape", "Mango", "Cherry", "Melon", "Apple"]


@dataclass
class Market:
    category: LeadCategory
    lead_types: dict[str, LeadType]
    fallback_type: LeadType
    internal: Source
    vendor: Source
    internal_key: str
    internal_secret: str  # empty unless this call created or rotated it
    vendor_secret: str = ""


def _new_source(tenant: Any, name: str, category: LeadCategory, **extra: Any) -> tuple[Source, str]:
    secret = secrets.token_urlsafe(32)
    source = Source.objects.create(
        tenant=tenant,
        name=name,
        api_key="key_" + secrets.token_hex(12),
        api_secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
        default_category=category,
        **extra,
    )
    return source, secret


@transaction.atomic
def market_build(*, tenant: Any, actor: Any, category_name: str = DEMO_CATEGORY) -> Market:
    """Create the demo category, its fields and lead types with pricing, a duplicate rule on e-mail + phone,
    an internal source and a vendor source in test mode."""
    category = LeadCategory.objects.create(
        tenant=tenant, name=category_name, description="Homeowners and renters shopping for cover."
    )
    specs = lead_fields.base_field_specs()
    for position, spec in enumerate(specs):
        CategoryField.objects.create(
            tenant=tenant, category=category, key=spec.key, label=spec.label, field_type=spec.field_type,
            is_base=True, required_for_ping=spec.required_for_ping, required_for_post=spec.required_for_post,
            position=position,
        )  # fmt: skip
    for offset, field in enumerate(CUSTOM_FIELDS):
        CategoryField.objects.create(tenant=tenant, category=category, position=len(specs) + offset, **field)
    lead_types: dict[str, LeadType] = {}
    for position, spec in enumerate(LEAD_TYPES):
        lead_type = LeadType.objects.create(
            tenant=tenant,
            category=category,
            name=spec["name"],
            position=position,
            conditions=spec["conditions"],
            is_fallback=spec.get("fallback", False),
        )
        scopes = spec.get("scopes", tuple(Scope.values))
        for scope in Scope.values:
            if "fixed" in spec:
                minimum, step, maximum, fixed = spec["fixed"], 100, None, True
            else:
                (minimum, step, maximum), fixed = spec["grid"], False
            LeadTypePricing.objects.create(
                tenant=tenant, lead_type=lead_type, scope=scope, enabled=scope in scopes,
                fixed_price=fixed, minimum=minimum, maximum=maximum, step=step,
            )  # fmt: skip
        lead_types[spec["name"]] = lead_type
    DuplicateRule.objects.create(
        tenant=tenant, category=category, fields=["email", "phone"], lookback_days=30, apply_to_pings=False
    )
    internal, internal_secret = _new_source(tenant, INTERNAL_SOURCE, category)
    vendor, vendor_secret = _new_source(
        tenant, VENDOR_SOURCE, category, kind=Source.Kind.VENDOR, test_mode=True, payout_percent=60
    )
    fallback = next(t for t in lead_types.values() if t.is_fallback)
    return Market(
        category=category,
        lead_types=lead_types,
        fallback_type=fallback,
        internal=internal,
        vendor=vendor,
        internal_key=internal.api_key,
        internal_secret=internal_secret,
        vendor_secret=vendor_secret,
    )


def _place_bids(tenant: Any, market: Market) -> int:
    placed = 0
    for customer in Customer.objects.filter(tenant=tenant, name__in=DEMO_BIDS).select_related("wallet"):
        for type_name, scope, state, county, amount in DEMO_BIDS[customer.name]:
            Bid.objects.create(
                tenant=tenant, customer=customer, lead_type=market.lead_types[type_name], scope=scope,
                state=state, county=county, amount=amount,
            )  # fmt: skip
            placed += 1
        if not customer.is_archived and customer.name not in NEVER_FUNDED:
            wallet_credit(
                wallet=customer.wallet,
                amount=TOP_UP,
                event=TransactionEvent.FUNDS_ADDED,
                description="Card deposit",
            )
    return placed


def _auth(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def _call(view: Any, path: str, auth: str, body: dict[str, Any]) -> dict[str, Any]:
    """One in-process API call through the real view (as a source's HTTP request would arrive)."""
    request = RequestFactory().post(
        path, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    response = view(request)
    return json.loads(response.content or b"{}")


def _person(rng: random.Random, n: int) -> dict[str, Any]:
    zip_code, state, city = rng.choice(PLACES)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    homeowner = rng.random() < 0.7
    lead: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "email": f"{first}.{last}.{n}@example.com".lower(),
        "phone": f"555-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        "address_1": f"{rng.randint(1, 999)} {rng.choice(['Orchard', 'Citrus', 'Grove', 'Pulp'])} Street",
        "city": city,
        "state": state,
        "zip": zip_code,
        "homeowner": homeowner,
        "age": rng.randint(21, 80),
        "coverage": rng.choice(["Basic", "Standard", "Premium"]),
    }
    if homeowner:
        lead["home_value"] = f"{rng.choice([180, 320, 450, 650, 900, 1200]) * 1000}.00"
    return lead


def _send_leads(market: Market, secret: str, count: int) -> int:
    from juiced.leads import ingest_views

    rng = random.Random(20261123)
    auth = _auth(market.internal_key, secret)
    sent = 0
    previous: dict[str, Any] | None = None
    for n in range(count):
        lead = _person(rng, n)
        roll = rng.random()
        if roll < 0.04 and previous is not None:
            lead = dict(previous)  # a resubmission: the duplicate rule catches it
        elif roll < 0.07:
            lead["email"] = "not-an-email"  # rejected with a field error, recorded as a submission
        if 0.07 <= roll < 0.25:
            ping = _call(
                ingest_views.ping, "/api/ping", auth, {k: lead[k] for k in ("zip", "state", "homeowner")}
            )
            offers = ping.get("bids") or []
            if ping.get("ping_id"):
                lead["ping_id"] = ping["ping_id"]
                if offers:
                    lead["bid_id"] = offers[0]["id"]
        _call(ingest_views.leads, "/api/leads", auth, lead)
        previous = lead
        sent += 1
    vendor_auth = _auth(market.vendor.api_key, market.vendor_secret)
    for zip_code in ("00001", "00002", "00003", "00004", "00005", "90012"):
        lead = _person(rng, 10_000 + sent)
        lead.update(zip=zip_code, is_test=True)
        _call(
            ingest_views.ping, "/api/ping", vendor_auth, {"zip": zip_code, "is_test": True, "homeowner": True}
        )
        _call(ingest_views.leads, "/api/leads", vendor_auth, lead)
        sent += 1
    return sent


def internal_secret_rotate(source: Source) -> str:
    """A fresh secret for the demo's internal source (only its hash is kept), for `demo --json`."""
    secret = secrets.token_urlsafe(32)
    source.api_secret_hash = hashlib.sha256(secret.encode()).hexdigest()
    source.save(update_fields=["api_secret_hash", "updated_at"])
    return secret


def demo_marketplace(*, tenant: Any, admin: Any, leads: int | None = None) -> bool:
    """Build the demo market once (False when it exists): schema, sources, bids, then `leads` leads
    (default 300, or JUICED_DEMO_LEADS)."""
    if leads is None:
        leads = int(os.environ.get("JUICED_DEMO_LEADS", "300"))
    if LeadCategory.objects.filter(tenant=tenant, name=DEMO_CATEGORY).exists():
        return False
    market = market_build(tenant=tenant, actor=admin)
    _place_bids(tenant, market)
    _send_leads(market, market.internal_secret, leads)
    return True


def demo_source_credentials(*, tenant: Any) -> dict[str, str]:
    """{"api_key", "api_secret"} of the demo's internal source (the secret is rotated to be shown)."""
    source = Source.objects.get(tenant=tenant, name=INTERNAL_SOURCE, deleted_at__isnull=True)
    return {"api_key": source.api_key, "api_secret": internal_secret_rotate(source)}
