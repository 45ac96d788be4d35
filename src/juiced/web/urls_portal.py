"""The buyer portal, under /app/."""

from django.urls import path

from juiced.web.views import portal
from juiced.web.views_auth import register_view

urlpatterns = [
    path("", portal.portal_wallet, name="portal_wallet"),
    path("transactions/", portal.portal_transactions, name="portal_transactions"),
    path("transactions.csv", portal.portal_transactions_csv, name="portal_transactions_csv"),
    path("switch", portal.portal_switch, name="portal_switch"),
    path("account/pause", portal.portal_account_pause, {"action": "pause"}, name="portal_account_pause"),
    path("account/resume", portal.portal_account_pause, {"action": "resume"}, name="portal_account_resume"),
    path("register/<slug:tenant>/", register_view, name="portal_register"),
    path("onboarding/", portal.portal_onboarding, name="portal_onboarding"),
    path("onboarding/<str:video_id>/watched", portal.portal_onboarding_watch, name="portal_onboarding_watch"),
]
