"""Bid services: every validation message, the one-live-bid rule, limits, bid lock, history rows;
and the customer statuses that bids make real (funding, caps and budgets from usage counters)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from juiced.core.errors import Conflict, InvalidState, PermissionDenied, ValidationFailed
from juiced.customers.selectors import (
    customer_list,
    customer_stats,
    customer_statuses,
    customer_statuses_many,
)
from juiced.customers.status import CapStatus, Funding
from juiced.leads import bids
from juiced.leads.models import Bid, BidChange, LeadSettings, LeadTypePricing, UsageCounter
from juiced.leads.usage import period_start_dates


@pytest.fixture
def auto(tenant_a, make_category, make_lead_type):
    return make_lead_type(make_category(tenant_a), "Auto", minimum=1000, step=100, maximum=5000)


def place(tenant, customer, actor, **data):
    return bids.bid_create(tenant=tenant, customer=customer, actor=actor, data=data)


def refused(field, fn, **kw):
    with pytest.raises(ValidationFailed) as info:
        fn(**kw)
    assert field in info.value.fields, info.value.fields
    return info.value.fields[field][0]


def test_create_nationwide_bid_records_history(tenant_a, acme_customer, alice, auto):
    bid = place(tenant_a, acme_customer, alice, lead_type=auto.public_id, scope="nationwide", amount=2500)
    assert (bid.amount, bid.state, bid.county) == (2500, "", "")
    change = BidChange.objects.get(bid=bid)
    assert change.action == "created" and change.changes["amount"] == [None, 2500]
    assert change.actor == alice and "alice@acme.test" in change.actor_label


def test_county_bid_is_stored_in_the_package_spelling(tenant_a, acme_customer, alice, auto):
    bid = place(
        tenant_a,
        acme_customer,
        alice,
        lead_type=auto.public_id,
        scope="county",
        state="california",
        county="los angeles",
        amount=1000,
    )
    assert (bid.state, bid.county) == ("CA", "Los Angeles County")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"scope": "nationwide", "amount": 2500}, "lead_type", "Choose a lead type."),
        (
            {"lead_type": "ltype_nope", "scope": "nationwide", "amount": 2500},
            "lead_type",
            "No such lead type.",
        ),
        ({"scope": "planet", "amount": 2500}, "scope", "Choose a scope: county, state or nationwide."),
        ({"scope": "nationwide"}, "amount", "Enter the bid amount (in cents)."),
        (
            {"scope": "nationwide", "amount": -5},
            "amount",
            "The amount must be a positive whole number of cents.",
        ),
        ({"scope": "nationwide", "amount": 900}, "amount", "The minimum bid is $10.00."),
        ({"scope": "nationwide", "amount": 5100}, "amount", "The maximum bid is $50.00."),
        (
            {"scope": "nationwide", "amount": 2550},
            "amount",
            "Bids go up in steps of $1.00 from $10.00: try $25.00 or $26.00.",
        ),
        (
            {"scope": "nationwide", "state": "CA", "amount": 2500},
            "state",
            "A nationwide bid has no state or county.",
        ),
        ({"scope": "state", "amount": 2500}, "state", "Choose a state."),
        (
            {"scope": "state", "state": "Atlantis", "amount": 2500},
            "state",
            "Unknown state: Atlantis. Use a USPS code such as CA.",
        ),
        (
            {"scope": "state", "state": "CA", "county": "Orange", "amount": 2500},
            "county",
            "A state bid has no county; choose the county scope.",
        ),
        ({"scope": "county", "state": "CA", "amount": 2500}, "county", "Choose a county."),
        (
            {"scope": "county", "state": "CA", "county": "Cook", "amount": 2500},
            "county",
            "Cook is not a county of California.",
        ),
        (
            {"scope": "nationwide", "amount": 2500, "daily_cap": 0},
            "daily_cap",
            "Daily lead cap must be a positive whole number of leads.",
        ),
        (
            {"scope": "nationwide", "amount": 2500, "monthly_budget": "x"},
            "monthly_budget",
            "Monthly budget must be a positive amount in cents.",
        ),
    ],
)
def test_every_validation_message(tenant_a, acme_customer, alice, auto, data, field, message):
    data = {"lead_type": auto.public_id, **data} if "lead_type" not in data and field != "lead_type" else data
    got = refused(field, place, tenant=tenant_a, customer=acme_customer, actor=alice, **data)
    assert got == message
    assert not Bid.objects.exists() and not BidChange.objects.exists()


def test_disabled_scope_and_fixed_price(tenant_a, acme_customer, alice, auto, make_lead_type):
    LeadTypePricing.objects.filter(lead_type=auto, scope="county").update(enabled=False)
    got = refused(
        "scope",
        place,
        tenant=tenant_a,
        customer=acme_customer,
        actor=alice,
        lead_type=auto.public_id,
        scope="county",
        state="CA",
        county="Orange",
        amount=2500,
    )
    assert got == "Bidding at county level is not enabled for Auto."
    fixed = make_lead_type(auto.category, "Home", minimum=3000, fixed=True, is_fallback=False)
    got = refused(
        "amount",
        place,
        tenant=tenant_a,
        customer=acme_customer,
        actor=alice,
        lead_type=fixed.public_id,
        scope="nationwide",
        amount=3100,
    )
    assert got == "Home has a fixed price of $30.00 at this scope; bid exactly that."
    assert place(tenant_a, acme_customer, alice, lead_type=fixed.public_id, scope="nationwide", amount=3000)


def test_archived_or_foreign_lead_type_is_refused(
    tenant_a, tenant_b, acme_customer, alice, auto, make_category, make_lead_type
):
    theirs = make_lead_type(make_category(tenant_b), "Theirs")
    got = refused(
        "lead_type",
        place,
        tenant=tenant_a,
        customer=acme_customer,
        actor=alice,
        lead_type=theirs.public_id,
        scope="nationwide",
        amount=2500,
    )
    assert got == "No such lead type."
    auto.archived_at = timezone.now()
    auto.save()
    got = refused(
        "lead_type",
        place,
        tenant=tenant_a,
        customer=acme_customer,
        actor=alice,
        lead_type=auto.public_id,
        scope="nationwide",
        amount=2500,
    )
    assert got == "Auto is archived; it takes no new bids."


def test_one_live_bid_per_customer_type_scope_and_location(tenant_a, acme_customer, alice, auto):
    first = place(
        tenant_a, acme_customer, alice, lead_type=auto.public_id, scope="state", state="CA", amount=2000
    )
    with pytest.raises(Conflict, match="already has a live bid on Auto at this location"):
        place(
            tenant_a, acme_customer, alice, lead_type=auto.public_id, scope="state", state="ca", amount=3000
        )
    assert place(
        tenant_a, acme_customer, alice, lead_type=auto.public_id, scope="state", state="TX", amount=2000
    )
    bids.bid_archive(bid=first, actor=alice)
    assert place(
        tenant_a, acme_customer, alice, lead_type=auto.public_id, scope="state", state="CA", amount=3000
    )


def test_bid_limits_only_when_enabled(tenant_a, acme_customer, alice, auto):
    LeadSettings.objects.update_or_create(tenant=tenant_a, defaults={"bid_limits_enabled": False})
    got = refused(
        "daily_cap",
        place,
        tenant=tenant_a,
        customer=acme_customer,
        actor=alice,
        lead_type=auto.public_id,
        scope="nationwide",
        amount=2500,
        daily_cap=5,
    )
    assert got == "Bid-level caps and budgets are not enabled for this marketplace."


def test_update_pause_resume_archive_and_history(tenant_a, acme_customer, alice, auto):
    bid = place(tenant_a, acme_customer, alice, lead_type=auto.public_id, scope="nationwide", amount=2500)
    bid = bids.bid_update(bid=bid, actor=alice, data={"amount": 3000, "daily_cap": 4})
    assert (bid.amount, bid.daily_cap) == (3000, 4)
    got = refused("amount", bids.bid_update, bid=bid, actor=alice, data={"amount": 3050})
    assert got.startswith("Bids go up in steps of $1.00")
    got = refused("scope", bids.bid_update, bid=bid, actor=alice, data={"scope": "state"})
    assert "cannot change" in got
    bids.bid_pause(bid=bid, actor=alice)
    bids.bid_pause(bid=bid, actor=alice)  # a second pause changes nothing
    bids.bid_resume(bid=bid, actor=alice)
    bid = bids.bid_archive(bid=bid, actor=alice)
    with pytest.raises(InvalidState):
        bids.bid_pause(bid=bid, actor=alice)
    actions = list(BidChange.objects.filter(bid=bid).order_by("id").values_list("action", flat=True))
    assert actions == ["created", "updated", "paused", "resumed", "archived"]
    updated = BidChange.objects.get(bid=bid, action="updated")
    assert updated.changes == {"amount": [2500, 3000], "daily_cap": [None, 4]}


def test_portal_changes_are_refused_while_bids_are_locked(tenant_a, acme_customer, buyer, auto, alice):
    bid = place(tenant_a, acme_customer, alice, lead_type=auto.public_id, scope="nationwide", amount=2500)
    LeadSettings.objects.update_or_create(tenant=tenant_a, defaults={"bid_lock": True})
    with pytest.raises(PermissionDenied, match="Bids are locked by Acme Leads"):
        bids.bid_create(
            tenant=tenant_a,
            customer=acme_customer,
            actor=buyer,
            via_portal=True,
            data={"lead_type": auto.public_id, "scope": "state", "state": "CA", "amount": 2500},
        )
    for service in (bids.bid_pause, bids.bid_archive):
        with pytest.raises(PermissionDenied):
            service(bid=bid, actor=buyer, via_portal=True)
    with pytest.raises(PermissionDenied):
        bids.bid_update(bid=bid, actor=buyer, data={"amount": 3000}, via_portal=True)
    assert Bid.objects.get(pk=bid.pk).amount == 2500
    bids.bid_pause(bid=bid, actor=alice)  # staff are not locked


# --- customer statuses made real --------------------------------------------------------------------


def test_funding_follows_active_bids(tenant_a, acme_customer, alice, auto, make_bid, fund):
    make_bid(acme_customer, auto, amount=3000)
    make_bid(acme_customer, auto, amount=2000, scope="state", state="CA")
    assert customer_statuses(acme_customer).funding == Funding.EXHAUSTED
    fund(acme_customer, 1500)
    assert customer_statuses(acme_customer).funding == Funding.LIMITED
    fund(acme_customer, 1500)
    assert customer_statuses(acme_customer).funding == Funding.AVAILABLE
    assert customer_stats(acme_customer).active_bids == 2


@pytest.mark.parametrize(("cents", "expected"), [(0, "exhausted"), (1500, "limited"), (5000, "available")])
def test_customer_list_funding_filter_matches_the_status(
    tenant_a, acme_customer, make_customer, auto, make_bid, fund, cents, expected
):
    make_bid(acme_customer, auto, amount=3000)
    if cents:
        fund(acme_customer, cents)
    idle = make_customer("Idle Co")  # no bids, no money: exhausted
    customers = customer_list(customers=tenant_a.customers.all(), funding=expected)
    assert acme_customer in customers
    assert (idle in customers) == (expected == "exhausted")
    statuses = customer_statuses_many(list(customer_list(customers=tenant_a.customers.all())))
    assert statuses[acme_customer.pk].funding.lower() == expected


def test_customer_caps_come_from_usage_counters(tenant_a, acme_customer, django_assert_max_num_queries):
    acme_customer.daily_cap = 2
    acme_customer.save()
    today = period_start_dates(timezone.now())["daily"]
    UsageCounter.objects.create(
        tenant=tenant_a, customer=acme_customer, period="daily", period_start=today, leads=2
    )
    with django_assert_max_num_queries(2):
        assert customer_statuses(acme_customer).cap == CapStatus.EXHAUSTED
