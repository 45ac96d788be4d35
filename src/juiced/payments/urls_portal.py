"""juiced.payments pages (urls_portal)."""

urlpatterns: list = []
