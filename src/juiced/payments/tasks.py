"""Background jobs of juiced.payments (run by `juiced worker`)."""

from __future__ import annotations

from juiced.core.jobs import background_job


@background_job(max_attempts=5, base_delay=30.0)
def auto_recharge_charge(*, tenant_id: int, customer_id: int, cycle: str) -> str:
    """Charge the default card once for one drop below the trigger (`cycle` names that drop)."""
    from juiced.payments.services import auto_recharge_run

    return auto_recharge_run(customer_id=customer_id, cycle=cycle)
