"""Webhook pages in the dashboard, under /manage/<tenant>/ (the `tenant` argument is read by @staff_view)."""

from django.urls import path

from juiced.webhooks import views

TENANT = "settings/webhooks/"
CUSTOMER = "customers/<str:customer_id>/webhooks/"

urlpatterns = [
    path(TENANT, views.tenant_webhooks, name="manage_webhooks"),
    path(TENANT + "settings/", views.tenant_webhook_settings, name="manage_webhook_settings"),
    path(TENANT + "<str:webhook_id>/", views.tenant_webhook, name="manage_webhook"),
    *[
        path(TENANT + f"<str:webhook_id>/{action}/", views.tenant_webhook_action, {"action": action})
        for action in views.ACTIONS
    ],
    path(TENANT + "<str:webhook_id>/deliveries/<str:delivery_id>/resend/", views.tenant_webhook_resend),
    path(CUSTOMER, views.customer_webhooks, name="manage_customer_webhooks"),
    path(CUSTOMER + "<str:webhook_id>/", views.customer_webhook, name="manage_customer_webhook"),
    *[
        path(CUSTOMER + f"<str:webhook_id>/{action}/", views.customer_webhook_action, {"action": action})
        for action in views.ACTIONS
    ],
    path(CUSTOMER + "<str:webhook_id>/deliveries/<str:delivery_id>/resend/", views.customer_webhook_resend),
]
