"""urls_returns_portal (issue 6): the buyer's return requests, under /app/."""

from django.urls import path

from juiced.returns import views_returns as views

urlpatterns: list = [
    path("returns/", views.portal_list, name="portal_returns"),
    path("returns/new/", views.portal_new, name="portal_return_new"),
]
