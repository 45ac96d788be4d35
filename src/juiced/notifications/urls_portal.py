"""juiced.notifications pages (urls_portal)."""

urlpatterns: list = []
