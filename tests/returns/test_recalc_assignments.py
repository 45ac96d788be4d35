"""Recalculation: every customer lands in the tier its charged amount and return rate say, progress is
recorded, Return Tier Updated goes only to customers moved into a new tier, and a second run is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from juiced.core.errors import Conflict
from juiced.customers.services import customer_create
from juiced.returns import recalc
from juiced.returns.models import CustomerTier, TierRecalculation
from juiced.returns.recalc import Bracket, recalculation_request, recalculation_run, return_rate, tier_for

from ._recalc_support import announced, ledger, make_tier, seed_ladder, tier_notices, tiers_on

pytestmark = pytest.mark.django_db

ESTABLISHED = 1_000_000  # $10,000 charged: past the new-customer threshold


@pytest.fixture
def customer(tenant_a, alice):
    def make(name: str, *, charged: int = 0, returned: int = 0, tenant=None, **extra):
        made = customer_create(
            tenant=tenant or tenant_a,
            actor=alice,
            data={"name": name, "email": f"{name.lower()}@example.com"},
        )
        if extra:
            type(made).objects.filter(pk=made.pk).update(**extra)
            made.refresh_from_db()
        ledger(made, charged=charged, returned=returned)
        return made

    return make


def recalculate(tenant, actor=None) -> TierRecalculation:
    run = recalculation_request(tenant=tenant, actor=actor, in_background=False)
    return recalculation_run(recalculation_id=run.pk)


def tier_name(customer) -> str | None:
    row = CustomerTier.objects.select_related("tier").filter(customer=customer).first()
    return row.tier.name if row and row.tier else None


def test_the_seed_ladder_assigns_every_bracket_boundaries_included(tenant_a, alice, customer):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    people = {
        "Zero": customer("Zero", charged=ESTABLISHED),
        "Almost": customer("Almost", charged=ESTABLISHED, returned=49_900),  # 4.99 %
        "Five": customer("Five", charged=ESTABLISHED, returned=50_000),  # 5 %: the upper tier
        "Fifteen": customer("Fifteen", charged=ESTABLISHED, returned=150_000),
        "TwentyFive": customer("TwentyFive", charged=ESTABLISHED, returned=250_000),
        "Hundred": customer("Hundred", charged=ESTABLISHED, returned=ESTABLISHED),  # 100 %: top tier
        "Newbie": customer("Newbie", charged=499_999, returned=499_999),  # under $5,000: new
    }

    run = recalculate(tenant_a, alice)

    assert {name: tier_name(person) for name, person in people.items()} == {
        "Zero": "Golden", "Almost": "Golden", "Five": "Ripe", "Fifteen": "Overripe",
        "TwentyFive": "Rotten", "Hundred": "Rotten", "Newbie": "Fresh",
    }  # fmt: skip
    rates = dict(CustomerTier.objects.values_list("customer__name", "return_rate"))
    assert rates["Almost"] == Decimal("4.99") and rates["Hundred"] == Decimal("100.00")
    row = CustomerTier.objects.get(customer=people["Fifteen"])
    assert (row.charged, row.returned) == (ESTABLISHED, 150_000)
    assert (run.status, run.total, run.processed, run.changed) == ("finished", 7, 7, 7)
    assert run.started_at and run.finished_at and "alice@acme.test" in run.requested_by_label
    assert tier_notices() == sorted(people)


def test_exactly_five_thousand_dollars_is_no_longer_new(tenant_a, customer):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    veteran = customer("Veteran", charged=500_000)
    recalculate(tenant_a)
    assert tier_name(veteran) == "Golden"


def test_without_a_new_customer_tier_the_brackets_apply_to_everyone(tenant_a, customer):
    tiers_on(tenant_a)
    make_tier(tenant_a, "Golden", 0, 5)
    newbie = customer("Newbie", charged=10_000)
    recalculate(tenant_a)
    assert tier_name(newbie) == "Golden"


def test_a_rate_in_a_gap_gets_no_tier(tenant_a, customer):
    tiers_on(tenant_a)
    make_tier(tenant_a, "Golden", 0, 5)
    make_tier(tenant_a, "Rotten", 10, 100)
    gap = customer("Gap", charged=ESTABLISHED, returned=70_000)
    run = recalculate(tenant_a)
    assert tier_name(gap) is None
    assert CustomerTier.objects.get(customer=gap).return_rate == Decimal("7.00")
    assert run.changed == 0 and tier_notices() == []


def test_an_excluded_customer_gets_no_tier_and_no_notice(tenant_a, customer):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    trusted = customer("Trusted", charged=ESTABLISHED, return_tiers_disabled=True)
    recalculate(tenant_a)
    assert tier_name(trusted) is None and tier_notices() == []


def test_tiers_off_leaves_everyone_without_a_tier(tenant_a, customer):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    zero = customer("Zero", charged=ESTABLISHED)
    recalculate(tenant_a)
    assert tier_name(zero) == "Golden"

    tiers_on(tenant_a, enabled=False)
    run = recalculate(tenant_a)

    assert tier_name(zero) is None and run.changed == 1
    assert tier_notices() == ["Zero"]  # the first move only; losing a tier sends nothing


def test_notices_go_only_to_customers_whose_tier_changed(tenant_a, customer):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    steady = customer("Steady", charged=ESTABLISHED)
    mover = customer("Mover", charged=ESTABLISHED)
    recalculate(tenant_a)
    assert tier_notices() == ["Mover", "Steady"]

    ledger(mover, charged=0, returned=200_000)  # 20 %: Overripe
    run = recalculate(tenant_a)

    assert run.changed == 1 and tier_name(mover) == "Overripe" and tier_name(steady) == "Golden"
    assert tier_notices(mover) == ["Mover", "Mover"] and tier_notices(steady) == ["Steady"]


def test_the_notice_names_the_tier_its_discount_and_the_matched_penalty(tenant_a, customer):
    from juiced.notifications.models import Notification

    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    rotten = customer("Rotten", charged=ESTABLISHED, returned=333_300)
    recalculate(tenant_a)
    announced()
    notice = Notification.objects.get(customer=rotten, channel="in_app")
    assert notice.body == "Your return tier is now Rotten."
    tiers = seed_ladder_rows(tenant_a)
    assert recalc.tier_context(tiers["Rotten"], Decimal("33.33")) == {
        "name": "Rotten", "discount_percentage": "0.00", "penalty_percentage": "33.33",
    }  # fmt: skip
    assert recalc.tier_context(tiers["Golden"], Decimal("1")) == {
        "name": "Golden", "discount_percentage": "5.00", "penalty_percentage": "0.00",
    }  # fmt: skip
    assert recalc.tier_context(tiers["Overripe"], Decimal("20"))["penalty_percentage"] == "15.00"


def seed_ladder_rows(tenant):
    from juiced.returns.models import ReturnTier

    return {tier.name: tier for tier in ReturnTier.objects.filter(tenant=tenant)}


def test_progress_is_written_every_batch(tenant_a, customer, monkeypatch):
    monkeypatch.setattr(recalc, "BATCH_SIZE", 2)
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    for index in range(5):
        customer(f"C{index}", charged=ESTABLISHED)
    run = recalculation_request(tenant=tenant_a, actor=None, in_background=False)
    seen: list[tuple[int, int]] = []

    def watch(processed: int, total: int) -> None:
        row = TierRecalculation.objects.get(pk=run.pk)
        seen.append((row.status, row.processed, row.total))

    recalculation_run(recalculation_id=run.pk, progress=watch)

    assert seen == [("running", 2, 5), ("running", 4, 5), ("running", 5, 5)]


def test_the_trailing_window_ignores_older_sales(tenant_a, customer):
    from datetime import timedelta

    from django.utils import timezone

    from juiced.wallets.models import Transaction

    tiers_on(tenant_a, rate_window_days=30)
    seed_ladder(tenant_a)
    old_returner = customer("Old", charged=ESTABLISHED, returned=500_000)
    Transaction.objects.filter(wallet__customer=old_returner, event="lead_returned").update(
        created_at=timezone.now() - timedelta(days=31)
    )
    recalculate(tenant_a)
    assert tier_name(old_returner) == "Golden"


def test_a_second_request_is_refused_while_one_is_active(tenant_a, alice):
    first = recalculation_request(tenant=tenant_a, actor=alice, in_background=False)
    with pytest.raises(Conflict, match="already queued or running"):
        recalculation_request(tenant=tenant_a, actor=alice)
    assert TierRecalculation.objects.filter(tenant=tenant_a).count() == 1

    recalculation_run(recalculation_id=first.pk)
    assert recalculation_request(tenant=tenant_a, actor=alice).status == "queued"


def test_another_tenants_run_does_not_block(tenant_a, tenant_b, alice, bob):
    recalculation_request(tenant=tenant_a, actor=alice, in_background=False)
    assert recalculation_request(tenant=tenant_b, actor=bob).tenant == tenant_b


def test_a_run_is_worked_once(tenant_a, customer):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    customer("Zero", charged=ESTABLISHED)
    run = recalculation_request(tenant=tenant_a, actor=None, in_background=False)
    assert recalculation_run(recalculation_id=run.pk) is not None
    assert recalculation_run(recalculation_id=run.pk) is None
    assert tier_notices() == ["Zero"]


def test_a_failing_run_is_marked_failed_with_its_error(tenant_a, customer, monkeypatch):
    customer("Zero", charged=ESTABLISHED)

    def broken(**kwargs):
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(recalc, "return_totals", broken)
    run = recalculation_request(tenant=tenant_a, actor=None, in_background=False)
    with pytest.raises(RuntimeError):
        recalculation_run(recalculation_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "ledger unavailable" in run.error and run.finished_at
    assert recalculation_request(tenant=tenant_a, actor=None, in_background=False).status == "queued"


@pytest.mark.django_db(transaction=True)
def test_the_background_job_runs_through_the_worker(tenant_a, alice, customer, run_tasks):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    zero = customer("Zero", charged=ESTABLISHED)
    run = recalculation_request(tenant=tenant_a, actor=alice)  # queued on commit (autocommit here)
    assert run.status == "queued"

    run_tasks()

    run.refresh_from_db()
    assert run.status == "finished" and tier_name(zero) == "Golden"


def test_the_request_is_audited(tenant_a, alice):
    from juiced.core.models import AuditEntry

    recalculation_request(tenant=tenant_a, actor=alice, in_background=False)
    assert AuditEntry.objects.filter(tenant=tenant_a, action="return_tiers.recalculate").count() == 1


RATES = st.decimals(min_value=0, max_value=100, places=2)


@given(rate=RATES)
def test_the_seed_brackets_cover_every_rate_exactly_once(rate):
    bounds = [(0, 5), (5, 15), (15, 25), (25, 100)]
    brackets = [Bracket(i, False, Decimal(lo), Decimal(hi)) for i, (lo, hi) in enumerate(bounds)]
    chosen = tier_for(brackets=brackets, charged=ESTABLISHED, rate=rate)
    expected = next(b.tier_id for b in brackets if b.lower <= rate < b.upper or rate == b.upper == 100)
    assert chosen == expected


def test_return_rate_rounds_half_up_to_two_places():
    assert return_rate(charged=0, returned=0) == Decimal("0.00")
    assert return_rate(charged=300, returned=1) == Decimal("0.33")
    assert return_rate(charged=200_000, returned=1) == Decimal("0.00")
    assert return_rate(charged=2_000, returned=1) == Decimal("0.05")
