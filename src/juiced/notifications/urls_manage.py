"""juiced.notifications dashboard pages (under /manage/<tenant>/)."""

from django.urls import path

from juiced.notifications import views

_C = "customers/<str:customer_id>/"
urlpatterns: list = [
    path(f"{_C}contacts/", views.manage_contacts, name="notif_manage_contacts"),
    path(f"{_C}contacts/<str:contact_id>/", views.manage_contact_edit, name="notif_manage_contact_edit"),
    path(
        f"{_C}contacts/<str:contact_id>/delete/",
        views.manage_contact_delete,
        name="notif_manage_contact_delete",
    ),
    path(f"{_C}contacts/<str:contact_id>/test/", views.manage_contact_test, name="notif_manage_contact_test"),
    path(f"{_C}notifications/", views.manage_history, name="notif_manage_history"),
    path("settings/notifications/", views.manage_settings, name="notif_manage_settings"),
    path(
        "settings/notifications/<str:notification_type>/", views.manage_template, name="notif_manage_template"
    ),
    path(
        "settings/notifications/<str:notification_type>/preview/",
        views.manage_template_preview,
        name="notif_manage_template_preview",
    ),
    path(
        "settings/notifications/<str:notification_type>/reset/",
        views.manage_template_reset,
        name="notif_manage_template_reset",
    ),
]
