"""Portal routes of the returns app, under /app/ (the tier list; requests below)."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("juiced.returns.urls_returns_portal")),
]
