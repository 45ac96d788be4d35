"""Reads for payments pages and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from juiced.payments.models import BillingProfile, Payment, PaymentMethod
from juiced.payments.stripe_client import dashboard_url, stripe_config

RECENT_PAYMENTS = 20


def cards_of(customer: Any) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.filter(customer=customer).order_by("-is_default", "created_at", "id")


def payments_of(customer: Any) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(customer=customer).select_related("transaction").order_by("-created_at", "-id")
    )


def billing_of(customer: Any) -> BillingProfile:
    """The customer's billing profile, unsaved defaults when none exists yet (a read never writes)."""
    found = BillingProfile.objects.filter(customer=customer).first()
    return found or BillingProfile(customer=customer, tenant_id=customer.tenant_id)


def stripe_dashboard_link(customer: Any, profile: BillingProfile | None = None) -> str:
    profile = profile or billing_of(customer)
    if not profile.stripe_customer_id:
        return ""
    config = stripe_config(customer.tenant)
    return dashboard_url(stripe_customer_id=profile.stripe_customer_id, test_mode=config.is_test_mode)
