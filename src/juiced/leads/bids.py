"""Bid services: create, update, pause, resume, archive. Each writes a BidChange row (field → [old, new]).

Rules (SPEC §5, docs/bids.md): the lead type is live and the tenant's; its pricing at the scope exists and
is enabled; the amount is on the step grid (fixed price: exactly the price); the location fits the scope
(nationwide: none; state: a USPS code; county: a state and one of its counties, stored in geo's spelling);
one live bid per customer + lead type + scope + location; bid-level caps and budgets only when the tenant
enables them. A buyer acting in the portal (`via_portal=True`) is refused while the tenant locks bids.
Only the amount and the limits change on edit; to move a bid, archive it and place a new one.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from juiced.core.audit import actor_label_for
from juiced.core.errors import Conflict, InvalidState, PermissionDenied, ValidationFailed
from juiced.core.money import format_money
from juiced.customers.models import Customer
from juiced.customers.onboarding import onboarding_require
from juiced.leads import geo
from juiced.leads.models import Bid, BidChange, LeadType, LeadTypePricing, Scope
from juiced.leads.tenant_settings import lead_settings_for

LIMIT_FIELDS = ("daily_cap", "weekly_cap", "monthly_cap", "daily_budget", "weekly_budget", "monthly_budget")
LIMIT_LABELS = {
    "daily_cap": "Daily lead cap",
    "weekly_cap": "Weekly lead cap",
    "monthly_cap": "Monthly lead cap",
    "daily_budget": "Daily budget",
    "weekly_budget": "Weekly budget",
    "monthly_budget": "Monthly budget",
}
BID_LOCKED_MESSAGE = "Bids are locked by {tenant}: only its staff can change them."


def portal_guard(*, tenant: Any) -> None:
    """Refuse a buyer's change while the tenant locks bids (PermissionDenied with a clear message)."""
    if lead_settings_for(tenant).bid_lock:
        raise PermissionDenied(BID_LOCKED_MESSAGE.format(tenant=tenant.name))


def _money(cents: int, tenant: Any) -> str:
    return format_money(cents, getattr(tenant, "currency", "USD") or "USD")


def amount_error(*, pricing: LeadTypePricing, amount: int, lead_type_name: str, tenant: Any) -> str | None:
    """The message for an amount off the lead type's grid at this scope, or None when it is valid."""
    if pricing.fixed_price:
        if amount != pricing.minimum:
            price = _money(pricing.minimum, tenant)
            return f"{lead_type_name} has a fixed price of {price} at this scope; bid exactly that."
        return None
    if amount < pricing.minimum:
        return f"The minimum bid is {_money(pricing.minimum, tenant)}."
    if pricing.maximum is not None and amount > pricing.maximum:
        return f"The maximum bid is {_money(pricing.maximum, tenant)}."
    offset = (amount - pricing.minimum) % pricing.step
    if offset:
        lower = amount - offset
        higher = lower + pricing.step
        options = [_money(lower, tenant)]
        if pricing.maximum is None or higher <= pricing.maximum:
            options.append(_money(higher, tenant))
        step = _money(pricing.step, tenant)
        start = _money(pricing.minimum, tenant)
        return f"Bids go up in steps of {step} from {start}: try {' or '.join(options)}."
    return None


