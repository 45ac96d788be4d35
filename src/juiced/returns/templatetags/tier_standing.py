"""The portal nav's tier badge: `{% load tier_standing %}{% portal_tier_badge %}` on every portal page.

One query per request (the buyer's CustomerTier joined to its tier, filtered on the tenant's switch and the
customer's opt-out), cached on the request so several includes cost nothing more."""

from __future__ import annotations

from typing import Any

from django import template

from juiced.returns.models import CustomerTier

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


@register.inclusion_tag("returns/_portal_tier_badge.html", takes_context=True)
def portal_tier_badge(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    row = portal_tier(request) if request is not None else None
    return {"row": row, "tier": row.tier if row else None}
