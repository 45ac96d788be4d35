"""Dashboard routes of the customers app, under /manage/<tenant>/: Settings → Customer onboarding."""

from django.urls import path

from juiced.customers import views_settings

urlpatterns = [
    path("settings/onboarding/", views_settings.onboarding_settings, name="customer_onboarding_settings"),
    path("settings/onboarding/signup", views_settings.signup_settings_save, name="customer_signup_settings"),
    path("settings/onboarding/videos", views_settings.onboarding_video_add, name="onboarding_video_add"),
    path(
        "settings/onboarding/videos/<str:video_id>",
        views_settings.onboarding_video_save,
        name="onboarding_video_save",
    ),
    path(
        "settings/onboarding/videos/<str:video_id>/delete",
        views_settings.onboarding_video_remove,
        name="onboarding_video_remove",
    ),
]
