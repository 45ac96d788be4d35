"""juiced.payments pages (urls_manage)."""

urlpatterns: list = []
