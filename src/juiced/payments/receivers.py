"""Auto-recharge listens to every wallet transaction (juiced.wallets.signals.transaction_posted)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from juiced.wallets.signals import transaction_posted


@receiver(transaction_posted, dispatch_uid="payments.auto_recharge")
def auto_recharge_on_transaction(sender: Any, transaction: Any, wallet: Any, **kwargs: Any) -> None:
    from juiced.payments.services import auto_recharge_check

    auto_recharge_check(wallet=wallet)
