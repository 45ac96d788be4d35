"""urls_portal (issue 6): filled by the returns work."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
