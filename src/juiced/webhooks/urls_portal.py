"""juiced.webhooks pages (urls_portal)."""

urlpatterns: list = []
