"""urls_returns_manage (issue 6): the return requests' dashboard routes, under /manage/<tenant>/."""

from django.urls import path

from juiced.returns import views_returns as views

urlpatterns: list = [
    path("returns/", views.queue, name="manage_returns"),
    path("returns/new/", views.staff_request, name="manage_return_new"),
    path("returns/bulk/", views.bulk, name="manage_returns_bulk"),
    path(
        "returns/<str:return_id>/approve/", views.decide, {"action": "approve"}, name="manage_return_approve"
    ),
    path("returns/<str:return_id>/reject/", views.decide, {"action": "reject"}, name="manage_return_reject"),
]
