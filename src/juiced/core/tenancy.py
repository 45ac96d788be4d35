"""The one place that decides who may see which tenant's and customer's data.

Every dashboard view and staff API call gets a `StaffAccess` from `staff_access()`, every portal view a
`CustomerAccess` from `customer_access()`, and loads records only through their methods. A record of
another tenant, or of a customer the user does not belong to, is simply not found (404), so its
existence is never revealed.
"""

from __future__ import annotations

from dataclasses import dataclass

from juiced.core import rawsql
from juiced.core.errors import NotFound, PermissionDenied
from juiced.customers.models import Customer, CustomerMembership
from juiced.tenants.models import Membership, Tenant, User
from juiced.tenants.roles import StaffRole, customer_role_can, role_can
from juiced.wallets.models import Wallet

_CUSTOMER_SQL = (
    f"SELECT {rawsql.columns(Customer, 'c')}, {rawsql.columns(Wallet, 'w')} "
    'FROM "customers_customer" c JOIN "wallets_wallet" w ON w."customer_id" = c."id" '
    'WHERE c."public_id" = %s AND c."tenant_id" = %s'
)


@dataclass(frozen=True)
class StaffAccess:
    user: User
    tenant: Tenant
    role: str

    @property
    def role_label(self) -> str:
        return StaffRole(self.role).label

    def can(self, permission: str) -> bool:
        return role_can(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"Your role ({self.role_label}) does not allow this.")

    def customers(self):
        return Customer.objects.filter(tenant=self.tenant)

    def customer(self, public_id: str, *, permission: str = "customers.view") -> Customer:
        """The tenant's customer with this public id, or NotFound; checks the permission first."""
        self.require(permission)
        if not rawsql.available():
            customer = self.customers().select_related("wallet", "tenant").filter(public_id=public_id).first()
            if customer is None:
                raise NotFound("No such customer.")
            return customer
        # One fixed, prepared statement: this runs on every money-moving API call.
        row = rawsql.fetch_one(_CUSTOMER_SQL, [public_id, self.tenant.pk])
        if row is None:
            raise NotFound("No such customer.")
        split = rawsql.width(Customer)
        customer = rawsql.instance(Customer, row[:split])
        wallet = rawsql.instance(Wallet, row[split:])
        customer.tenant = self.tenant
        wallet.tenant = self.tenant
        wallet.customer = customer
        customer.wallet = wallet
        return customer


def staff_access(user: User | None, tenant_slug: str) -> StaffAccess:
    """The user's role at the tenant, or NotFound when the user is not on its staff."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotFound("No such tenant.")
    membership = (
        Membership.objects.select_related("tenant").filter(user=user, tenant__slug=tenant_slug).first()
    )
    if membership is None:
        raise NotFound("No such tenant.")
    return StaffAccess(user=user, tenant=membership.tenant, role=membership.role)


def staff_access_for_tenant(user: User, tenant: Tenant) -> StaffAccess:
    membership = Membership.objects.filter(user=user, tenant=tenant).first()
    if membership is None or not user.is_active:
        raise NotFound("No such tenant.")
    return StaffAccess(user=user, tenant=tenant, role=membership.role)


@dataclass(frozen=True)
class CustomerAccess:
    user: User
    customer: Customer
    role: str

    @property
    def tenant(self) -> Tenant:
        return self.customer.tenant

    def can(self, permission: str) -> bool:
        return customer_role_can(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied("Your role on this account does not allow this.")


def customer_memberships(user: User):
    """Every customer the user may act for, for the portal's switcher."""
    return (
        CustomerMembership.objects.filter(user=user, customer__archived_at__isnull=True)
        .select_related("customer", "customer__tenant")
        .order_by("customer__name", "customer__id")
    )


def customer_access(user: User | None, customer_public_id: str | None) -> CustomerAccess:
    """The user's access to one customer (the first one when no id is given), or NotFound."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotFound("No such customer.")
    memberships = customer_memberships(user).select_related("customer__wallet")
    if customer_public_id:
        memberships = memberships.filter(customer__public_id=customer_public_id)
    membership = memberships.first()
    if membership is None:
        raise NotFound("No such customer.")
    return CustomerAccess(user=user, customer=membership.customer, role=membership.role)
