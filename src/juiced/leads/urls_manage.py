"""Dashboard pages for bids, leads and submissions, under /manage/<tenant>/ (see views_manage.py)."""

from django.urls import path

from juiced.leads import views_manage as views

CUSTOMER = "customers/<str:customer_id>/"

urlpatterns = [
    path(CUSTOMER + "bids/", views.customer_bids, name="manage_customer_bids"),
    path(CUSTOMER + "bids/<str:bid_id>/", views.customer_bid, name="manage_customer_bid"),
    *[
        path(CUSTOMER + f"bids/<str:bid_id>/{action}/", views.customer_bid_action, {"action": action})
        for action in views.BID_ACTIONS
    ],
    path(CUSTOMER + "leads/", views.customer_leads, name="manage_customer_leads"),
    path("bids/counties/", views.manage_county_options, name="manage_bid_counties"),
    path("bids/terms/", views.manage_lead_type_terms, name="manage_bid_terms"),
    path("leads/", views.lead_list, name="manage_leads"),
    path("leads/<str:lead_id>/", views.lead_detail, name="manage_lead"),
    path("leads/<str:lead_id>/reprocess/", views.lead_reprocess, name="manage_lead_reprocess"),
    path("submissions/", views.submission_list, name="manage_submissions"),
    path("submissions/<str:submission_id>/", views.submission_detail, name="manage_submission"),
]
