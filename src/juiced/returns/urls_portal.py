"""Portal routes of the returns app, under /app/ (the tier list; requests below)."""

from django.urls import include, path

from juiced.returns import views_tiers as v

urlpatterns: list = [
    path("returns/tiers/", v.portal_tiers, name="portal-return-tiers"),
    path("", include("juiced.returns.urls_returns_portal")),
]
