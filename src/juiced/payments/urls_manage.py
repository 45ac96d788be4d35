"""juiced.payments dashboard pages, under /manage/<tenant>/ (the `tenant` argument is read by @staff_view)."""

from django.urls import path

from juiced.payments import views

BASE = "customers/<str:customer_id>/payment-methods/"

urlpatterns = [
    path("settings/payments/", views.settings_page, name="payments_settings"),
    path(BASE, views.customer_payments, name="payments_customer"),
    path(BASE + "cards/", views.customer_card_add, name="payments_customer_card_add"),
    *[
        path(
            BASE + f"cards/<str:card_id>/{action}/",
            views.customer_card_action,
            {"action": action},
            name=f"payments_customer_card_{action}",
        )
        for action in ("default", "delete")
    ],
    path(BASE + "deposits/", views.customer_deposit, name="payments_customer_deposit"),
    path(
        BASE + "deposits/preview/", views.customer_deposit_preview, name="payments_customer_deposit_preview"
    ),
    path(BASE + "auto-recharge/", views.customer_auto_recharge, name="payments_customer_auto_recharge"),
]
