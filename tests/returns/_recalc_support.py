"""Small factories for the recalculation tests: a tier ladder, a customer's ledger, tiers switched on."""

from __future__ import annotations

from decimal import Decimal

from juiced.notifications.models import Notification, NotificationType
from juiced.returns.models import ReturnSettings, ReturnTier
from juiced.wallets.models import TransactionEvent
from juiced.wallets.services import wallet_credit, wallet_debit


def tiers_on(tenant, enabled: bool = True, **extra) -> ReturnSettings:
    settings, _ = ReturnSettings.objects.update_or_create(
        tenant=tenant, defaults={"tiers_enabled": enabled, **extra}
    )
    return settings


def make_tier(tenant, name: str, lower=None, upper=None, *, new=False, discount=None, penalty=None,
              match=False, position=0) -> ReturnTier:  # fmt: skip
    return ReturnTier.objects.create(
        tenant=tenant,
        name=name,
        applies_to_new_customers=new,
        lower_bound=None if lower is None else Decimal(str(lower)),
        upper_bound=None if upper is None else Decimal(str(upper)),
        discount_enabled=discount is not None,
        discount_percent=None if discount is None else Decimal(str(discount)),
        penalty_enabled=penalty is not None or match,
        penalty_matches_return_rate=match,
        penalty_percent=None if penalty is None else Decimal(str(penalty)),
        position=position,
    )


def seed_ladder(tenant) -> dict[str, ReturnTier]:
    """The seed's five-tier example: Fresh (new), Golden 0–5 (5 % off), Ripe 5–15, Overripe 15–25 (15 %
    penalty), Rotten 25–100 (penalty = own return rate)."""
    return {
        tier.name: tier
        for tier in [
            make_tier(tenant, "Fresh", new=True, position=0),
            make_tier(tenant, "Golden", 0, 5, discount=5, position=1),
            make_tier(tenant, "Ripe", 5, 15, position=2),
            make_tier(tenant, "Overripe", 15, 25, penalty=15, position=3),
            make_tier(tenant, "Rotten", 25, 100, match=True, position=4),
        ]
    }


def ledger(customer, *, charged: int, returned: int = 0) -> None:
    """Give the customer `charged` cents of sold leads and `returned` cents credited back."""
    if charged:
        wallet_credit(wallet=customer.wallet, amount=charged, event=TransactionEvent.FUNDS_ADDED,
                      description="Test funds")  # fmt: skip
        wallet_debit(wallet=customer.wallet, amount=charged, event=TransactionEvent.LEAD_ASSIGNED,
                     description="Lead")  # fmt: skip
    if returned:
        wallet_credit(wallet=customer.wallet, amount=returned, event=TransactionEvent.LEAD_RETURNED,
                      description="Returned lead")  # fmt: skip


def announced() -> None:
    """Run the queued Return Tier Updated jobs in this test's transaction, as the worker would run them
    after commit (the real worker is exercised by test_the_background_job_runs_through_the_worker)."""
    from django_tasks_db.models import DBTaskResult

    from juiced.returns.recalc import tier_updates_announce

    queued = DBTaskResult.objects.filter(task_path__endswith="tier_updates_announce")
    for row in queued.order_by("enqueued_at"):
        tier_updates_announce.func(**row.args_kwargs["kwargs"])
        row.delete()


def tier_notices(customer=None) -> list[str]:
    announced()
    """Names of customers sent Return Tier Updated (in-app rows), sorted."""
    rows = Notification.objects.filter(type=NotificationType.RETURN_TIER_UPDATED, channel="in_app")
    if customer is not None:
        rows = rows.filter(customer=customer)
    return sorted(rows.values_list("customer__name", flat=True))
