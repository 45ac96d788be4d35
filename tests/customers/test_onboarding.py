# ruff: noqa: F811  (fixtures are imported from tests.leads.conftest)
"""Onboarding videos gate placing bids: the rule, the watched marks, the automatic Onboarded switch, and
the one check inside `bid_create` that the portal form and the staff API both meet."""

from __future__ import annotations

import pytest

from juiced.core.models import AuditEntry
from juiced.customers.models import OnboardingView
from juiced.customers.onboarding import (
    OnboardingRequired,
    is_direct_video,
    may_place_bids,
    onboarding_progress,
    onboarding_require,
    onboarding_video_create,
    onboarding_video_watch,
)
from juiced.customers.services import customer_update
from juiced.leads.bids import bid_create
from juiced.leads.models import Bid
from tests.api.conftest import call
from tests.leads.conftest import fund, make_bid, make_category, make_lead_type  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def videos(tenant_a, alice):
    return [
        onboarding_video_create(
            tenant=tenant_a, actor=alice, data={"title": "Welcome", "url": "https://cdn.test/welcome.mp4"}
        ),
        onboarding_video_create(
            tenant=tenant_a, actor=alice, data={"title": "How bids work", "url": "https://youtu.be/abc"}
        ),
    ]


@pytest.fixture
def auto(tenant_a, make_category, make_lead_type):
    return make_lead_type(make_category(tenant_a), "Auto", minimum=1000, step=100)


def _bid_data(auto) -> dict:
    return {"lead_type": auto.public_id, "scope": "state", "state": "TX", "amount": 1500}


# --- the rule over plain values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("is_onboarded", "videos", "watched", "expected"),
    [
        (False, 0, 0, True),  # no videos: no requirement
        (False, 2, 1, False),
        (False, 2, 2, True),
        (True, 2, 0, True),  # the staff toggle overrides
    ],
)
def test_may_place_bids_rule(is_onboarded, videos, watched, expected):
    assert may_place_bids(is_onboarded=is_onboarded, videos=videos, watched=watched) is expected


@pytest.mark.parametrize(
    ("url", "direct"),
    [
        ("https://cdn.test/a.mp4", True),
        ("https://cdn.test/a.WEBM?token=1", True),
        ("https://youtu.be/abc", False),
        ("https://vimeo.com/1#t=mp4", False),
    ],
)
def test_direct_files_play_in_the_page_other_addresses_are_links(url, direct):
    assert is_direct_video(url) is direct


# --- the gate -------------------------------------------------------------------------------------------


def test_a_tenant_without_videos_has_no_requirement(acme_customer):
    assert acme_customer.is_onboarded is False
    onboarding_require(customer=acme_customer)  # does not raise


def test_unwatched_videos_refuse_a_new_bid_naming_the_onboarding_page(acme_customer, alice, videos, auto):
    with pytest.raises(OnboardingRequired) as refused:
        bid_create(tenant=acme_customer.tenant, customer=acme_customer, actor=alice, data=_bid_data(auto))
    assert "/app/onboarding/" in refused.value.message
    assert "2 of 2 onboarding videos" in refused.value.message
    assert Bid.objects.count() == 0


def test_the_onboarded_toggle_overrides_the_requirement(acme_customer, alice, videos, auto):
    customer = customer_update(customer=acme_customer, actor=alice, data={"is_onboarded": True})
    bid = bid_create(tenant=customer.tenant, customer=customer, actor=alice, data=_bid_data(auto))
    assert bid.customer_id == customer.pk


def test_watching_every_video_onboards_the_customer_automatically(acme_customer, buyer, videos, auto):
    progress = onboarding_video_watch(customer=acme_customer, user=buyer, video_public_id=videos[0].public_id)
    assert (progress.watched, progress.total, progress.may_bid) == (1, 2, False)
    acme_customer.refresh_from_db()
    assert acme_customer.is_onboarded is False
    with pytest.raises(OnboardingRequired, match="1 of 2 onboarding video "):
        onboarding_require(customer=acme_customer)

    progress = onboarding_video_watch(customer=acme_customer, user=buyer, video_public_id=videos[1].public_id)
    assert progress.may_bid
    acme_customer.refresh_from_db()
    assert acme_customer.is_onboarded is True
    mark = OnboardingView.objects.get(customer=acme_customer, video=videos[1])
    assert mark.user == buyer and mark.watched_at is not None
    actions = list(AuditEntry.objects.filter(customer=acme_customer).values_list("action", flat=True))
    assert actions.count("customer.onboarding_video_watched") == 2
    assert "customer.updated" in actions  # Onboarded switched on, audited as the buyer's doing
    bid_create(tenant=acme_customer.tenant, customer=acme_customer, actor=buyer, data=_bid_data(auto))


def test_marking_twice_records_one_watch(acme_customer, buyer, videos):
    for _ in range(2):
        onboarding_video_watch(customer=acme_customer, user=buyer, video_public_id=videos[0].public_id)
    assert OnboardingView.objects.filter(customer=acme_customer).count() == 1


def test_another_tenants_video_cannot_be_marked(acme_customer, bolt_customer, bob, buyer):
    theirs = onboarding_video_create(
        tenant=bolt_customer.tenant, actor=bob, data={"title": "Bolt intro", "url": "https://b.test/v.mp4"}
    )
    from juiced.core.errors import NotFound

    with pytest.raises(NotFound):
        onboarding_video_watch(customer=acme_customer, user=buyer, video_public_id=theirs.public_id)
    assert OnboardingView.objects.count() == 0
    assert onboarding_progress(customer=acme_customer).total == 0


def test_existing_bids_keep_competing_while_onboarding_is_unfinished(
    acme_customer, alice, videos, auto, make_bid, fund
):
    from juiced.leads import selectors

    fund(acme_customer, 10_000)
    bid = make_bid(acme_customer, auto, amount=2500)
    row = selectors.bid_rows(tenant=acme_customer.tenant, bids=[bid])[0]
    assert acme_customer.is_onboarded is False
    assert row.statuses.display == "Active" and row.standing.competing == 2500


# --- the callers: portal bid form and staff API ---------------------------------------------------------


def test_portal_bid_form_shows_the_onboarding_message(login_client, buyer, videos, auto):
    response = login_client(buyer).post(
        "/app/bids/", {"lead_type": auto.public_id, "scope": "state", "state": "TX", "amount": "15"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "has not finished onboarding" in body and "/app/onboarding/" in body
    assert Bid.objects.count() == 0


def test_api_refuses_with_409_onboarding_required(api_client, alice, tenant_a, acme_customer, videos, auto):
    response = call(
        api_client(alice, tenant_a), "post", f"/customers/{acme_customer.public_id}/bids", _bid_data(auto)
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "onboarding_required"
    assert "/app/onboarding/" in response.json()["error"]["message"]
    assert Bid.objects.count() == 0
