"""Writes for tenants, staff, invitations and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from juiced.core import rawsql
from juiced.core.audit import audit_record
from juiced.core.errors import Conflict, InvalidState, NotFound, ValidationFailed
from juiced.core.tasks import enqueue_on_commit
from juiced.customers.models import Customer, CustomerMembership
from juiced.tenants.models import ApiToken, Invite, Membership, Tenant, User
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.tenants.tasks import send_email

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
API_TOKEN_PREFIX = "jcd_"


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _clean_email(email: str, field: str = "email") -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed.on(field, "Enter a valid e-mail address.") from None
    return email


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed("Choose another password.", fields={"password": list(exc.messages)}) from None


def user_get_or_create(*, email: str, password: str | None = None, name: str = "") -> tuple[User, bool]:
    email = _clean_email(email)
    user = User.objects.filter(email=email).first()
    if user:
        return user, False
    return User.objects.create_user(email=email, password=password, name=name), True


@transaction.atomic
def tenant_create(
    *, slug: str, name: str, admin_email: str, admin_password: str, currency: str = "USD"
) -> tuple[Tenant, User]:
    """Create a tenant and its first Admin (an existing user keeps their password)."""
    slug = (slug or "").strip().lower()
    fields: dict[str, list[str]] = {}
    if not SLUG_PATTERN.match(slug):
        fields["slug"] = ["Use 1–50 lowercase letters, digits and dashes."]
    elif Tenant.objects.filter(slug=slug).exists():
        fields["slug"] = ["A tenant with this slug exists."]
    if not (name or "").strip():
        fields["name"] = ["This field is required."]
    if fields:
        raise ValidationFailed("Some fields are invalid.", fields=fields)
    tenant = Tenant.objects.create(slug=slug, name=name.strip(), currency=currency.upper())
    user, created = user_get_or_create(email=admin_email, password=admin_password)
    Membership.objects.create(tenant=tenant, user=user, role=StaffRole.ADMIN)
    audit_record(tenant=tenant, actor=user, action="tenant.created", summary=f"Created tenant {tenant.name}")
    return tenant, user


# --- staff ------------------------------------------------------------------------------------------


def _admins(tenant: Tenant):
    return Membership.objects.filter(tenant=tenant, role=StaffRole.ADMIN)


@transaction.atomic
def membership_set_role(*, tenant: Tenant, actor: User, user_public_id: str, role: str) -> Membership:
    """Change a staff member's role; the tenant always keeps at least one Admin."""
    if role not in StaffRole.values:
        raise ValidationFailed.on("role", "Choose one of the four staff roles.")
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(tenant=tenant, user__public_id=user_public_id)
        .first()
    )
    if membership is None:
        raise NotFound("No such staff member.")
    if membership.role == StaffRole.ADMIN and role != StaffRole.ADMIN and _admins(tenant).count() <= 1:
        raise InvalidState("The tenant needs at least one Admin.")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="staff.role_changed",
        summary=f"Changed {membership.user.email}'s role",
        changes={"role": [old, role]},
    )
    return membership


