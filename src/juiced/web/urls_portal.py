"""The buyer portal, under /app/."""

from django.urls import path

from juiced.web.views import portal

urlpatterns = [
    path("", portal.portal_wallet, name="portal_wallet"),
    path("transactions/", portal.portal_transactions, name="portal_transactions"),
    path("transactions.csv", portal.portal_transactions_csv, name="portal_transactions_csv"),
    path("switch", portal.portal_switch, name="portal_switch"),
]
