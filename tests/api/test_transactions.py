"""GET /api/manage/customers/{id}/transactions: newest first, filters by event, search and dates, pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from juiced.wallets.models import Transaction
from juiced.wallets.services import Related, hold_place, hold_release, wallet_credit, wallet_debit
from tests.api.conftest import assert_error, call


@pytest.fixture
def history(funded_acme, alice):
    """Opening balance, a fee, a lead charge by the system, and a hold placed and released."""
    wallet = funded_acme.wallet
    wallet_debit(wallet=wallet, amount=300, description="Monthly fee", actor=alice)
    wallet_debit(
        wallet=wallet,
        amount=1500,
        event="lead_assigned",
        description="Lead for 78701",
        related=Related("lead", "lead_01j0000000000000000000000a"),
    )
    hold, _ = hold_place(wallet=wallet, amount=700, description="Buy order")
    hold_release(hold=hold, description="Buy order released")
    return funded_acme


def list_for(client, customer, query=""):
    response = call(client, "get", f"/customers/{customer.public_id}/transactions{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_lists_newest_first_with_exact_amounts(alice_api, history):
    body = list_for(alice_api, history)
    assert body["object"] == "list" and body["total"] == 5 and body["has_more"] is False
    rows = body["data"]
    assert [r["event"] for r in rows] == [
        "released_buy_order",
        "placed_buy_order",
        "lead_assigned",
        "funds_subtracted_by_tenant",
        "funds_added_by_tenant",
    ]
    assert [(r["amount"], r["held_delta"], r["balance_after"], r["available_after"]) for r in rows] == [
        (0, -700, 3200, 3200),
        (0, 700, 3200, 2500),
        (-1500, 0, 3200, 3200),
        (-300, 0, 4700, 4700),
        (5000, 0, 5000, 5000),
    ]
    lead = rows[2]
    assert lead["related"] == {"type": "lead", "id": "lead_01j0000000000000000000000a"}
    assert lead["actor"] == {"type": "system"}


def test_filters_by_repeated_or_comma_separated_events(alice_api, history):
    query = "?event=lead_assigned,funds_added_by_tenant&event=placed_buy_order"
    events = [r["event"] for r in list_for(alice_api, history, query)["data"]]
    assert events == ["placed_buy_order", "lead_assigned", "funds_added_by_tenant"]


def test_an_unknown_event_is_422(alice_api, history):
    response = call(
        alice_api, "get", f"/customers/{history.public_id}/transactions?event=lead_assigned,bogus"
    )
    error = assert_error(response, 422, "invalid", "event")
    assert "bogus" in error["fields"]["event"][0]


def test_search_matches_description_id_or_related_record(alice_api, history):
    assert [r["event"] for r in list_for(alice_api, history, "?search=fee")["data"]] == [
        "funds_subtracted_by_tenant"
    ]
    assert list_for(alice_api, history, "?search=lead_01j0000")["total"] == 1


def test_since_and_until_are_inclusive_utc_dates(alice_api, history):
    today = timezone.now().date()
    assert list_for(alice_api, history, f"?since={today}&until={today}")["total"] == 5
    assert list_for(alice_api, history, f"?since={today + timedelta(days=1)}")["total"] == 0
    assert list_for(alice_api, history, f"?until={today - timedelta(days=1)}")["total"] == 0
    response = call(alice_api, "get", f"/customers/{history.public_id}/transactions?since=yesterday")
    assert_error(response, 422, "invalid", "since")


def test_pages_of_transactions(alice_api, history):
    first = list_for(alice_api, history, "?per_page=2")
    third = list_for(alice_api, history, "?per_page=2&page=3")
    assert len(first["data"]) == 2 and first["has_more"] is True
    assert [r["event"] for r in third["data"]] == ["funds_added_by_tenant"] and third["has_more"] is False
    assert_error(
        call(alice_api, "get", f"/customers/{history.public_id}/transactions?per_page=101"), 422, "invalid"
    )


def test_only_this_customers_transactions(alice_api, history, tenant_a, alice):
    from juiced.customers.services import customer_create

    other = customer_create(tenant=tenant_a, actor=alice, data={"name": "Other", "email": "o@o.test"})
    wallet_credit(wallet=other.wallet, amount=999, description="Other money", actor=alice)
    assert list_for(alice_api, other)["total"] == 1
    assert all(r["customer"] == history.public_id for r in list_for(alice_api, history)["data"])


def test_list_runs_a_bounded_number_of_queries(alice_api, funded_acme, alice, django_assert_max_num_queries):
    for n in range(40):
        wallet_credit(wallet=funded_acme.wallet, amount=100 + n, description=f"Credit {n}", actor=alice)
    with django_assert_max_num_queries(5):  # token, last-used stamp, customer, count, page (actors joined)
        body = list_for(alice_api, funded_acme, "?per_page=100")
    assert body["total"] == Transaction.objects.filter(wallet=funded_acme.wallet).count() == 41