@transaction.atomic
def membership_remove(*, tenant: Tenant, actor: User, user_public_id: str) -> None:
    """Remove a staff member; their API tokens for this tenant are revoked at once."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(tenant=tenant, user__public_id=user_public_id)
        .first()
    )
    if membership is None:
        raise NotFound("No such staff member.")
    if membership.role == StaffRole.ADMIN and _admins(tenant).count() <= 1:
        raise InvalidState("The tenant needs at least one Admin.")
    ApiToken.objects.filter(tenant=tenant, user=membership.user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    membership.delete()
    audit_record(
        tenant=tenant, actor=actor, action="staff.removed", summary=f"Removed {membership.user.email}"
    )


# --- invitations ------------------------------------------------------------------------------------


def invite_link(raw_token: str) -> str:
    return settings.JUICED_BASE_URL + reverse("invite_accept", args=[raw_token])


def _send_invite(invite: Invite, raw_token: str) -> None:
    where = invite.customer.name if invite.customer else invite.tenant.name
    body = (
        f"You have been invited to join {where} on {invite.tenant.name}'s lead marketplace "
        f"as {invite.get_role_display()}.\n\n"
        f"Accept the invitation: {invite_link(raw_token)}\n\n"
        f"The link works once and expires on {invite.expires_at:%Y-%m-%d %H:%M} UTC."
    )
    enqueue_on_commit(
        send_email,
        to=invite.email,
        subject=f"Your invitation to {where}",
        body=body,
        tenant_id=invite.tenant_id,
    )


@transaction.atomic
def invite_create(
    *, tenant: Tenant, actor: User, email: str, role: str, customer: Customer | None = None
) -> tuple[Invite, str]:
    """Invite someone to the tenant's staff (role = staff role) or to a customer (customer role).

    Returns the invite and the raw one-time token (only its hash is stored); the e-mail is queued.
    """
    email = _clean_email(email)
    kind = Invite.Kind.CUSTOMER if customer is not None else Invite.Kind.STAFF
    allowed = CustomerRole.values if customer is not None else StaffRole.values
    if role not in allowed:
        raise ValidationFailed.on("role", "Choose a role from the list.")
    if customer is None and Membership.objects.filter(tenant=tenant, user__email=email).exists():
        raise ValidationFailed.on("email", "This person is already on your team.")
    if (
        customer is not None
        and CustomerMembership.objects.filter(customer=customer, user__email=email).exists()
    ):
        raise ValidationFailed.on("email", "This person already has access to this customer.")
    # A newer invite replaces any pending one for the same person and place.
    Invite.objects.filter(
        tenant=tenant, customer=customer, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    raw = secrets.token_urlsafe(32)
    invite = Invite.objects.create(
        tenant=tenant,
        customer=customer,
        kind=kind,
        email=email,
        role=role,
        token_hash=hash_secret(raw),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(hours=settings.JUICED_INVITE_TTL_HOURS),
    )
    audit_record(
        tenant=tenant,
        customer=customer,
        actor=actor,
        action="invite.sent",
        summary=f"Invited {email} as {invite.get_role_display()}",
    )
    _send_invite(invite, raw)
    return invite, raw


@transaction.atomic
def invite_resend(*, invite: Invite, actor: User) -> tuple[Invite, str]:
    """Send a fresh link (the old one stops working) with a new expiry."""
    locked = Invite.objects.select_for_update().get(pk=invite.pk)
    if locked.accepted_at or locked.revoked_at:
        raise InvalidState("Only pending or expired invites can be resent.")
    raw = secrets.token_urlsafe(32)
    locked.token_hash = hash_secret(raw)
    locked.expires_at = timezone.now() + timedelta(hours=settings.JUICED_INVITE_TTL_HOURS)
    locked.save(update_fields=["token_hash", "expires_at"])
    audit_record(
        tenant=locked.tenant,
        customer=locked.customer,
        actor=actor,
        action="invite.resent",
        summary=f"Resent the invite to {locked.email}",
    )
    _send_invite(locked, raw)
    return locked, raw


@transaction.atomic
def invite_revoke(*, invite: Invite, actor: User) -> Invite:
    locked = Invite.objects.select_for_update().get(pk=invite.pk)
    if locked.accepted_at:
        raise InvalidState("This invite was already accepted.")
    if locked.revoked_at:
        raise InvalidState("This invite was already revoked.")
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        tenant=locked.tenant,
        customer=locked.customer,
        actor=actor,
        action="invite.revoked",
        summary=f"Revoked the invite to {locked.email}",
    )
    return locked


def invite_lookup(raw_token: str) -> Invite:
    """The pending invite behind a link, or NotFound (used, revoked, expired or unknown links alike)."""
    invite = (
        Invite.objects.select_related("tenant", "customer")
        .filter(token_hash=hash_secret(raw_token or ""))
        .first()
    )
    if invite is None or invite.status != "pending":
        raise NotFound("This invitation link is invalid, expired or already used.")
    return invite


@transaction.atomic
def invite_accept(*, raw_token: str, name: str = "", password: str = "") -> User:
    """Accept an invite: create the user if needed (with a password), link them, burn the link."""
    invite = invite_lookup(raw_token)
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to customer.
    invite = (
        Invite.objects.select_for_update(of=("self",)).select_related("tenant", "customer").get(pk=invite.pk)
    )
    if invite.status != "pending":
        raise NotFound("This invitation link is invalid, expired or already used.")
    user = User.objects.filter(email=invite.email).first()
    if user is None:
        if not password:
            raise ValidationFailed.on("password", "Choose a password.")
        _check_password(password)
        user = User.objects.create_user(
            email=invite.email, password=password, name=(name or "").strip()[:200]
        )
    if invite.customer is not None:
        CustomerMembership.objects.get_or_create(
            customer=invite.customer, user=user, defaults={"role": invite.role}
        )
    else:
        if Membership.objects.filter(tenant=invite.tenant, user=user).exists():
            raise Conflict("You are already on this team.")
        Membership.objects.create(tenant=invite.tenant, user=user, role=invite.role)
    invite.accepted_at = timezone.now()
    invite.accepted_by = user
    invite.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        tenant=invite.tenant,
        customer=invite.customer,
        actor=user,
        action="invite.accepted",
        summary=f"{user.email} accepted the invite as {invite.get_role_display()}",
    )
    return user


# --- API tokens -------------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, tenant: Tenant, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a bearer token for `user` at `tenant`; returns the raw token, shown once."""
    if not Membership.objects.filter(tenant=tenant, user=user).exists():
        raise NotFound("That user is not on this tenant's staff.")
    name = (name or "").strip() or "API token"
    if len(name) > 100:
        raise ValidationFailed.on("name", "Keep the name under 100 characters.")
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        tenant=tenant, user=user, name=name, prefix=raw[:10], token_hash=hash_secret(raw)
    )
    audit_record(tenant=tenant, actor=user, action="api_token.created", summary=f"Created API token {name}")
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            tenant=locked.tenant,
            actor=actor,
            action="api_token.revoked",
            summary=f"Revoked API token {locked.name}",
        )
    return locked


