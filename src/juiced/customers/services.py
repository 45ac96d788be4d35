"""Writes for customers: create, edit, archive/restore, pause/unpause, detach users, self-registration.

Each is audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from juiced.core.audit import audit_record, diff_fields
from juiced.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from juiced.core.money import AmountError, parse_amount
from juiced.customers.models import Customer, CustomerMembership, CustomerSignupSettings
from juiced.customers.selectors import signup_settings_for
from juiced.customers.signals import customer_changed
from juiced.tenants.roles import CustomerRole
from juiced.wallets.services import wallet_create

TEXT_FIELDS = {
    "name": 200,
    "email": 254,
    "phone": 40,
    "address1": 200,
    "address2": 200,
    "city": 100,
    "state": 100,
    "zip_code": 20,
}
TOGGLE_FIELDS = ("is_onboarded", "can_access_bidding", "return_tiers_disabled")
CAP_FIELDS = ("daily_cap", "weekly_cap", "monthly_cap")
BUDGET_FIELDS = ("daily_budget", "weekly_budget", "monthly_budget")
EDITABLE_FIELDS = (*TEXT_FIELDS, *TOGGLE_FIELDS, *CAP_FIELDS, *BUDGET_FIELDS)


def _clean_int(value: Any, field: str, errors: dict[str, list[str]], *, money: bool) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[field] = ["Enter a whole number."]
        return None
    if isinstance(value, str) and money:
        try:
            return parse_amount(value)
        except AmountError as exc:
            errors[field] = [str(exc)]
            return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = ["Enter a whole number."]
        return None
    if number <= 0 or (isinstance(value, float) and not value.is_integer()):
        errors[field] = ["Enter a positive whole number, or leave empty for no limit."]
        return None
    return number


def clean_customer_data(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate customer fields; raise ValidationFailed with every field's messages at once.

    Caps are lead counts; budgets are cents (JSON) or amounts typed as text ("250.00", forms).
    """
    unknown = set(data) - set(EDITABLE_FIELDS)
    errors: dict[str, list[str]] = {field: ["Unknown field."] for field in unknown}
    cleaned: dict[str, Any] = {}
    for field, max_length in TEXT_FIELDS.items():
        if field not in data:
            if not partial and field in ("name", "email"):
                errors[field] = ["This field is required."]
            continue
        value = data[field]
        value = "" if value is None else str(value).strip()
        if field in ("name", "email") and not value:
            errors[field] = ["This field is required."]
            continue
        if len(value) > max_length:
            errors[field] = [f"Keep this under {max_length} characters."]
            continue
        if field == "email":
            value = value.lower()
            try:
                validate_email(value)
            except DjangoValidationError:
                errors[field] = ["Enter a valid e-mail address."]
                continue
        cleaned[field] = value
    for field in TOGGLE_FIELDS:
        if field in data:
            if not isinstance(data[field], bool):
                errors[field] = ["Must be true or false."]
            else:
                cleaned[field] = data[field]
    for field in CAP_FIELDS:
        if field in data:
            cleaned[field] = _clean_int(data[field], field, errors, money=False)
    for field in BUDGET_FIELDS:
        if field in data:
            cleaned[field] = _clean_int(data[field], field, errors, money=True)
            if cleaned[field] is not None and cleaned[field] <= 0:
                errors[field] = ["A budget must be more than zero, or empty for no budget."]
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    return cleaned


@transaction.atomic
def customer_create(*, tenant: Any, actor: Any, data: dict[str, Any]) -> Customer:
    """Create a customer with an empty wallet (a new customer starts Exhausted)."""
    cleaned = clean_customer_data(data, partial=False)
    customer = Customer.objects.create(tenant=tenant, **cleaned)
    wallet_create(customer=customer)
    audit_record(
        tenant=tenant,
        customer=customer,
        actor=actor,
        action="customer.created",
        summary=f"Created customer {customer.name}",
        changes={k: [None, v] for k, v in cleaned.items() if v not in ("", None)},
    )
    customer_changed.send(sender=Customer, customer=customer, kind="created", actor=actor, changes={})
    return customer


