"""Dashboard customer pages, under /manage/<tenant>/ (the `tenant` argument is read by @staff_view)."""

from django.urls import path

from juiced.web.views import customers

CUSTOMER = "customers/<str:customer_id>/"

urlpatterns = [
    path("customers/", customers.customer_list, name="manage_customers"),
    path("customers/new/", customers.customer_create, name="manage_customer_create"),
    path(CUSTOMER, customers.customer_overview, name="manage_customer"),
    path(CUSTOMER + "edit/", customers.customer_edit, name="manage_customer_edit"),
    *[
        path(
            CUSTOMER + f"{action}/",
            customers.customer_status_action,
            {"action": action},
            name=f"manage_customer_{action}",
        )
        for action in customers.STATUS_ACTIONS
    ],
    *[
        path(
            CUSTOMER + f"toggles/{field}/",
            customers.customer_toggle,
            {"field": field},
            name=f"manage_customer_toggle_{field}",
        )
        for field in customers.TOGGLE_LABELS
    ],
    path(CUSTOMER + "wallet/", customers.customer_wallet, name="manage_customer_wallet"),
    path(CUSTOMER + "wallet/add/", customers.customer_add_funds, name="manage_customer_add_funds"),
    path(CUSTOMER + "wallet/remove/", customers.customer_remove_funds, name="manage_customer_remove_funds"),
    path(
        CUSTOMER + "transactions.csv",
        customers.customer_transactions_csv,
        name="manage_customer_transactions_csv",
    ),
    path(CUSTOMER + "users/", customers.customer_users, name="manage_customer_users"),
    path(CUSTOMER + "invites/", customers.customer_invite_create, name="manage_customer_invite"),
    path(
        CUSTOMER + "invites/<str:invite_id>/resend/",
        customers.customer_invite_resend,
        name="manage_customer_invite_resend",
    ),
    path(
        CUSTOMER + "invites/<str:invite_id>/revoke/",
        customers.customer_invite_revoke,
        name="manage_customer_invite_revoke",
    ),
    path(
        CUSTOMER + "users/<str:user_id>/detach/",
        customers.customer_user_detach,
        name="manage_customer_user_detach",
    ),
]
