"""Onboarding pages: the buyer's /app/onboarding/ (videos, Mark as watched, htmx) and the Admin's
Settings → Customer onboarding (videos and the self-registration switch), roles and tenant isolation."""

from __future__ import annotations

import pytest

from juiced.core.models import AuditEntry
from juiced.customers.models import CustomerSignupSettings, OnboardingVideo, OnboardingView
from juiced.customers.onboarding import onboarding_video_create
from juiced.tenants.roles import StaffRole

pytestmark = pytest.mark.django_db

SETTINGS = "/manage/acme-leads/settings/onboarding/"


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


# --- portal ---------------------------------------------------------------------------------------------


def test_portal_lists_videos_as_players_or_links(login_client, buyer, videos):
    body = login_client(buyer).get("/app/onboarding/").content.decode()
    assert '<video controls preload="metadata" src="https://cdn.test/welcome.mp4"' in body
    assert 'href="https://youtu.be/abc"' in body and "<video" in body and body.count("<video") == 1
    assert body.count("Mark as watched") == 2
    assert "0 of 2 videos watched" in body


def test_the_wallet_points_to_unfinished_onboarding(login_client, buyer, videos):
    body = login_client(buyer).get("/app/").content.decode()
    assert 'data-testid="onboarding-notice"' in body and 'href="/app/onboarding/"' in body


def test_no_notice_without_videos(login_client, buyer):
    assert 'data-testid="onboarding-notice"' not in login_client(buyer).get("/app/").content.decode()
    body = login_client(buyer).get("/app/onboarding/").content.decode()
    assert "No onboarding videos to watch" in body


