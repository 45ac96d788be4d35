"""Dashboard customer pages, under /manage/<tenant>/ (the `tenant` argument is read by @staff_view)."""

from django.urls import path

from juiced.web.views import customer_tabs, customers

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
    # Transactions tab; the old Wallet tab's URL redirects there. Funds (add, remove, timeline) are
    # actions of the Overview.
    path(
        CUSTOMER + "transactions/", customer_tabs.customer_transactions, name="manage_customer_transactions"
    ),
    path(CUSTOMER + "wallet/", customer_tabs.customer_wallet_moved, name="manage_customer_wallet"),
    path(CUSTOMER + "funds/", customer_tabs.customer_funds, name="manage_customer_funds"),
    path(CUSTOMER + "wallet/add/", customer_tabs.customer_add_funds, name="manage_customer_add_funds"),
    path(
        CUSTOMER + "wallet/remove/", customer_tabs.customer_remove_funds, name="manage_customer_remove_funds"
    ),
    path(
        CUSTOMER + "transactions.csv",
        customers.customer_transactions_csv,
        name="manage_customer_transactions_csv",
    ),
    path(CUSTOMER + "users/", customers.customer_users, name="manage_customer_users"),
    path(
        CUSTOMER + "users/<str:user_id>/detach/",
        customers.customer_user_detach,
        name="manage_customer_user_detach",
    ),
    path(CUSTOMER + "invites/", customer_tabs.customer_invites, name="manage_customer_invites"),
    path(
        CUSTOMER + "invites/<str:invite_id>/resend/",
        customer_tabs.customer_invite_resend,
        name="manage_customer_invite_resend",
    ),
    path(
        CUSTOMER + "invites/<str:invite_id>/revoke/",
        customer_tabs.customer_invite_revoke,
        name="manage_customer_invite_revoke",
    ),
    # The Leads tab's returns: start one for a lead, approve or reject a pending one.
    path(
        CUSTOMER + "leads/<str:lead_id>/return/",
        customer_tabs.customer_lead_return,
        name="manage_customer_lead_return",
    ),
    *[
        path(
            CUSTOMER + f"returns/<str:return_id>/{action}/",
            customer_tabs.customer_return_decide,
            {"action": action},
            name=f"manage_customer_return_{action}",
        )
        for action in ("approve", "reject")
    ],
]
