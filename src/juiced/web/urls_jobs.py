"""Background jobs page (Admin), under /manage/<tenant>/."""

urlpatterns: list = []
