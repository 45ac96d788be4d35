"""urls_returns_portal (issue 6): the return requests' routes, filled by the returns flow."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
