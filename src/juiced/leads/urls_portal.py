"""The buyer's bids and leads in the portal, under /app/ (see views_portal.py)."""

from django.urls import path

from juiced.leads import views_portal as views
from juiced.leads.views_manage import BID_ACTIONS

urlpatterns = [
    path("bids/", views.portal_bids, name="portal_bids"),
    path("bids/preview/", views.portal_bid_preview, name="portal_bid_preview"),
    path("bids/counties/", views.portal_county_options, name="portal_bid_counties"),
    path("bids/terms/", views.portal_lead_type_terms, name="portal_bid_terms"),
    path("bids/<str:bid_id>/", views.portal_bid, name="portal_bid"),
    *[
        path(f"bids/<str:bid_id>/{action}/", views.portal_bid_action, {"action": action})
        for action in BID_ACTIONS
    ],
    path("leads/", views.portal_leads, name="portal_leads"),
    path("leads.csv", views.portal_leads_csv, name="portal_leads_csv"),
    path("leads/<str:lead_id>/", views.portal_lead, name="portal_lead"),
]
