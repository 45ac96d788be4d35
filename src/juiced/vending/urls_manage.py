"""Vending pages under /manage/<tenant>/vending/ (the `tenant` argument is read by @staff_view)."""

from django.urls import path  # noqa: F401  (filled by the vending pages)

urlpatterns: list = []
