"""The portal nav's tier badge: `{% load tier_standing %}{% portal_tier_badge %}` on every portal page.

One query per request (the buyer's CustomerTier joined to its tier, filtered on the tenant's switch and the
customer's opt-out), cached on the request so several includes cost nothing more. A customer with return
tiers disabled ("ignore dispute tiers") sees its raw return rate there instead of a badge (seed 000: "their
raw return rate will display instead"); only those customers pay for the rate's ledger query."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from juiced.returns.models import CustomerTier
from juiced.returns.recalc import customer_return_rate

register = template.Library()

_CACHE = "_juiced_portal_tier"


def portal_tier(request: Any) -> CustomerTier | None:
    """The acting customer's tier row when tiers apply to it, else None (cached on the request)."""
    if hasattr(request, _CACHE):
        return getattr(request, _CACHE)
    portal = getattr(request, "portal", None)
    row = None
    if portal is not None:
        row = (
            CustomerTier.objects.select_related("tier")
            .filter(
                customer=portal.customer,
                tenant=portal.tenant,
                tier__isnull=False,
                customer__return_tiers_disabled=False,
                tenant__return_settings__tiers_enabled=True,
            )
            .first()
        )
    setattr(request, _CACHE, row)
    return row


def portal_raw_return_rate(request: Any) -> Decimal | None:
    """The acting customer's return rate when it has return tiers disabled, else None."""
    portal = getattr(request, "portal", None)
    if portal is None or not portal.customer.return_tiers_disabled:
        return None
    return customer_return_rate(customer=portal.customer)


@register.inclusion_tag("juiced/portal/_nav_return_standing.html", takes_context=True)
def portal_tier_badge(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    row = portal_tier(request) if request is not None else None
    raw_rate = portal_raw_return_rate(request) if request is not None and row is None else None
    return {"row": row, "tier": row.tier if row else None, "raw_rate": raw_rate}
