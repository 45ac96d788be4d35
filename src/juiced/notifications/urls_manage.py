"""juiced.notifications pages (urls_manage)."""

urlpatterns: list = []
