# ruff: noqa: F811  (fixtures are imported from tests.leads.conftest)
"""Seed 000: "Can Access Bidding — allow or restrict this customer from placing bids"."""

from __future__ import annotations

import pytest

from juiced.core.errors import PermissionDenied
from juiced.customers.services import customer_update
from juiced.leads.bids import bid_create
from juiced.leads.models import Bid
from tests.leads.conftest import make_category, make_lead_type  # noqa: F401


@pytest.fixture
def auto(tenant_a, make_category, make_lead_type):
    return make_lead_type(make_category(tenant_a), name="Auto")


def _data(auto) -> dict:
    return {"lead_type": auto.public_id, "scope": "state", "state": "TX", "amount": 1500}


def test_a_customer_without_bidding_access_cannot_place_bids_in_the_portal(
    tenant_a, alice, acme_customer, auto
):
    customer_update(customer=acme_customer, actor=alice, data={"can_access_bidding": False})
    with pytest.raises(PermissionDenied, match="Bidding is turned off"):
        bid_create(tenant=tenant_a, customer=acme_customer, actor=alice, data=_data(auto), via_portal=True)
    assert Bid.objects.count() == 0


def test_the_portal_form_says_bidding_is_off(tenant_a, alice, acme_customer, buyer, login_client, auto):
    customer_update(customer=acme_customer, actor=alice, data={"can_access_bidding": False})
    response = login_client(buyer).post("/app/bids/", {**_data(auto), "amount": "15"})
    assert "Bidding is turned off" in response.content.decode()
    assert Bid.objects.count() == 0


def test_with_bidding_access_the_same_bid_is_placed(tenant_a, alice, acme_customer, auto):
    bid = bid_create(tenant=tenant_a, customer=acme_customer, actor=alice, data=_data(auto), via_portal=True)
    assert bid.amount == 1500
