"""juiced.webhooks pages (urls_manage)."""

urlpatterns: list = []
