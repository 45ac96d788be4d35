"""Reads for the Team and Settings pages: staff, pending staff invites and API tokens of one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from juiced.core.errors import NotFound
from juiced.tenants.models import ApiToken, Invite, Membership, Tenant, User


def staff_list(*, tenant: Tenant) -> QuerySet[Membership]:
    """The tenant's staff memberships with their users, by name then e-mail."""
    return (
        Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__name", "user__email")
    )


def staff_invites_open(*, tenant: Tenant) -> QuerySet[Invite]:
    """Staff invites not yet accepted or revoked (expired ones included, so they can be resent)."""
    return Invite.objects.filter(
        tenant=tenant, kind=Invite.Kind.STAFF, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def staff_invite_get(*, tenant: Tenant, public_id: str) -> Invite:
    """One of the tenant's staff invites, or NotFound (another tenant's invite is never found)."""
    invite = Invite.objects.filter(tenant=tenant, kind=Invite.Kind.STAFF, public_id=public_id).first()
    if invite is None:
        raise NotFound("No such invitation.")
    return invite


def api_token_list(*, tenant: Tenant) -> QuerySet[ApiToken]:
    """Every API token of the tenant, newest first, with its owner."""
    return ApiToken.objects.filter(tenant=tenant).select_related("user").order_by("-created_at", "-id")


def api_token_get(*, tenant: Tenant, public_id: str) -> ApiToken:
    """One of the tenant's API tokens, or NotFound."""
    token = ApiToken.objects.filter(tenant=tenant, public_id=public_id).first()
    if token is None:
        raise NotFound("No such API token.")
    return token


def user_by_email(*, email: str) -> User | None:
    """The account with this e-mail (stored lowercase), or None."""
    return User.objects.filter(email=(email or "").strip().lower()).first()
