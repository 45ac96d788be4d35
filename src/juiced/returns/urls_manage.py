"""Dashboard routes of the returns app, under /manage/<tenant>/ (tiers and settings; requests below)."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("juiced.returns.urls_returns_manage")),
]
