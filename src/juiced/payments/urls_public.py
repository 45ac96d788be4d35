"""Unauthenticated endpoints of juiced.payments (the signed Stripe webhook), mounted at /webhooks/."""

urlpatterns: list = []
