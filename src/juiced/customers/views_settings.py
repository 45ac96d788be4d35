"""Settings → Customer onboarding (Admin): the self-registration switch and the onboarding video list.

Thin like every dashboard view: `@staff_view("settings.manage")` resolves the tenant, services write.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError
from juiced.customers import onboarding
from juiced.customers.selectors import signup_settings_for
from juiced.customers.services import signup_settings_update
from juiced.web.access import add_domain_errors, staff_view
from juiced.web.forms import OnboardingVideoForm, SignupSettingsForm


def _page_url(request: HttpRequest) -> str:
    return reverse("customer_onboarding_settings", args=[request.access.tenant.slug])


def _video(request: HttpRequest, video_id: str) -> onboarding.OnboardingVideo:
    video = onboarding.onboarding_videos(tenant=request.access.tenant).filter(public_id=video_id).first()
    if video is None:
        raise Http404("No such onboarding video.")
    return video


def _page(
    request: HttpRequest,
    *,
    new_form: OnboardingVideoForm | None = None,
    edited: tuple[str, OnboardingVideoForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    tenant = request.access.tenant
    videos = list(onboarding.onboarding_videos(tenant=tenant))
    rows: list[dict[str, Any]] = []
    for video in videos:
        if edited and edited[0] == video.public_id:
            form = edited[1]
        else:
            initial = {"title": video.title, "url": video.url, "position": video.position}
            form = OnboardingVideoForm(initial=initial, prefix=video.public_id)
        for field in form.fields.values():
            # The inputs sit in table cells; the attribute ties them to the row's own <form>.
            field.widget.attrs["form"] = f"save-{video.public_id}"
        rows.append({"video": video, "form": form})
    signup = signup_settings_for(tenant)
    context = {
        "tenant": tenant,
        "rows": rows,
        "new_form": new_form or OnboardingVideoForm(prefix="new"),
        "signup_form": SignupSettingsForm(
            initial={"allow_self_registration": signup.allow_self_registration}
        ),
        "register_url": request.build_absolute_uri(reverse("portal_register", args=[tenant.slug])),
        "allow_self_registration": signup.allow_self_registration,
    }
    return render(request, "customers/onboarding_settings.html", context, status=status)


@staff_view("settings.manage")
def onboarding_settings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_view("settings.manage")
def signup_settings_save(request: HttpRequest) -> HttpResponse:
    form = SignupSettingsForm(request.POST)
    form.is_valid()
    allowed = bool(form.cleaned_data.get("allow_self_registration"))
    signup_settings_update(tenant=request.access.tenant, actor=request.user, allow_self_registration=allowed)
    messages.success(request, "Self-registration " + ("allowed." if allowed else "turned off."))
    return redirect(_page_url(request))


@require_POST
@staff_view("settings.manage")
def onboarding_video_add(request: HttpRequest) -> HttpResponse:
    form = OnboardingVideoForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            video = onboarding.onboarding_video_create(
                tenant=request.access.tenant, actor=request.user, data=form.cleaned_data
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Added “{video.title}”.")
            return redirect(_page_url(request))
    return _page(request, new_form=form, status=422)


@require_POST
@staff_view("settings.manage")
def onboarding_video_save(request: HttpRequest, video_id: str) -> HttpResponse:
    video = _video(request, video_id)
    form = OnboardingVideoForm(request.POST, prefix=video.public_id)
    if form.is_valid():
        try:
            onboarding.onboarding_video_update(video=video, actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Saved “{video.title}”.")
            return redirect(_page_url(request))
    return _page(request, edited=(video.public_id, form), status=422)


@require_POST
@staff_view("settings.manage")
def onboarding_video_remove(request: HttpRequest, video_id: str) -> HttpResponse:
    video = _video(request, video_id)
    onboarding.onboarding_video_delete(video=video, actor=request.user)
    messages.success(request, f"Removed “{video.title}”.")
    return redirect(_page_url(request))
