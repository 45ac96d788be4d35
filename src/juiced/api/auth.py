"""Bearer-token authentication for the staff API: one query, then the tenancy choke point's StaffAccess."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from juiced.core.tenancy import StaffAccess
from juiced.tenants.services import api_token_authenticate, api_token_mark_used


class StaffToken(HttpBearer):
    """`Authorization: Bearer jcd_…` → `request.access` (a StaffAccess for the token's tenant and user)."""

    def authenticate(self, request: HttpRequest, token: str) -> StaffAccess | None:
        found = api_token_authenticate(token.strip())
        if found is None:
            return None  # ninja answers 401 through our AuthenticationError handler
        api_token, membership = found
        api_token_mark_used(token=api_token)
        access = StaffAccess(user=api_token.user, tenant=api_token.tenant, role=membership.role)
        request.access = access
        return access


def access_of(request: HttpRequest) -> StaffAccess:
    """The StaffAccess resolved by StaffToken for this request."""
    return request.access
