"""Staff roles and the permission table (reference: features/roles.mdx). One place decides who may do what."""

from __future__ import annotations

from django.db import models


class StaffRole(models.TextChoices):
    ADMIN = "admin", "Admin"
    CUSTOMER_SUPPORT = "customer_support", "Customer Support"
    SALES = "sales", "Sales"
    DATA_VALIDATION = "data_validation", "Data Validation"
    # Prepaid vending (issue 8): counter staff and their supervisor; they see only the vending pages.
    CASHIER = "cashier", "Cashier"
    VENDING_SUPERVISOR = "vending_supervisor", "Vending Supervisor"


class CustomerRole(models.TextChoices):
    CUSTOMER_ADMIN = "customer_admin", "Customer Admin"
    CUSTOMER_USER = "customer_user", "Customer User"


# The lead marketplace's four roles (features/roles.mdx); vending roles get only vending permissions.
_ALL = frozenset({StaffRole.ADMIN, StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION})
_ADMIN = frozenset({StaffRole.ADMIN})
_ADMIN_SUPPORT = frozenset({StaffRole.ADMIN, StaffRole.CUSTOMER_SUPPORT})
_ADMIN_SUPPORT_SALES = frozenset({StaffRole.ADMIN, StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES})

# permission → roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "customers.view": _ADMIN_SUPPORT_SALES,
    "customers.edit": _ADMIN_SUPPORT,
    "transactions.view": _ADMIN_SUPPORT_SALES,
    "funds.manage": _ADMIN_SUPPORT,
    "payment_methods.manage": _ADMIN_SUPPORT,
    "invites.send": _ADMIN_SUPPORT_SALES,
    "invites.revoke": _ADMIN_SUPPORT_SALES,
    "customer_users.manage": _ADMIN_SUPPORT,
    "bids.view": _ADMIN_SUPPORT_SALES,
    "bids.edit": _ADMIN_SUPPORT,
    "leads.view": _ALL,
    "leads.edit": frozenset({StaffRole.ADMIN, StaffRole.CUSTOMER_SUPPORT, StaffRole.DATA_VALIDATION}),
    "leads.reprocess": _ADMIN,
    "analytics.view": _ADMIN_SUPPORT_SALES,
    "marketplace.view": _ADMIN_SUPPORT_SALES,
    "marketplace.manage": _ADMIN,
    "sources.manage": _ADMIN,
    "lead_types.manage": _ADMIN,
    "integrations.manage": _ADMIN,
    "users.manage": _ADMIN,
    "settings.manage": _ADMIN,
    "api_tokens.manage": _ADMIN,
}

# --- Notifications (issue 4): contacts use customers.view / customers.edit; templates and channels:
PERMISSIONS |= {
    "notifications.manage": _ADMIN,
}

CUSTOMER_PERMISSIONS: dict[str, frozenset[str]] = {
    "wallet.view": frozenset(CustomerRole),
    "transactions.view": frozenset(CustomerRole),
    "users.manage": frozenset({CustomerRole.CUSTOMER_ADMIN}),
    "billing.manage": frozenset({CustomerRole.CUSTOMER_ADMIN}),
    # Seed 000: the operational status is "controlled by you or them": a Customer Admin may pause/resume.
    "account.pause": frozenset({CustomerRole.CUSTOMER_ADMIN}),
    # --- webhooks (issue 4): the customer's own lead webhooks, managed in the portal ---
    "webhooks.manage": frozenset({CustomerRole.CUSTOMER_ADMIN}),
}

# --- Notifications (issue 4): every customer user sees contacts and in-app notifications.
CUSTOMER_PERMISSIONS |= {
    "contacts.view": frozenset(CustomerRole),
    "contacts.manage": frozenset({CustomerRole.CUSTOMER_ADMIN}),
    "notifications.view": frozenset(CustomerRole),
}

# --- Leads and bids (issue 5): every customer user sees the customer's bids and leads; the Customer Admin
# creates, edits, pauses and archives bids (unless the tenant locks bids).
CUSTOMER_PERMISSIONS |= {
    "bids.view": frozenset(CustomerRole),
    "bids.manage": frozenset({CustomerRole.CUSTOMER_ADMIN}),
    "leads.view": frozenset(CustomerRole),
}

# --- Returns (issue 6): staff decide returns per the roles table; tiers and return settings are Admin-only
# (non-Admins with customers.view see the tier table read-only). Buyers request returns of their leads.
PERMISSIONS |= {
    "returns.view": _ADMIN_SUPPORT_SALES,
    "returns.decide": _ADMIN_SUPPORT,
    "return_tiers.manage": _ADMIN,
}
CUSTOMER_PERMISSIONS |= {
    "returns.view": frozenset(CustomerRole),
    "returns.request": frozenset(CustomerRole),
}

# --- Prepaid vending (issue 8, seed 002). Cashiers sell and close their own batch; the Vending Supervisor
# also manages accounts, reverses sales, issues free credit and management tokens; tariffs are Admin's.
_VEND_ALL = frozenset(
    {StaffRole.ADMIN, StaffRole.VENDING_SUPERVISOR, StaffRole.CASHIER, StaffRole.CUSTOMER_SUPPORT}
)
_VEND_SELL = frozenset({StaffRole.ADMIN, StaffRole.VENDING_SUPERVISOR, StaffRole.CASHIER})
_VEND_SUPER = frozenset({StaffRole.ADMIN, StaffRole.VENDING_SUPERVISOR})
PERMISSIONS |= {
    "vending.view": _VEND_ALL,
    "vending.sell": _VEND_SELL,
    "vending.sms": _VEND_ALL,
    "vending.accounts.manage": _VEND_SUPER,
    "vending.free_issue": _VEND_SUPER,
    "vending.reverse": _VEND_SUPER,
    "vending.arrears.manage": _VEND_SUPER,
    "vending.tokens.manage": frozenset(
        {StaffRole.ADMIN, StaffRole.VENDING_SUPERVISOR, StaffRole.CUSTOMER_SUPPORT}
    ),
    "vending.vendors.manage": _VEND_SUPER,
    "vending.batches.view_all": _VEND_SUPER,
    "vending.tariffs.manage": _ADMIN,
}


def role_can(role: str, permission: str) -> bool:
    """True when the staff `role` holds `permission`; unknown permissions are refused."""
    return role in PERMISSIONS.get(permission, frozenset())


def customer_role_can(role: str, permission: str) -> bool:
    return role in CUSTOMER_PERMISSIONS.get(permission, frozenset())
