"""The buyer's own webhooks in the portal, under /app/."""

from django.urls import path

from juiced.webhooks import views

urlpatterns = [
    path("webhooks/", views.portal_webhooks, name="portal_webhooks"),
    path("webhooks/<str:webhook_id>/", views.portal_webhook, name="portal_webhook"),
    *[
        path(f"webhooks/<str:webhook_id>/{action}/", views.portal_webhook_action, {"action": action})
        for action in views.ACTIONS
    ],
    path("webhooks/<str:webhook_id>/deliveries/<str:delivery_id>/resend/", views.portal_webhook_resend),
]
