"""The permission table of features/roles.mdx, row by row."""

from __future__ import annotations

import pytest

from juiced.tenants.roles import StaffRole, customer_role_can, role_can

A, CS, S, DV = StaffRole.ADMIN, StaffRole.CUSTOMER_SUPPORT, StaffRole.SALES, StaffRole.DATA_VALIDATION

# permission → the roles that hold it, as the reference table says
TABLE = {
    "leads.view": {A, CS, S, DV},
    "leads.edit": {A, CS, DV},
    "leads.reprocess": {A},
    "customers.view": {A, CS, S},
    "customers.edit": {A, CS},
    "bids.view": {A, CS, S},
    "bids.edit": {A, CS},
    "transactions.view": {A, CS, S},
    "funds.manage": {A, CS},
    "payment_methods.manage": {A, CS},
    "invites.send": {A, CS, S},
    "invites.revoke": {A, CS, S},
    "analytics.view": {A, CS, S},
    "marketplace.view": {A, CS, S},
    "marketplace.manage": {A},
    "sources.manage": {A},
    "lead_types.manage": {A},
    "integrations.manage": {A},
    "users.manage": {A},
    "settings.manage": {A},
    "api_tokens.manage": {A},
}


@pytest.mark.parametrize("permission", sorted(TABLE))
@pytest.mark.parametrize("role", list(StaffRole))
def test_role_holds_a_permission_exactly_as_the_table_says(role, permission):
    assert role_can(role, permission) is (role in TABLE[permission])


def test_unknown_permissions_are_refused_to_everyone():
    assert not any(role_can(role, "everything") for role in StaffRole)


def test_only_a_customer_admin_manages_the_customers_users():
    assert customer_role_can("customer_admin", "users.manage")
    assert not customer_role_can("customer_user", "users.manage")
    assert customer_role_can("customer_user", "wallet.view")