def _api_token_authenticate_orm(raw: str) -> tuple[ApiToken, Membership] | None:
    # The membership is read by correlated subqueries so this path also costs one round trip.
    membership = Membership.objects.filter(tenant_id=OuterRef("tenant_id"), user_id=OuterRef("user_id"))
    token = (
        ApiToken.objects.select_related("tenant", "user")
        .annotate(
            membership_id=Subquery(membership.values("id")[:1]),
            membership_role=Subquery(membership.values("role")[:1]),
        )
        .filter(
            token_hash=hash_secret(raw),
            revoked_at__isnull=True,
            user__is_active=True,
            membership_id__isnull=False,
        )
        .first()
    )
    if token is None:
        return None
    return token, Membership(
        id=token.membership_id, tenant=token.tenant, user=token.user, role=token.membership_role
    )


_TOKEN_SQL = (
    f"SELECT {rawsql.columns(ApiToken, 't')}, {rawsql.columns(Tenant, 'n')}, {rawsql.columns(User, 'u')}, "
    'm."id", m."role" FROM "tenants_apitoken" t '
    'JOIN "tenants_tenant" n ON n."id" = t."tenant_id" '
    'JOIN "tenants_user" u ON u."id" = t."user_id" '
    'JOIN "tenants_membership" m ON m."tenant_id" = t."tenant_id" AND m."user_id" = t."user_id" '
    'WHERE t."token_hash" = %s AND t."revoked_at" IS NULL AND u."is_active"'
)


def api_token_authenticate(raw: str) -> tuple[ApiToken, Membership] | None:
    """The live token and its user's current staff membership, or None (one prepared query)."""
    if not raw or not raw.startswith(API_TOKEN_PREFIX):
        return None
    if not rawsql.available():
        return _api_token_authenticate_orm(raw)
    row = rawsql.fetch_one(_TOKEN_SQL, [hash_secret(raw)])
    if row is None:
        return None
    a, b = rawsql.width(ApiToken), rawsql.width(ApiToken) + rawsql.width(Tenant)
    c = b + rawsql.width(User)
    token = rawsql.instance(ApiToken, row[:a])
    token.tenant = rawsql.instance(Tenant, row[a:b])
    token.user = rawsql.instance(User, row[b:c])
    membership_id, role = row[c], row[c + 1]
    return token, Membership(id=membership_id, tenant=token.tenant, user=token.user, role=role)


API_TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def api_token_mark_used(*, token: ApiToken, now: datetime | None = None) -> bool:
    """Record the token's last use, writing at most once a minute per token; True when it wrote."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < API_TOKEN_TOUCH_INTERVAL:
        return False
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    return True
