"""Reads for bids (with statuses and positions), leads, flow logs and submissions.

Every function starts from a tenant (or a customer of it), so a record of another tenant is never found.
Bid rows are computed in a constant number of queries whatever the number of bids: the bids, the
pricing of their lead types, the live rival bids on those lead types, and the usage counters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from juiced.core.errors import NotFound
from juiced.leads import bid_status as bs
from juiced.leads.models import (
    SOLD_STATUSES,
    Bid,
    BidChange,
    CategoryField,
    DistributionLog,
    Lead,
    LeadType,
    LeadTypePricing,
    Scope,
    Submission,
)
from juiced.leads.tenant_settings import lead_settings_for
from juiced.leads.usage import Used, limit_left, usage_for

PERIODS = ("daily", "weekly", "monthly")


# --- bids --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidRow:
    bid: Bid
    statuses: bs.BidStatuses
    standing: bs.Standing
    grid: bs.GridTerms | None

    @property
    def location(self) -> str:
        return bid_location_label(self.bid)


def bid_location_label(bid: Any) -> str:
    if bid.scope == Scope.NATIONWIDE:
        return "Nationwide"
    if bid.scope == Scope.STATE:
        return bid.state
    return f"{bid.county}, {bid.state}"


def _limits(owner: Any, kind: str) -> dict[str, int | None]:
    return {p: getattr(owner, f"{p}_{kind}") for p in PERIODS}


def _tightest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def pricing_map(lead_type_ids: Iterable[int]) -> dict[tuple[int, str], LeadTypePricing]:
    """(lead type id, scope) → pricing row, in one query."""
    rows = LeadTypePricing.objects.filter(lead_type_id__in=set(lead_type_ids))
    return {(p.lead_type_id, p.scope): p for p in rows}


def grid_of(pricing: LeadTypePricing | None) -> bs.GridTerms | None:
    if pricing is None:
        return None
    return bs.GridTerms(
        minimum=pricing.minimum, step=pricing.step, maximum=pricing.maximum, fixed=pricing.fixed_price
    )


def bid_facts(
    bid: Bid,
    *,
    grid: bs.GridTerms | None,
    customer_usage: dict[str, Used],
    bid_usage: dict[str, Used],
    bid_limits_enabled: bool,
) -> bs.BidFacts:
    """The plain values bid_status needs, from a bid whose customer and wallet are loaded."""
    customer = bid.customer
    cap_left = limit_left(_limits(customer, "cap"), customer_usage, kind="cap")
    budget_left = limit_left(_limits(customer, "budget"), customer_usage, kind="budget")
    if bid_limits_enabled:
        cap_left = _tightest(cap_left, limit_left(_limits(bid, "cap"), bid_usage, kind="cap"))
        budget_left = _tightest(budget_left, limit_left(_limits(bid, "budget"), bid_usage, kind="budget"))
    # A scope that is no longer enabled: the bid cannot compete (treated like an unfunded grid).
    enabled_grid = grid or bs.GridTerms(minimum=bid.amount, step=1)
    return bs.BidFacts(
        bid_id=bid.pk,
        customer_id=bid.customer_id,
        lead_type_id=bid.lead_type_id,
        scope=bid.scope,
        state=bid.state,
        county=bid.county,
        amount=bid.amount,
        grid=enabled_grid,
        available=customer.wallet.available,
        is_paused=bid.is_paused,
        is_archived=bid.archived_at is not None,
        customer_active=(
            not customer.is_paused and customer.archived_at is None and customer.can_access_bidding
            and grid is not None
        ),
        cap_left=cap_left,
        budget_left=budget_left,
    )  # fmt: skip


def bid_rows(*, tenant: Any, bids: Iterable[Bid], now: datetime | None = None) -> list[BidRow]:
    """Statuses and positions of `bids` (the tenant's), against every live rival bid on their lead types."""
    now = now or timezone.now()
    targets = list(bids)
    if not targets:
        return []
    lead_type_ids = {b.lead_type_id for b in targets}
    rivals = list(
        Bid.objects.filter(
            tenant_id=tenant.pk, lead_type_id__in=lead_type_ids, archived_at__isnull=True, is_paused=False
        ).select_related("customer__wallet")
    )
    grids = {key: grid_of(p) for key, p in pricing_map(lead_type_ids).items() if p.enabled}
    everyone = {b.pk: b for b in [*rivals, *targets]}.values()
    by_customer, by_bid = usage_for(
        customer_ids={b.customer_id for b in everyone}, bid_ids=[b.pk for b in everyone], now=now
    )
    limits_on = lead_settings_for(tenant).bid_limits_enabled

    def facts(b: Bid) -> bs.BidFacts:
        return bid_facts(
            b, grid=grids.get((b.lead_type_id, b.scope)), customer_usage=by_customer.get(b.customer_id, {}),
            bid_usage=by_bid.get(b.pk, {}), bid_limits_enabled=limits_on,
        )  # fmt: skip

    target_facts = [facts(b) for b in targets]
    pool = [facts(b) for b in rivals]
    standings = bs.standings(target_facts, pool)
    return [
        BidRow(
            bid=b,
            statuses=bs.bid_statuses(f),
            standing=standings[b.pk],
            grid=grids.get((b.lead_type_id, b.scope)),
        )
        for b, f in zip(targets, target_facts, strict=True)
    ]


def customer_bids(*, customer: Any, include_archived: bool = False) -> QuerySet[Bid]:
    """The customer's bids, newest first (live ones only unless asked)."""
    qs = Bid.objects.filter(tenant_id=customer.tenant_id, customer=customer).select_related(
        "lead_type", "customer__wallet"
    )
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs.order_by("archived_at", "lead_type__name", "scope", "state", "county", "id")


def customer_bid(*, customer: Any, public_id: str) -> Bid:
    """One of the customer's bids by public id, or NotFound (another customer's bid is not found)."""
    bid = customer_bids(customer=customer, include_archived=True).filter(public_id=public_id).first()
    if bid is None:
        raise NotFound("No such bid.")
    return bid


def tenant_bid(*, tenant: Any, public_id: str) -> Bid:
    bid = (
        Bid.objects.filter(tenant_id=tenant.pk, public_id=public_id)
        .select_related("lead_type", "customer__wallet", "customer__tenant")
        .first()
    )
    if bid is None:
        raise NotFound("No such bid.")
    return bid


def bid_history(*, bid: Bid) -> QuerySet[BidChange]:
    return BidChange.objects.filter(tenant_id=bid.tenant_id, bid=bid).order_by("-created_at", "-id")


def biddable_lead_types(*, tenant: Any) -> list[tuple[LeadType, list[LeadTypePricing]]]:
    """Live lead types with at least one enabled scope, each with its enabled pricing rows."""
    lead_types = list(
        LeadType.objects.filter(tenant_id=tenant.pk, archived_at__isnull=True)
        .select_related("category")
        .order_by("category__name", "position", "name")
    )
    pricing = pricing_map(lt.pk for lt in lead_types)
    order = {scope: i for i, scope in enumerate(Scope.values)}
    result = []
    for lead_type in lead_types:
        enabled = [p for (lt_id, _s), p in pricing.items() if lt_id == lead_type.pk and p.enabled]
        if enabled:
            result.append((lead_type, sorted(enabled, key=lambda p: order[p.scope])))
    return result


def lead_type_for_bids(*, tenant: Any, public_id: str) -> LeadType | None:
    return LeadType.objects.filter(tenant_id=tenant.pk, public_id=public_id, archived_at__isnull=True).first()


# --- leads -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadFilters:
    status: str = ""
    lead_type: str = ""  # public id
    source: str = ""  # public id
    customer: str = ""  # public id
    since: date | None = None
    until: date | None = None
    test: bool = False  # include test leads (hidden by default)
    min_price: int | None = None
    max_price: int | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _date_range(qs: QuerySet, since: date | None, until: date | None) -> QuerySet:
    if since:
        qs = qs.filter(created_at__gte=_day_start(since))
    if until:
        qs = qs.filter(created_at__lt=_day_start(until) + timedelta(days=1))
    return qs


def lead_list(*, tenant: Any, filters: LeadFilters, customer: Any = None) -> QuerySet[Lead]:
    """The tenant's leads (or one customer's), filtered, newest first."""
    qs = Lead.objects.filter(tenant_id=tenant.pk).select_related("lead_type", "source", "customer")
    if customer is not None:
        qs = qs.filter(customer=customer)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.lead_type:
        qs = qs.filter(lead_type__public_id=filters.lead_type)
    if filters.source:
        qs = qs.filter(source__public_id=filters.source)
    if filters.customer:
        qs = qs.filter(customer__public_id=filters.customer)
    if not filters.test:
        qs = qs.filter(is_test=False)
    if filters.min_price is not None:
        qs = qs.filter(price__gte=filters.min_price)
    if filters.max_price is not None:
        qs = qs.filter(price__lte=filters.max_price)
    return _date_range(qs, filters.since, filters.until).order_by("-created_at", "-id")


def lead_get(*, tenant: Any, public_id: str) -> Lead:
    lead = (
        Lead.objects.filter(tenant_id=tenant.pk, public_id=public_id)
        .select_related("lead_type", "source", "customer", "category", "transaction", "bid")
        .first()
    )
    if lead is None:
        raise NotFound("No such lead.")
    return lead


def existing_lead_ids(*, tenant: Any, public_ids: Iterable[str]) -> set[str]:
    """Which of these public ids name one of the tenant's leads (a transaction may name one with no row)."""
    wanted = {public_id for public_id in public_ids if public_id}
    if not wanted:
        return set()
    found = Lead.objects.filter(tenant_id=tenant.pk, public_id__in=wanted).values_list("public_id", flat=True)
    return set(found)


def customer_leads(*, customer: Any) -> QuerySet[Lead]:
    """Leads sold to the customer (assigned, posted or returned)."""
    return Lead.objects.filter(tenant_id=customer.tenant_id, customer=customer, status__in=SOLD_STATUSES)


def customer_lead(*, customer: Any, public_id: str) -> Lead:
    lead = customer_leads(customer=customer).filter(public_id=public_id).select_related("lead_type").first()
    if lead is None:
        raise NotFound("No such lead.")
    return lead


@dataclass(frozen=True)
class FieldValue:
    key: str
    label: str
    value: Any
    deliverable: bool


def lead_field_values(*, lead: Lead, deliverable_only: bool = False) -> list[FieldValue]:
    """The lead's values in the category's field order; fields not in the schema follow (not deliverable)."""
    fields = list(CategoryField.objects.filter(category_id=lead.category_id).order_by("position", "id"))
    values: list[FieldValue] = []
    seen: set[str] = set()
    for f in fields:
        seen.add(f.key)
        if f.key in lead.data and (f.deliverable or not deliverable_only):
            values.append(FieldValue(f.key, f.label, lead.data[f.key], f.deliverable))
    if not deliverable_only:
        values += [FieldValue(k, k, v, False) for k, v in lead.data.items() if k not in seen]
    return values


def deliverable_columns(*, leads: Iterable[Lead]) -> list[tuple[str, str]]:
    """(key, label) of every deliverable field of the leads' categories, for the CSV export."""
    category_ids = {lead.category_id for lead in leads}
    columns: list[tuple[str, str]] = []
    seen: set[str] = set()
    for f in CategoryField.objects.filter(category_id__in=category_ids, deliverable=True).order_by(
        "category_id", "position", "id"
    ):
        if f.key not in seen:
            seen.add(f.key)
            columns.append((f.key, f.label))
    return columns


# --- flow log ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateView:
    bid: str
    customer: str
    customer_name: str
    amount: Any
    competing: Any
    effective: Any
    outcome: str
    reason: str
    rank: Any
    tier: str = ""  # "Overripe: penalty 20.00 %, discount 0.00 %" when return-tier terms applied


@dataclass(frozen=True)
class EventView:
    stage: str
    at: str
    message: str
    candidates: list[CandidateView]
    winner: str
    price: Any
    details: dict[str, Any]


def _pick(source: dict[str, Any], *keys: str, default: Any = "") -> Any:
    for key in keys:
        if key in source and source[key] not in (None, ""):
            return source[key]
    return default


def _candidate_view(raw: dict[str, Any]) -> CandidateView:
    customer = raw.get("customer")
    customer_id = customer.get("id", "") if isinstance(customer, dict) else customer or ""
    customer_name = customer.get("name", "") if isinstance(customer, dict) else ""
    tier = _tier_text(raw)
    outcome = str(_pick(raw, "outcome", "result"))
    return CandidateView(
        bid=str(_pick(raw, "bid", "bid_id", "bid_public_id")),
        customer=str(_pick(raw, "customer_id", "customer_public_id", default=customer_id)),
        customer_name=str(_pick(raw, "customer_name", default=customer_name)),
        amount=_pick(raw, "amount", "bid_amount", default=None),
        competing=_pick(raw, "competing", default=None),
        effective=_pick(raw, "effective", default=None),
        outcome=f"{outcome} · tier {tier}" if tier else outcome,
        reason=str(_pick(raw, "reason")),
        rank=_pick(raw, "rank", default=None),
        tier=tier,
    )


def _tier_text(raw: dict[str, Any]) -> str:
    """The return-tier terms a candidate competed with, as one line ("" without terms)."""
    name = raw.get("tier")
    if not name:
        return ""
    return f"{name}: penalty {raw.get('penalty') or '0.00'} %, discount {raw.get('discount') or '0.00'} %"


KNOWN_EVENT_KEYS = {"stage", "at", "message", "candidates", "winner", "price"}


def _expanded(events: Any, *, tenant_id: int) -> Any:
    """The run's events with an auction stage's compact candidate table as one dict per candidate."""
    from juiced.leads.allocation import auction_candidates

    if not isinstance(events, list):
        return events
    return [
        {**raw, "candidates": auction_candidates(raw["candidates"], tenant_id=tenant_id)}
        if isinstance(raw, dict) and isinstance(raw.get("candidates"), dict)
        else raw
        for raw in events
    ]


def flow_log(*, lead: Lead) -> list[tuple[DistributionLog, list[EventView]]]:
    """Each processing run of the lead with its events; an auction event lists every candidate. The
    returned rows' `events` are expanded (one dict per candidate) whatever form they were stored in."""
    runs = []
    for log in DistributionLog.objects.filter(tenant_id=lead.tenant_id, lead=lead).order_by("run", "id"):
        log.events = _expanded(
            log.events, tenant_id=lead.tenant_id
        )  # in memory only, for the page and the API
        events = []
        for raw in log.events if isinstance(log.events, list) else []:
            if not isinstance(raw, dict):
                continue
            candidates = [_candidate_view(c) for c in raw.get("candidates") or [] if isinstance(c, dict)]
            winner = raw.get("winner")
            if isinstance(winner, dict):
                winner = winner.get("bid") or winner.get("customer_name") or winner.get("customer") or ""
            events.append(
                EventView(
                    stage=str(raw.get("stage", "")),
                    at=str(raw.get("at", "")),
                    message=str(raw.get("message", "")),
                    candidates=candidates,
                    winner=str(winner or ""),
                    price=raw.get("price"),
                    details={k: v for k, v in raw.items() if k not in KNOWN_EVENT_KEYS},
                )
            )
        runs.append((log, events))
    return runs


REPROCESSABLE = ("unassigned", "uncategorized", "distribution_error")


def can_reprocess(lead: Lead) -> bool:
    return lead.status in REPROCESSABLE


# --- submissions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionFilters:
    source: str = ""
    kind: str = ""
    outcome: str = ""
    since: date | None = None
    until: date | None = None
    test: bool = True


def submission_list(*, tenant: Any, filters: SubmissionFilters) -> QuerySet[Submission]:
    qs = Submission.objects.filter(tenant_id=tenant.pk).select_related("source", "lead")
    if filters.source:
        qs = qs.filter(source__public_id=filters.source)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if not filters.test:
        qs = qs.filter(is_test=False)
    return _date_range(qs, filters.since, filters.until).order_by("-created_at", "-id")


def submission_get(*, tenant: Any, public_id: str) -> Submission:
    found = (
        Submission.objects.filter(tenant_id=tenant.pk, public_id=public_id)
        .select_related("source", "lead")
        .first()
    )
    if found is None:
        raise NotFound("No such submission.")
    return found


def lead_submissions(*, lead: Lead) -> QuerySet[Submission]:
    return Submission.objects.filter(tenant_id=lead.tenant_id, lead=lead).order_by("created_at", "id")


# --- "what would I pay" ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    wins: bool
    price: int  # what the customer would be charged (0 when it would not win)
    competing: int  # what its bid would compete at
    top_rival: int | None  # the best rival's competing amount
    rivals: int  # how many eligible rival bids would compete
    position: bs.Position


def _covers(rival: Bid, scope: str, state: str, county: str) -> bool:
    """Whether `rival` competes for every lead at the named place (nationwide / state / county)."""
    if rival.scope == Scope.NATIONWIDE:
        return True
    if scope == Scope.NATIONWIDE or rival.state != state:
        return False
    if rival.scope == Scope.STATE:
        return True
    return scope == Scope.COUNTY and rival.county.casefold() == county.casefold()


def preview_price(
    *, tenant: Any, customer: Any, lead_type: LeadType, scope: str, state: str, county: str, amount: int,
    now: datetime | None = None,
) -> Preview:  # fmt: skip
    """Price a lead at the named place against the live rival bids now, with auction.decide: the customer's
    hypothetical bid competes with every rival bid that covers that whole place."""
    from juiced.leads import auction

    now = now or timezone.now()
    pricing = pricing_map([lead_type.pk])
    rivals = [
        b
        for b in Bid.objects.filter(
            tenant_id=tenant.pk, lead_type=lead_type, archived_at__isnull=True, is_paused=False
        )
        .exclude(customer_id=customer.pk)
        .select_related("customer__wallet")
        if _covers(b, scope, state, county)
    ]
    by_customer, by_bid = usage_for(
        customer_ids={customer.pk, *(b.customer_id for b in rivals)}, bid_ids=[b.pk for b in rivals], now=now
    )
    limits_on = lead_settings_for(tenant).bid_limits_enabled
    candidates = []
    for b in rivals:
        row = pricing.get((b.lead_type_id, b.scope))
        grid = grid_of(row) if row is not None and row.enabled else None
        facts = bid_facts(
            b, grid=grid, customer_usage=by_customer.get(b.customer_id, {}), bid_usage=by_bid.get(b.pk, {}),
            bid_limits_enabled=limits_on,
        )  # fmt: skip
        candidates.append(
            auction.Candidate(
                bid_id=b.pk,
                customer_id=b.customer_id,
                amount=b.amount,
                grid=auction.Grid(facts.grid.minimum, facts.grid.step, facts.grid.maximum, facts.grid.fixed),
                available=facts.available,
                cap_left=facts.cap_left,
                budget_left=facts.budget_left,
                last_won_at=b.last_won_at.timestamp() if b.last_won_at else None,
                exclusion=None if facts.customer_active else "ineligible customer",
            )  # fmt: skip
        )
    mine_row = pricing.get((lead_type.pk, scope))
    mine_grid = grid_of(mine_row) or bs.GridTerms(minimum=amount, step=1)
    mine_bid = Bid(
        customer=customer, lead_type=lead_type, scope=scope, state=state, county=county, amount=amount
    )
    mine_bid.pk = 0
    mine = bid_facts(
        mine_bid, grid=mine_grid, customer_usage=by_customer.get(customer.pk, {}), bid_usage={},
        bid_limits_enabled=False,
    )  # fmt: skip
    candidates.append(
        auction.Candidate(
            bid_id="preview",
            customer_id=customer.pk,
            amount=amount,
            grid=auction.Grid(mine_grid.minimum, mine_grid.step, mine_grid.maximum, mine_grid.fixed),
            available=mine.available,
            cap_left=mine.cap_left,
            budget_left=mine.budget_left,
            last_won_at=None,
            exclusion=None if mine.customer_active else "ineligible customer",
        )  # fmt: skip
    )
    decision = auction.decide(candidates, smart_pricing=lead_settings_for(tenant).smart_pricing)
    ranked = {r.candidate.bid_id: r for r in decision.ranked}
    me = ranked.get("preview")
    rival_amounts = [
        r.competing for r in decision.ranked if r.candidate.bid_id != "preview" and r.reason is None
    ]
    top_rival = max(rival_amounts) if rival_amounts else None
    competing = me.competing if me and me.reason is None else 0
    if not competing:
        position = bs.Position.OUT
    elif top_rival is None or competing > top_rival:
        position = bs.Position.TOP
    elif competing == top_rival:
        position = bs.Position.TIED
    else:
        position = bs.Position.UNDER
    wins = decision.winner is not None and decision.winner.bid_id == "preview"
    return Preview(
        wins=wins, price=decision.price if wins else 0, competing=competing, top_rival=top_rival,
        rivals=len(rival_amounts), position=position,
    )  # fmt: skip
