"""Unauthenticated endpoints of juiced.payments (the signed Stripe webhook), mounted at /webhooks/."""

from django.urls import path

from juiced.payments.webhook_views import stripe_webhook

urlpatterns = [
    path("stripe/<slug:tenant_slug>/", stripe_webhook, name="stripe_webhook"),
]