def _int_or_none(value: Any) -> int | None | str:
    """An integer, None for empty, or the string "bad" when it is not a whole number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "bad"
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return "bad"


def _clean_limits(*, tenant: Any, data: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    limits: dict[str, Any] = {}
    given = {f: data[f] for f in LIMIT_FIELDS if f in data}
    if not given:
        return limits
    enabled = lead_settings_for(tenant).bid_limits_enabled
    for field, raw in given.items():
        value = _int_or_none(raw)
        if value is None:
            limits[field] = None
            continue
        if not enabled:
            errors.setdefault(field, []).append(
                "Bid-level caps and budgets are not enabled for this marketplace."
            )
            continue
        if value == "bad" or value <= 0:
            unit = (
                "a positive whole number of leads" if field.endswith("cap") else "a positive amount in cents"
            )
            errors.setdefault(field, []).append(f"{LIMIT_LABELS[field]} must be {unit}.")
            continue
        limits[field] = value
    return limits


def _clean_amount(
    *, data: dict[str, Any], pricing: LeadTypePricing | None, lead_type: LeadType | None, tenant: Any,
    errors: dict[str, list[str]],
) -> int | None:  # fmt: skip
    amount = _int_or_none(data.get("amount"))
    if amount is None:
        errors.setdefault("amount", []).append("Enter the bid amount (in cents).")
        return None
    if amount == "bad" or amount <= 0:
        errors.setdefault("amount", []).append("The amount must be a positive whole number of cents.")
        return None
    if pricing is not None and lead_type is not None:
        message = amount_error(pricing=pricing, amount=amount, lead_type_name=lead_type.name, tenant=tenant)
        if message:
            errors.setdefault("amount", []).append(message)
            return None
    return amount


def _resolve_lead_type(*, tenant: Any, value: Any, errors: dict[str, list[str]]) -> LeadType | None:
    if isinstance(value, LeadType):
        lead_type = value if value.tenant_id == tenant.pk else None
    elif value:
        lead_type = LeadType.objects.filter(tenant=tenant, public_id=str(value)).first()
    else:
        errors.setdefault("lead_type", []).append("Choose a lead type.")
        return None
    if lead_type is None:
        errors.setdefault("lead_type", []).append("No such lead type.")
        return None
    if lead_type.archived_at is not None:
        errors.setdefault("lead_type", []).append(f"{lead_type.name} is archived; it takes no new bids.")
        return None
    return lead_type


def _resolve_location(*, scope: str, data: dict[str, Any], errors: dict[str, list[str]]) -> tuple[str, str]:
    raw_state = (data.get("state") or "").strip()
    raw_county = (data.get("county") or "").strip()
    if scope == Scope.NATIONWIDE:
        if raw_state or raw_county:
            errors.setdefault("state", []).append("A nationwide bid has no state or county.")
        return "", ""
    state = geo.normalize_state(raw_state)
    if not raw_state:
        errors.setdefault("state", []).append("Choose a state.")
        return "", ""
    if not state:
        errors.setdefault("state", []).append(f"Unknown state: {raw_state}. Use a USPS code such as CA.")
        return "", ""
    if scope == Scope.STATE:
        if raw_county:
            errors.setdefault("county", []).append("A state bid has no county; choose the county scope.")
        return state, ""
    if not raw_county:
        errors.setdefault("county", []).append("Choose a county.")
        return state, ""
    county = geo.county_in_state(state, raw_county)
    if not county:
        errors.setdefault("county", []).append(f"{raw_county} is not a county of {geo.STATE_NAMES[state]}.")
        return state, ""
    return state, county


def _location_label(bid: Bid) -> str:
    if bid.scope == Scope.NATIONWIDE:
        return "nationwide"
    if bid.scope == Scope.STATE:
        return bid.state
    return f"{bid.county}, {bid.state}"


def _record(*, bid: Bid, actor: Any, action: str, changes: dict[str, list[Any]]) -> BidChange:
    return BidChange.objects.create(
        tenant_id=bid.tenant_id,
        bid=bid,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label_for(actor),
        action=action,
        changes=changes,
    )


def bid_create(
    *, tenant: Any, customer: Customer, actor: Any, data: dict[str, Any], via_portal: bool = False
) -> Bid:
    """Place a bid for `customer` after every rule holds; ValidationFailed (field messages) otherwise."""
    if via_portal:
        portal_guard(tenant=tenant)
    if customer.tenant_id != tenant.pk:
        raise ValidationFailed.on("customer", "No such customer.")
    errors: dict[str, list[str]] = {}
    lead_type = _resolve_lead_type(tenant=tenant, value=data.get("lead_type"), errors=errors)
    scope = str(data.get("scope") or "")
    pricing = None
    if scope not in Scope.values:
        errors.setdefault("scope", []).append("Choose a scope: county, state or nationwide.")
    elif lead_type is not None:
        pricing = LeadTypePricing.objects.filter(lead_type=lead_type, scope=scope, enabled=True).first()
        if pricing is None:
            label = Scope(scope).label.lower()
            errors.setdefault("scope", []).append(
                f"Bidding at {label} level is not enabled for {lead_type.name}."
            )
    state, county = (
        _resolve_location(scope=scope, data=data, errors=errors) if scope in Scope.values else ("", "")
    )
    amount = _clean_amount(data=data, pricing=pricing, lead_type=lead_type, tenant=tenant, errors=errors)
    limits = _clean_limits(tenant=tenant, data=data, errors=errors)
    if errors:
        raise ValidationFailed(fields=errors)
    assert lead_type is not None and amount is not None
    with transaction.atomic():
        # Lock the customer so two requests cannot both pass the one-live-bid check.
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.archived_at is not None:
            raise InvalidState("This customer is archived; restore it before placing bids.")
        if via_portal and not locked.can_access_bidding:
            # Seed 000: "Can Access Bidding — allow or restrict this customer from placing bids". Staff may
            # still place one for them (it will not compete while the toggle is off).
            raise PermissionDenied(
                f"Bidding is turned off for {locked.name}; ask {tenant.name} to turn it on."
            )
        onboarding_require(customer=locked)
        existing = Bid.objects.filter(
            customer=locked,
            lead_type=lead_type,
            scope=scope,
            state=state,
            county=county,
            archived_at__isnull=True,
        ).first()
        if existing is not None:
            message = (
                f"{customer.name} already has a live bid on {lead_type.name} at this location "
                f"({existing.public_id}); edit that bid instead."
            )
            raise Conflict(message, fields={"lead_type": [message]})
        bid = Bid.objects.create(
            tenant=tenant, customer=locked, lead_type=lead_type, scope=scope, state=state, county=county,
            amount=amount, **limits,
        )  # fmt: skip
        created = {"lead_type": [None, lead_type.name], "scope": [None, scope], "amount": [None, amount]}
        if state:
            created["location"] = [None, _location_label(bid)]
        created |= {field: [None, value] for field, value in limits.items() if value is not None}
        _record(bid=bid, actor=actor, action="created", changes=created)
    return bid


def _live(bid: Bid) -> None:
    if bid.archived_at is not None:
        raise InvalidState("This bid is archived; place a new bid instead.")


def bid_update(*, bid: Bid, actor: Any, data: dict[str, Any], via_portal: bool = False) -> Bid:
    """Change the amount and/or the bid-level limits (only the keys present in `data`)."""
    tenant = bid.tenant
    if via_portal:
        portal_guard(tenant=tenant)
    _live(bid)
    errors: dict[str, list[str]] = {}
    for fixed in ("lead_type", "scope", "state", "county"):
        if fixed in data and data[fixed] not in (None, "") and str(data[fixed]) != str(_current(bid, fixed)):
            errors.setdefault(fixed, []).append(
                "The lead type and location of a bid cannot change; archive it and place a new bid."
            )
    new: dict[str, Any] = {}
    if "amount" in data:
        pricing = LeadTypePricing.objects.filter(lead_type_id=bid.lead_type_id, scope=bid.scope).first()
        if pricing is None or not pricing.enabled:
            label = Scope(bid.scope).label.lower()
            errors.setdefault("amount", []).append(
                f"Bidding at {label} level is not enabled for {bid.lead_type.name}."
            )
        else:
            amount = _clean_amount(
                data=data, pricing=pricing, lead_type=bid.lead_type, tenant=tenant, errors=errors
            )
            if amount is not None:
                new["amount"] = amount
    new |= _clean_limits(tenant=tenant, data=data, errors=errors)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        locked = Bid.objects.select_for_update().get(pk=bid.pk)
        _live(locked)
        changes = {f: [getattr(locked, f), v] for f, v in new.items() if getattr(locked, f) != v}
        if changes:
            for field, (_old, value) in changes.items():
                setattr(locked, field, value)
            locked.save(update_fields=[*changes, "updated_at"])
            _record(bid=locked, actor=actor, action="updated", changes=changes)
    return locked


def _current(bid: Bid, field: str) -> Any:
    if field == "lead_type":
        return bid.lead_type.public_id
    return getattr(bid, field)


def _set_paused(*, bid: Bid, actor: Any, paused: bool, via_portal: bool) -> Bid:
    if via_portal:
        portal_guard(tenant=bid.tenant)
    with transaction.atomic():
        locked = Bid.objects.select_for_update().get(pk=bid.pk)
        _live(locked)
        if locked.is_paused != paused:
            locked.is_paused = paused
            locked.save(update_fields=["is_paused", "updated_at"])
            _record(
                bid=locked, actor=actor, action="paused" if paused else "resumed",
                changes={"is_paused": [not paused, paused]},
            )  # fmt: skip
    return locked


def bid_pause(*, bid: Bid, actor: Any, via_portal: bool = False) -> Bid:
    """Stop the bid competing (kept, with its limits); pausing a paused bid changes nothing."""
    return _set_paused(bid=bid, actor=actor, paused=True, via_portal=via_portal)


def bid_resume(*, bid: Bid, actor: Any, via_portal: bool = False) -> Bid:
    """Let a paused bid compete again."""
    return _set_paused(bid=bid, actor=actor, paused=False, via_portal=via_portal)


def bid_archive(*, bid: Bid, actor: Any, via_portal: bool = False) -> Bid:
    """Archive (delete) the bid: it never competes again; its history and sold leads stay."""
    if via_portal:
        portal_guard(tenant=bid.tenant)
    with transaction.atomic():
        locked = Bid.objects.select_for_update().get(pk=bid.pk)
        if locked.archived_at is not None:
            return locked
        locked.archived_at = timezone.now()
        locked.save(update_fields=["archived_at", "updated_at"])
        _record(
            bid=locked, actor=actor, action="archived",
            changes={"archived_at": [None, locked.archived_at.isoformat()]},
        )  # fmt: skip
    return locked