def test_mark_as_watched_records_who_and_when_and_onboards_at_the_end(
    login_client, buyer, videos, acme_customer
):
    client = login_client(buyer)
    first = client.post(f"/app/onboarding/{videos[0].public_id}/watched")
    assert first.status_code == 302
    mark = OnboardingView.objects.get(video=videos[0], customer=acme_customer)
    assert mark.user == buyer
    page = client.get("/app/onboarding/").content.decode()
    assert "1 of 2 videos watched" in page and "by Betty Buyer" in page

    partial = client.post(f"/app/onboarding/{videos[1].public_id}/watched", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="onboarding-videos">') or 'id="onboarding-videos"' in body
    assert "<html" not in body and "Onboarding complete" in body
    acme_customer.refresh_from_db()
    assert acme_customer.is_onboarded is True


def test_a_customer_user_may_mark_too(login_client, acme_customer, videos):
    from juiced.customers.models import CustomerMembership
    from juiced.tenants.models import User
    from juiced.tenants.roles import CustomerRole

    user = User.objects.create_user(email="clerk@acmeins.test", password="x-long-pass-123")
    CustomerMembership.objects.create(customer=acme_customer, user=user, role=CustomerRole.CUSTOMER_USER)
    assert login_client(user).post(f"/app/onboarding/{videos[0].public_id}/watched").status_code == 302
    assert OnboardingView.objects.filter(customer=acme_customer, user=user).exists()


def test_another_tenants_video_is_not_found_in_the_portal(login_client, buyer, tenant_b, bob):
    theirs = onboarding_video_create(
        tenant=tenant_b, actor=bob, data={"title": "Bolt intro", "url": "https://b.test/v.mp4"}
    )
    response = login_client(buyer).post(f"/app/onboarding/{theirs.public_id}/watched")
    assert response.status_code == 404
    assert OnboardingView.objects.count() == 0
    assert "Bolt intro" not in login_client(buyer).get("/app/onboarding/").content.decode()


def test_the_portal_page_needs_a_login(client, videos):
    response = client.get("/app/onboarding/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- staff settings -------------------------------------------------------------------------------------


def test_admin_adds_edits_orders_and_removes_videos(login_client, alice, tenant_a):
    client = login_client(alice)
    page = client.get(SETTINGS)
    assert page.status_code == 200 and "No onboarding videos" in page.content.decode()
    assert "Customer onboarding" in page.content.decode()  # the settings nav link

    add = f"{SETTINGS}videos"
    assert client.post(add, {"new-title": "Second", "new-url": "https://v.test/2.mp4"}).status_code == 302
    assert (
        client.post(
            add, {"new-title": "First", "new-url": "https://v.test/1.mp4", "new-position": "0"}
        ).status_code
        == 302
    )
    second = OnboardingVideo.objects.get(title="Second")
    assert second.position == 0
    prefix = second.public_id
    saved = client.post(
        f"{SETTINGS}videos/{second.public_id}",
        {
            f"{prefix}-title": "Second, renamed",
            f"{prefix}-url": "https://v.test/2.webm",
            f"{prefix}-position": "5",
        },
    )
    assert saved.status_code == 302
    assert [v.title for v in OnboardingVideo.objects.filter(tenant=tenant_a)] == ["First", "Second, renamed"]
    assert client.post(f"{SETTINGS}videos/{second.public_id}/delete").status_code == 302
    assert list(OnboardingVideo.objects.values_list("title", flat=True)) == ["First"]
    actions = set(AuditEntry.objects.filter(tenant=tenant_a).values_list("action", flat=True))
    assert {"onboarding.video_added", "onboarding.video_changed", "onboarding.video_removed"} <= actions


def test_video_form_errors_are_shown_per_field_and_keep_input(login_client, alice):
    response = login_client(alice).post(
        f"{SETTINGS}videos", {"new-title": "", "new-url": "ftp://nope", "new-position": "-2"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Give the video a title." in body
    assert "Enter a full http:// or https:// address." in body
    assert "Enter a whole number, 0 or more" in body
    assert 'value="ftp://nope"' in body
    assert OnboardingVideo.objects.count() == 0


def test_admin_turns_self_registration_off_and_on(login_client, alice, tenant_a):
    client = login_client(alice)
    assert "checked" in client.get(SETTINGS).content.decode()  # allowed by default
    client.post(f"{SETTINGS}signup", {})
    assert CustomerSignupSettings.objects.get(tenant=tenant_a).allow_self_registration is False
    client.post(f"{SETTINGS}signup", {"allow_self_registration": "on"})
    assert CustomerSignupSettings.objects.get(tenant=tenant_a).allow_self_registration is True


@pytest.mark.parametrize("role", [StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION])
def test_only_admins_manage_onboarding(login_client, make_staff, role, videos, tenant_a):
    client = login_client(make_staff(role))
    assert client.get(SETTINGS).status_code == 403
    assert (
        client.post(f"{SETTINGS}videos", {"new-title": "X", "new-url": "https://v.test/x.mp4"}).status_code
        == 403
    )
    assert client.post(f"{SETTINGS}videos/{videos[0].public_id}/delete").status_code == 403
    assert client.post(f"{SETTINGS}signup", {}).status_code == 403
    assert OnboardingVideo.objects.count() == 2
    assert not CustomerSignupSettings.objects.filter(tenant=tenant_a).exists()


def test_another_tenants_admin_gets_404(login_client, bob, videos):
    client = login_client(bob)
    assert client.get(SETTINGS).status_code == 404
    assert client.post(f"{SETTINGS}videos/{videos[0].public_id}/delete").status_code == 404
    # …and cannot reach tenant A's video through tenant B's own page either.
    assert (
        client.post(f"/manage/bolt-leads/settings/onboarding/videos/{videos[0].public_id}/delete").status_code
        == 404
    )
    assert OnboardingVideo.objects.count() == 2


def test_the_overview_shows_onboarding_progress(login_client, alice, acme_customer, videos):
    body = (
        login_client(alice).get(f"/manage/acme-leads/customers/{acme_customer.public_id}/").content.decode()
    )
    assert 'data-testid="onboarding-progress"' in body and "0 of 2 onboarding videos watched" in body


def test_portal_nav_links_to_onboarding_until_onboarded(login_client, buyer, acme_customer):
    assert 'href="/app/onboarding/"' in login_client(buyer).get("/app/").content.decode()
    acme_customer.is_onboarded = True
    acme_customer.save(update_fields=["is_onboarded"])
    assert 'href="/app/onboarding/"' not in login_client(buyer).get("/app/").content.decode()
