"""juiced.payments portal pages, under /app/."""

from django.urls import path

from juiced.payments import views

urlpatterns = [
    path("payments/", views.portal_payments, name="portal_payments"),
    path("payments/cards/", views.portal_card_add, name="portal_card_add"),
    *[
        path(
            f"payments/cards/<str:card_id>/{action}/",
            views.portal_card_action,
            {"action": action},
            name=f"portal_card_{action}",
        )
        for action in ("default", "delete")
    ],
    path("payments/deposits/", views.portal_deposit, name="portal_deposit"),
    path("payments/deposits/preview/", views.portal_deposit_preview, name="portal_deposit_preview"),
    path("payments/auto-recharge/", views.portal_auto_recharge, name="portal_auto_recharge"),
]
