"""Onboarding videos: a tenant's list, each customer's "watched" marks, and the gate on placing bids.

Rule (docs/ledger-and-customers.md, "Onboarding"): a customer may place bids when the staff Onboarded
toggle is on, or when the tenant lists no videos, or when every listed video is marked watched. The last
mark switches Onboarded on by itself (audited), so videos added later do not lock out a customer already
onboarded. The gate covers placing bids only: existing bids keep competing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse

from juiced.core.audit import audit_record
from juiced.core.errors import InvalidState, NotFound, ValidationFailed
from juiced.customers.models import Customer, OnboardingVideo, OnboardingView

# Files a browser plays in a <video> element; other addresses (YouTube, Vimeo, Loom…) are shown as links.
DIRECT_VIDEO_SUFFIXES = (".mp4", ".webm", ".ogg", ".ogv", ".mov", ".m4v")


class OnboardingRequired(InvalidState):
    code = "onboarding_required"
    default_message = "Finish onboarding before placing bids."


@dataclass(frozen=True)
class VideoStatus:
    video: OnboardingVideo
    watched: OnboardingView | None

    @property
    def is_direct_file(self) -> bool:
        return is_direct_video(self.video.url)


@dataclass(frozen=True)
class OnboardingProgress:
    is_onboarded: bool
    videos: list[VideoStatus]

    @property
    def total(self) -> int:
        return len(self.videos)

    @property
    def watched(self) -> int:
        return sum(1 for status in self.videos if status.watched is not None)

    @property
    def may_bid(self) -> bool:
        return may_place_bids(is_onboarded=self.is_onboarded, videos=self.total, watched=self.watched)


def is_direct_video(url: str) -> bool:
    """True for an address ending in a video file suffix (query string and fragment ignored)."""
    path = (url or "").split("#", 1)[0].split("?", 1)[0].lower()
    return path.endswith(DIRECT_VIDEO_SUFFIXES)


def may_place_bids(*, is_onboarded: bool, videos: int, watched: int) -> bool:
    """The onboarding rule over plain counts: the toggle wins, no videos means no requirement."""
    return is_onboarded or videos == 0 or watched >= videos


def onboarding_page_url() -> str:
    return reverse("portal_onboarding")


# --- reads ---------------------------------------------------------------------------------------------


def onboarding_videos(*, tenant: Any):
    return OnboardingVideo.objects.filter(tenant=tenant).order_by("position", "id")


def onboarding_progress(*, customer: Customer) -> OnboardingProgress:
    """Every video of the customer's tenant with this customer's watched mark (two queries)."""
    videos = list(onboarding_videos(tenant=customer.tenant_id))
    marks = {
        mark.video_id: mark
        for mark in OnboardingView.objects.select_related("user").filter(
            customer=customer, video__tenant_id=customer.tenant_id
        )
    }
    statuses = [VideoStatus(video=video, watched=marks.get(video.pk)) for video in videos]
    return OnboardingProgress(is_onboarded=customer.is_onboarded, videos=statuses)


def onboarding_require(*, customer: Customer) -> None:
    """Raise OnboardingRequired (naming the portal page) unless the customer may place bids."""
    if customer.is_onboarded:
        return
    progress = onboarding_progress(customer=customer)
    if progress.may_bid:
        return
    left = progress.total - progress.watched
    videos = "video" if left == 1 else "videos"
    raise OnboardingRequired(
        f"{customer.name} has not finished onboarding: {left} of {progress.total} onboarding {videos} "
        f"still to watch on the Onboarding page ({onboarding_page_url()}) before placing bids."
    )


# --- writes --------------------------------------------------------------------------------------------


@transaction.atomic
def onboarding_video_watch(*, customer: Customer, user: Any, video_public_id: str) -> OnboardingProgress:
    """Mark one video watched for the customer (idempotent); the last one switches Onboarded on."""
    from juiced.customers.services import customer_update

    video = onboarding_videos(tenant=customer.tenant_id).filter(public_id=video_public_id).first()
    if video is None:
        raise NotFound("No such onboarding video.")
    # of=("self",): lock the customer row only, not the joined tenant.
    locked = Customer.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=customer.pk)
    if not OnboardingView.objects.filter(video=video, customer=locked).exists():
        OnboardingView.objects.create(video=video, customer=locked, user=user)
        audit_record(
            tenant=locked.tenant,
            customer=locked,
            actor=user,
            action="customer.onboarding_video_watched",
            summary=f"Watched onboarding video {video.title}",
        )
    progress = onboarding_progress(customer=locked)
    if not locked.is_onboarded and progress.total and progress.watched >= progress.total:
        locked = customer_update(customer=locked, actor=user, data={"is_onboarded": True})
        progress = onboarding_progress(customer=locked)
    return progress


def _clean_video(data: dict[str, Any]) -> dict[str, Any]:
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.core.validators import URLValidator

    errors: dict[str, list[str]] = {}
    title = str(data.get("title") or "").strip()
    url = str(data.get("url") or "").strip()
    if not title:
        errors["title"] = ["Give the video a title."]
    elif len(title) > 200:
        errors["title"] = ["Keep the title under 200 characters."]
    if not url:
        errors["url"] = ["Enter the video's address."]
    elif len(url) > 500:
        errors["url"] = ["Keep the address under 500 characters."]
    else:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except DjangoValidationError:
            errors["url"] = ["Enter a full http:// or https:// address."]
    position: int | None = None
    raw = data.get("position")
    if raw not in (None, ""):
        try:
            position = int(str(raw).strip())
        except ValueError:
            position = -1
        if position < 0:
            errors["position"] = ["Enter a whole number, 0 or more (lower comes first)."]
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    return {"title": title, "url": url, "position": position}


@transaction.atomic
def onboarding_video_create(*, tenant: Any, actor: Any, data: dict[str, Any]) -> OnboardingVideo:
    """Add a video (at the end unless a position is given)."""
    cleaned = _clean_video(data)
    if cleaned["position"] is None:
        last = onboarding_videos(tenant=tenant).values_list("position", flat=True).last()
        cleaned["position"] = 0 if last is None else last + 1
    video = OnboardingVideo.objects.create(tenant=tenant, **cleaned)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="onboarding.video_added",
        summary=f"Added onboarding video {video.title}",
    )
    return video


@transaction.atomic
def onboarding_video_update(*, video: OnboardingVideo, actor: Any, data: dict[str, Any]) -> OnboardingVideo:
    """Change a video's title, address or position."""
    cleaned = _clean_video(data)
    if cleaned["position"] is None:
        cleaned["position"] = video.position
    changes = {
        field: [getattr(video, field), value]
        for field, value in cleaned.items()
        if getattr(video, field) != value
    }
    if changes:
        for field, (_old, new) in changes.items():
            setattr(video, field, new)
        video.save(update_fields=list(changes))
        audit_record(
            tenant=video.tenant,
            actor=actor,
            action="onboarding.video_changed",
            summary=f"Changed onboarding video {video.title}",
            changes=changes,
        )
    return video


@transaction.atomic
def onboarding_video_delete(*, video: OnboardingVideo, actor: Any) -> None:
    """Remove a video and its watched marks (customers already onboarded stay onboarded)."""
    title, tenant = video.title, video.tenant
    video.delete()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="onboarding.video_removed",
        summary=f"Removed onboarding video {title}",
    )