def _locked(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().select_related("tenant").get(pk=customer.pk)


@transaction.atomic
def customer_update(*, customer: Customer, actor: Any, data: dict[str, Any]) -> Customer:
    """Change any editable fields; records old → new for each changed one."""
    cleaned = clean_customer_data(data, partial=True)
    locked = _locked(customer)
    changes = diff_fields(locked, cleaned)
    if changes:
        for field, (_old, new) in changes.items():
            setattr(locked, field, new)
        locked.save(update_fields=[*changes, "updated_at"])
        audit_record(
            tenant=locked.tenant,
            customer=locked,
            actor=actor,
            action="customer.updated",
            summary="Edited " + ", ".join(sorted(changes)),
            changes=changes,
        )
        customer_changed.send(sender=Customer, customer=locked, kind="updated", actor=actor, changes=changes)
    return locked


def _transition(customer: Customer, actor: Any, *, action: str, summary: str, check, apply) -> Customer:
    with transaction.atomic():
        locked = _locked(customer)
        problem = check(locked)
        if problem:
            raise InvalidState(problem)
        changes = apply(locked)
        locked.save(update_fields=[*changes, "updated_at"])
        audit_record(
            tenant=locked.tenant,
            customer=locked,
            actor=actor,
            action=action,
            summary=summary,
            changes=changes,
        )
        kind = action.removeprefix("customer.")
        customer_changed.send(sender=Customer, customer=locked, kind=kind, actor=actor, changes=changes)
        return locked


def customer_archive(*, customer: Customer, actor: Any) -> Customer:
    """Archive: out of operation, history kept."""

    def apply(c: Customer) -> dict[str, list[Any]]:
        c.archived_at = timezone.now()
        return {"archived_at": [None, c.archived_at.isoformat()]}

    return _transition(
        customer,
        actor,
        action="customer.archived",
        summary="Archived the customer",
        check=lambda c: "This customer is already archived." if c.is_archived else None,
        apply=apply,
    )


def customer_restore(*, customer: Customer, actor: Any) -> Customer:
    """Restore an archived customer to the operational state it had (paused stays paused)."""

    def apply(c: Customer) -> dict[str, list[Any]]:
        old = c.archived_at.isoformat() if c.archived_at else None
        c.archived_at = None
        return {"archived_at": [old, None]}

    return _transition(
        customer,
        actor,
        action="customer.restored",
        summary="Restored the customer",
        check=lambda c: None if c.is_archived else "This customer is not archived.",
        apply=apply,
    )


def customer_pause(*, customer: Customer, actor: Any) -> Customer:
    def check(c: Customer) -> str | None:
        if c.is_archived:
            return "Restore the customer before pausing it."
        return "This customer is already paused." if c.is_paused else None

    def apply(c: Customer) -> dict[str, list[Any]]:
        c.is_paused = True
        return {"is_paused": [False, True]}

    return _transition(
        customer, actor, action="customer.paused", summary="Paused the account", check=check, apply=apply
    )


def customer_unpause(*, customer: Customer, actor: Any) -> Customer:
    def check(c: Customer) -> str | None:
        if c.is_archived:
            return "Restore the customer before unpausing it."
        return None if c.is_paused else "This customer is not paused."

    def apply(c: Customer) -> dict[str, list[Any]]:
        c.is_paused = False
        return {"is_paused": [True, False]}

    return _transition(
        customer, actor, action="customer.unpaused", summary="Unpaused the account", check=check, apply=apply
    )


def paused_by_staff(customer: Customer) -> bool:
    """True when the customer's current pause was set by someone who is not one of its users (staff)."""
    if not customer.is_paused:
        return False
    from juiced.core.models import AuditEntry

    entry = (
        AuditEntry.objects.filter(customer=customer, action="customer.paused")
        .order_by("-created_at", "-id")
        .first()
    )
    if entry is None or entry.actor_id is None:
        return True
    return not CustomerMembership.objects.filter(customer=customer, user_id=entry.actor_id).exists()


def customer_self_pause(*, customer: Customer, actor: Any) -> Customer:
    """A Customer Admin pauses their own account from the portal (seed 000: "controlled by you or them")."""
    return customer_pause(customer=customer, actor=actor)


def customer_self_unpause(*, customer: Customer, actor: Any) -> Customer:
    """A Customer Admin resumes their own pause; a pause set by the tenant's staff only staff can lift."""
    if paused_by_staff(customer):
        raise InvalidState(f"{customer.tenant.name} paused this account; ask them to resume it.")
    return customer_unpause(customer=customer, actor=actor)


@transaction.atomic
def customer_user_detach(*, customer: Customer, actor: Any, user_public_id: str) -> None:
    """Remove a user's access to this customer (the user keeps other customers)."""
    membership = (
        CustomerMembership.objects.select_related("user")
        .filter(customer=customer, user__public_id=user_public_id)
        .first()
    )
    if membership is None:
        raise NotFound("That user is not linked to this customer.")
    email = membership.user.email
    membership.delete()
    audit_record(
        tenant=customer.tenant,
        customer=customer,
        actor=actor,
        action="customer.user_detached",
        summary=f"Detached user {email}",
    )


# --- self-registration --------------------------------------------------------------------------------

REGISTRATION_CLOSED = "{tenant} does not take sign-ups here; ask its team for an invitation."


@transaction.atomic
def signup_settings_update(
    *, tenant: Any, actor: Any, allow_self_registration: bool
) -> CustomerSignupSettings:
    """Allow or refuse self-registration for the tenant's marketplace."""
    current, _created = CustomerSignupSettings.objects.select_for_update().get_or_create(tenant=tenant)
    if current.allow_self_registration != allow_self_registration:
        old = current.allow_self_registration
        current.allow_self_registration = allow_self_registration
        current.save(update_fields=["allow_self_registration", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="signup_settings.updated",
            summary=f"Self-registration {'allowed' if allow_self_registration else 'refused'}",
            changes={"allow_self_registration": [old, allow_self_registration]},
        )
    return current


def _registrant(*, name: str, email: str, password: str, errors: dict[str, list[str]]) -> Any:
    """The person signing up: an existing user (after the password check) or a new, unsaved one."""
    User = get_user_model()
    name = (name or "").strip()
    email = (email or "").strip().lower()
    if len(name) > 200:
        errors["person_name"] = ["Keep your name under 200 characters."]
    elif not name:
        errors["person_name"] = ["Tell us your name."]
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["person_email"] = ["Enter a valid e-mail address."]
        return None
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        if not password or not existing.is_active or not existing.check_password(password):
            errors["password"] = [
                f"{email} already has an account: enter its password to add this business to it."
            ]
        return existing
    candidate = User(email=email, name=name)
    try:
        validate_password(password, candidate)
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    return candidate


@transaction.atomic
def customer_register(
    *, tenant: Any, business: dict[str, Any], person_name: str, person_email: str, password: str
) -> tuple[Customer, Any]:
    """A business signs itself up: the user (new, or existing after a password check), the customer and
    its Customer Admin membership, all or nothing. Field errors use the business's field names plus
    person_name, person_email and password."""
    if not signup_settings_for(tenant).allow_self_registration:
        raise PermissionDenied(REGISTRATION_CLOSED.format(tenant=tenant.name))
    errors: dict[str, list[str]] = {}
    try:
        clean_customer_data({k: v for k, v in business.items() if k in TEXT_FIELDS}, partial=False)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    user = _registrant(name=person_name, email=person_email, password=password, errors=errors)
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    if user.pk is None:
        user = get_user_model().objects.create_user(email=user.email, password=password, name=user.name)
    customer = customer_create(
        tenant=tenant, actor=user, data={k: v for k, v in business.items() if k in TEXT_FIELDS}
    )
    CustomerMembership.objects.create(customer=customer, user=user, role=CustomerRole.CUSTOMER_ADMIN)
    audit_record(
        tenant=tenant,
        customer=customer,
        actor=user,
        action="customer.registered",
        summary=f"{user.email} registered {customer.name} through the portal",
    )
    return customer, user
