"""juiced.notifications portal pages (under /app/)."""

from django.urls import path

from juiced.notifications import views

urlpatterns: list = [
    path("contacts/", views.portal_contacts, name="notif_portal_contacts"),
    path("contacts/<str:contact_id>/", views.portal_contact_edit, name="notif_portal_contact_edit"),
    path(
        "contacts/<str:contact_id>/delete/", views.portal_contact_delete, name="notif_portal_contact_delete"
    ),
    path("contacts/<str:contact_id>/test/", views.portal_contact_test, name="notif_portal_contact_test"),
    path("notifications/", views.portal_inbox, name="notif_portal_inbox"),
    path("notifications/read-all/", views.portal_read_all, name="notif_portal_read_all"),
]
