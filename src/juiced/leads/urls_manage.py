"""urls_manage: see the module's owner docstring (filled in issue 5)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
