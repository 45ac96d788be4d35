"""A customer's return-tier terms for the auction: the penalty on the effective bid and the discount on
the price (SPEC §5, §6). It runs on the auction's hot path, so it is ONE indexed query for every candidate:
the customer's assigned tier joined with the tier, the customer (not excluded) and the tenant's return
settings (tiers enabled). A customer without a tier, excluded, or at a tenant with tiers off gets no
terms (missing from the result)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from juiced.leads.allocation import TierTerms
from juiced.returns.models import CustomerTier, ReturnTier
from juiced.returns.recalc import discount_for, penalty_for


def customer_tier_terms(customer_ids: Iterable[int]) -> dict[int, TierTerms]:
    """customer id → its tier's penalty and discount (customers with neither are left out)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    rows = (
        CustomerTier.objects.filter(
            customer_id__in=ids,
            tier__isnull=False,
            customer__return_tiers_disabled=False,
            tenant__return_settings__tiers_enabled=True,
        )
        .order_by()
        .values_list(
            "customer_id",
            "return_rate",
            "tier__discount_enabled",
            "tier__discount_percent",
            "tier__penalty_enabled",
            "tier__penalty_matches_return_rate",
            "tier__penalty_percent",
        )
    )
    terms: dict[int, TierTerms] = {}
    for customer_id, rate, discount_on, discount, penalty_on, matches_rate, penalty in rows:
        tier = ReturnTier(
            discount_enabled=discount_on,
            discount_percent=discount,
            penalty_enabled=penalty_on,
            penalty_matches_return_rate=matches_rate,
            penalty_percent=penalty,
        )
        penalty_pct, discount_pct = penalty_for(tier, Decimal(rate)), discount_for(tier)
        if penalty_pct or discount_pct:
            terms[customer_id] = TierTerms(penalty_pct=penalty_pct, discount_pct=discount_pct)
    return terms
