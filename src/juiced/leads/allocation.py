"""Allocation: load candidates, decide (auction.decide), then charge, count, assign and log in ONE
database transaction with per-wallet locks in a fixed order; side effects are queued after commit.

Owner: the engine (issue 5). The signatures below are the contract the ingestion API, the leads pages
and the demo code call; keep them stable. docs/auction.md explains the design; in short:

- Reads before the transaction, constant in the number of bids: one statement for the source's payout
  terms and the tenant's settings, one for every candidate bid joined with its customer, wallet and the
  lead type's pricing at its scope, and (only when someone has a cap or budget) one for the usage counters.
- The transaction locks the winner's wallet (and the wallets of the ping holds it closes) in wallet-id
  order, re-reads funds and usage under that lock and re-decides; if another bid would now win, it rolls
  back (nothing was written) and tries again with the fresh numbers. The charge, the counters, the bid's
  round-robin stamp, the lead, its status change and ONE DistributionLog row are written in that commit.
- Call these outside an open transaction: inside one, the locks are held until the caller commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from juiced.core import rawsql
from juiced.core.errors import InsufficientFunds, InvalidState
from juiced.core.money import format_money
from juiced.leads import auction, geo, usage
from juiced.leads.auction import Candidate, Decision, Grid
from juiced.leads.models import (
    SOLD_STATUSES,
    Bid,
    DistributionLog,
    Lead,
    LeadStatus,
    LeadStatusChange,
    LeadType,
    Ping,
    PingOffer,
    Scope,
    SourcePricing,
    UsageCounter,
)
from juiced.wallets.models import Hold, TransactionEvent, Wallet
from juiced.wallets.services import Related, hold_capture, hold_place, hold_release, wallet_debit

# Loader exclusions (the auction adds capped / over budget / underfunded).
PAUSED = "paused"
OUT_OF_SCOPE = "out of scope"
INELIGIBLE_CUSTOMER = "ineligible customer"
REPROCESSABLE = (LeadStatus.UNASSIGNED, LeadStatus.UNCATEGORIZED, LeadStatus.DISTRIBUTION_ERROR)
LIMIT_PERIODS = usage.PERIODS
MAX_ATTEMPTS = 25  # auctions re-run when the winner's funds or limits moved before its lock was taken


@dataclass(frozen=True)
class AllocationResult:
    status: str  # the lead's new LeadStatus value (assigned, unassigned, …)
    price: int = 0  # cents charged to the buyer (0 when not sold)
    payout: int = 0  # cents reported to the source (after payout % or the source's fixed/fallback price)
    customer_id: int | None = None
    bid_id: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)  # what went into the DistributionLog row


# --- tier terms -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierTerms:
    penalty_pct: Decimal = Decimal(0)
    discount_pct: Decimal = Decimal(0)
    name: str = field(default="", compare=False)  # the tier's name, for the flow log only


NO_TERMS = TierTerms()


def tier_terms(customer_ids: Iterable[int]) -> dict[int, TierTerms]:
    """Each customer's return-tier penalty and discount (missing = no terms); one query (returns/terms.py)."""
    from juiced.returns.terms import customer_tier_terms

    return customer_tier_terms(customer_ids)


# --- loading --------------------------------------------------------------------------------------------


class Offered(NamedTuple):
    """One loaded candidate: the auction's plain values plus what the flow log and the writes need."""

    candidate: Candidate
    bid_public_id: str
    customer_public_id: str
    customer_name: str
    wallet_id: int | None
    scope: str
    # The six limits (daily/weekly/monthly cap, then budget), or None when none is set (the usual case).
    customer_limits: tuple[int | None, ...] | None
    bid_limits: tuple[int | None, ...] | None
    tier_name: str = ""  # the customer's return tier when it has terms (penalty or discount)

    @property
    def limited(self) -> bool:
        return self.customer_limits is not None or self.bid_limits is not None


@dataclass(frozen=True)
class Terms:
    """The tenant's switches and the source's payout terms for one lead type."""

    smart_pricing: bool
    bid_limits_enabled: bool
    payout_percent: Decimal
    source_pricing_kind: str | None
    source_pricing_price: int


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _terms_sql() -> str:
    from juiced.leads.models import LeadSettings, Source

    return f"""
    SELECT s."payout_percent", sp."kind", sp."price", ls."smart_pricing", ls."bid_limits_enabled"
    FROM {_table(Source)} s
    LEFT JOIN {_table(SourcePricing)} sp ON sp."source_id" = s."id" AND sp."lead_type_id" = %s
    LEFT JOIN {_table(LeadSettings)} ls ON ls."tenant_id" = s."tenant_id"
    WHERE s."id" = %s
    """


def load_terms(*, source_id: int, lead_type_id: int | None) -> Terms:
    """The source's payout terms for the lead type and the tenant's settings, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_terms_sql(), [lead_type_id, source_id])
        row = cursor.fetchone()
    percent, kind, price, smart, limits_on = row if row else (100, None, 0, None, None)
    return Terms(
        smart_pricing=bool(smart),
        bid_limits_enabled=True if limits_on is None else bool(limits_on),
        payout_percent=Decimal(str(percent)),
        source_pricing_kind=kind,
        source_pricing_price=int(price or 0),
    )


_LIMIT_COLUMNS = tuple(f"{period}_{kind}" for kind in ("cap", "budget") for period in LIMIT_PERIODS)
# The loader's exclusion codes (computed in SQL, in this order of precedence).
_EXCLUSIONS = (None, INELIGIBLE_CUSTOMER, PAUSED, OUT_OF_SCOPE)


def _limits_text(alias: str) -> str:
    """NULL when none of the six limits is set, else their values as "d,w,m,d,w,m" text (blank = none)."""
    columns = [f'{alias}."{column}"' for column in _LIMIT_COLUMNS]
    text = " || ',' || ".join(f"COALESCE(CAST({column} AS TEXT), '')" for column in columns)
    return f"CASE WHEN COALESCE({', '.join(columns)}) IS NULL THEN NULL ELSE {text} END"


def _parse_limits(text: str | None) -> tuple[int | None, ...] | None:
    """_limits_text's value as six limits, or None when none is set (0 counts as no limit)."""
    if not text:
        return None
    values = tuple(int(value) if value else None for value in text.split(","))
    return values if any(values) else None


@lru_cache(maxsize=16)
def _candidates_sql(*, vendor: str, bid_limits: bool, county_mode: str, spellings: int) -> str:
    """The candidate query. `county_mode`: "none" (the lead has no county: no county bid matches),
    "exact" (county bids whose county is one of `spellings` given names) or "loose" (every county bid
    of the state; the caller compares county keys). The lead type's pricing (a row per scope) is read
    once, not once per bid; limits come as one text column each, NULL in the usual case."""
    from juiced.customers.models import Customer
    from juiced.leads.models import LeadTypePricing

    if county_mode == "none":
        county = 'b."scope" = %s'
    elif county_mode == "exact":
        county = f'b."scope" = %s OR (b."scope" = %s AND b."county" IN ({", ".join(["%s"] * spellings)}))'
    else:
        county = 'b."scope" IN (%s, %s)'
    materialized = "MATERIALIZED " if vendor == "postgresql" else ""
    return f"""
    WITH p AS {materialized}(
        SELECT "scope", "enabled", "fixed_price", "minimum", "maximum", "step"
        FROM {_table(LeadTypePricing)} WHERE "lead_type_id" = %s
    )
    SELECT b."id", b."public_id", b."customer_id", b."scope", b."county", b."amount", b."last_won_at",
        c."public_id", c."name",
        CASE WHEN c."is_paused" OR c."archived_at" IS NOT NULL OR NOT c."can_access_bidding" THEN 1
            WHEN b."is_paused" THEN 2 WHEN p."enabled" THEN 0 ELSE 3 END,
        w."id", COALESCE(w."balance", 0) - COALESCE(w."held", 0),
        p."fixed_price", p."minimum", p."maximum", p."step",
        {_limits_text("c")}, {_limits_text("b") if bid_limits else "NULL"}
    FROM {_table(Bid)} b
    JOIN {_table(Customer)} c ON c."id" = b."customer_id"
    LEFT JOIN {_table(Wallet)} w ON w."customer_id" = b."customer_id"
    LEFT JOIN p ON p."scope" = b."scope"
    WHERE b."tenant_id" = %s AND b."lead_type_id" = %s AND b."archived_at" IS NULL
        AND (b."scope" = %s OR (b."state" = %s AND ({county})))
    ORDER BY b."id"
    """


@lru_cache(maxsize=4096)
def _county_spellings(state: str, county: str) -> tuple[str, ...] | None:
    """The bid county names (geo's spelling, as bids store them) that match a lead's county, the lead's own
    spelling included; None when geo does not know the county (then county keys are compared)."""
    key = geo.county_key(county)
    names = [name for name in geo.counties_by_state().get(state, []) if geo.county_key(name) == key]
    return tuple(dict.fromkeys([county, *names])) if names else None


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):  # a backend that hands back text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _limit_dict(values: tuple[int | None, ...] | None, kind: str) -> dict[str, int | None]:
    """period → limit for "cap" or "budget" out of a six-limit tuple (empty when there are no limits)."""
    if values is None:
        return {}
    offset = 0 if kind == "cap" else len(LIMIT_PERIODS)
    return dict(zip(LIMIT_PERIODS, values[offset : offset + len(LIMIT_PERIODS)], strict=True))


def load_candidates(
    *, tenant_id: int, lead_type_id: int, state: str, county: str, bid_limits_enabled: bool, now: datetime
) -> list[Offered]:
    """Every live bid on the lead type whose scope covers the location, as candidates (1–2 queries)."""
    spellings = _county_spellings(state, county) if county and state else ()
    mode = "none" if not county else "exact" if spellings else "loose"
    params: list[Any] = [lead_type_id, tenant_id, lead_type_id, Scope.NATIONWIDE, state or "", Scope.STATE]
    if mode == "exact":
        params += [Scope.COUNTY, *spellings]  # type: ignore[misc]
    elif mode == "loose":
        params.append(Scope.COUNTY)
    sql = _candidates_sql(
        vendor=connection.vendor,
        bid_limits=bid_limits_enabled,
        county_mode=mode,
        spellings=len(spellings or ()),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    lead_key = geo.county_key(county) if mode == "loose" else ""
    terms = tier_terms({row[2] for row in rows})
    grids: dict[tuple[Any, ...], Grid] = {}
    offered: list[Offered] = []
    county_scope, zero, exclusions = Scope.COUNTY, Decimal(0), _EXCLUSIONS
    for row in rows:
        (bid_id, bid_public_id, customer_id, scope, bid_county, amount, last_won_at, customer_public_id,
         customer_name, excluded, wallet_id, available, fixed, minimum, maximum, step,
         customer_limits, bid_limits) = row  # fmt: skip
        if lead_key and scope == county_scope and geo.county_key(bid_county) != lead_key:
            continue
        grid_key = (minimum, step, maximum, fixed)
        grid = grids.get(grid_key)
        if grid is None:
            grid = grids[grid_key] = Grid(int(minimum or 1), int(step or 1), maximum, bool(fixed))
        tier = terms.get(customer_id) if terms else None
        offered.append(
            Offered(
                Candidate(
                    bid_id,
                    customer_id,
                    amount,
                    grid,
                    available,
                    tier.penalty_pct if tier else zero,
                    tier.discount_pct if tier else zero,
                    None if last_won_at is None else _epoch(last_won_at),
                    None,
                    None,
                    exclusions[excluded],
                ),
                bid_public_id,
                customer_public_id,
                customer_name,
                wallet_id,
                scope,
                None if customer_limits is None else _parse_limits(customer_limits),
                None if bid_limits is None else _parse_limits(bid_limits),
                tier.name if tier else "",
            )
        )
    return with_usage(offered, now=now)


def with_usage(offered: list[Offered], *, now: datetime) -> list[Offered]:
    """Fill cap/budget headroom from the current usage counters (one query, only if anyone has limits)."""
    limited = [o for o in offered if o.limited and o.candidate.exclusion is None]
    if not limited:
        return offered
    by_customer, by_bid = usage.usage_for(
        customer_ids={o.candidate.customer_id for o in limited},
        bid_ids={o.candidate.bid_id for o in limited},
        now=now,
    )
    headroom = {
        o.candidate.bid_id: _headroom(
            o, by_customer.get(o.candidate.customer_id, {}), by_bid.get(o.candidate.bid_id, {})
        )
        for o in limited
    }
    return [
        o._replace(candidate=replace(o.candidate, cap_left=headroom[o.candidate.bid_id][0],
                                     budget_left=headroom[o.candidate.bid_id][1]))
        if o.candidate.bid_id in headroom else o
        for o in offered
    ]  # fmt: skip


def _tightest(*values: int | None) -> int | None:
    present = [value for value in values if value is not None]
    return min(present) if present else None


def _headroom(offered: Offered, customer_used: dict, bid_used: dict) -> tuple[int | None, int | None]:
    customer, bid = offered.customer_limits, offered.bid_limits
    cap = _tightest(
        usage.limit_left(_limit_dict(customer, "cap"), customer_used, kind="cap"),
        usage.limit_left(_limit_dict(bid, "cap"), bid_used, kind="cap"),
    )
    budget = _tightest(
        usage.limit_left(_limit_dict(customer, "budget"), customer_used, kind="budget"),
        usage.limit_left(_limit_dict(bid, "budget"), bid_used, kind="budget"),
    )
    return cap, budget


# --- the flow log -----------------------------------------------------------------------------------------


def _stamp() -> str:
    return timezone.now().isoformat()


def _event(stage: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"stage": stage, "at": _stamp(), "message": message, **extra}


def _decimal_text(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# The auction stage stores its candidates as a table: {"columns": AUCTION_COLUMNS, "rows": [[…], …]}, one
# row per bid, so a run with a thousand bids stays small. `effective` is null when it equals `competing`
# (no penalty), else the exact decimal as text; `rank` is null for an excluded bid; `reason` is a short
# code (REASON_CODES) or null. The bid's customer and scope are not repeated: a bid never changes either,
# so the reader (auction_candidates) looks them up by the bid's public id. When any candidate has return-
# tier terms, three more columns follow (TIER_COLUMNS): the tier's name and the penalty % and discount %
# applied, as 2-decimal text (all three null for a candidate without terms; absent in older logs).
AUCTION_COLUMNS = ("bid", "amount", "available", "competing", "effective", "rank", "reason")
TIER_COLUMNS = ("tier", "penalty", "discount")
REASON_CODES = {
    INELIGIBLE_CUSTOMER: "ineligible",
    PAUSED: "paused",
    OUT_OF_SCOPE: "scope",
    auction.CAPPED: "capped",
    auction.OVER_BUDGET: "budget",
    auction.UNDERFUNDED: "funds",
    auction.BELOW_MINIMUM: "minimum",
    auction.OUTRANKED_BY_OWN_BID: "own_bid",
}
REASON_TEXTS = {code: text for text, code in REASON_CODES.items()}


def auction_event(offered: list[Offered], decision: Decision, *, smart_pricing: bool) -> dict[str, Any]:
    """The auction stage: every candidate with its amount, competing and effective bid, and outcome."""
    public_ids = {o.candidate.bid_id: o.bid_public_id for o in offered}
    tiers = {o.candidate.bid_id: o.tier_name for o in offered if o.tier_name}
    codes = REASON_CODES
    rows = []
    competed = 0
    for entry in decision.ranked:
        candidate = entry.candidate
        effective = entry.effective
        reason = entry.reason
        if reason is None:
            competed += 1
        rows.append(
            [
                public_ids[candidate.bid_id],
                candidate.amount,
                candidate.available,
                entry.competing,
                None if effective == entry.competing else str(effective),
                entry.rank,
                None if reason is None else codes.get(reason, reason),
            ]
        )
        if tiers:
            name = tiers.get(candidate.bid_id)
            rows[-1] += (
                [name, _decimal_text(candidate.penalty_pct), _decimal_text(candidate.discount_pct)]
                if name
                else [None, None, None]
            )
    columns = [*AUCTION_COLUMNS, *TIER_COLUMNS] if tiers else list(AUCTION_COLUMNS)
    return _event(
        "auction",
        f"{len(rows)} bid(s) considered, {competed} competed.",
        smart_pricing=smart_pricing,
        candidates={"columns": columns, "rows": rows},
    )


def auction_candidates(value: Any, *, tenant_id: int | None = None) -> list[dict[str, Any]]:
    """An auction stage's candidates as one dict per bid (bid, customer, customer_name, scope, amount,
    available, competing, effective as 2-decimal text, outcome, rank, reason; plus the return tier's name,
    penalty % and discount % as text for a candidate with tier terms), from the compact table
    (customers and scopes looked up by bid, in one query, within `tenant_id` when given) or from the
    older list of dicts."""
    if isinstance(value, list):
        return [row for row in value if isinstance(row, dict)]
    rows = _raw_rows(value)
    bids = Bid.objects.filter(public_id__in={str(row.get("bid", "")) for row in rows})
    if tenant_id is not None:
        bids = bids.filter(tenant_id=tenant_id)
    owners = {
        public_id: (customer, name, scope)
        for public_id, customer, name, scope in bids.values_list(
            "public_id", "customer__public_id", "customer__name", "scope"
        )
    } if rows else {}  # fmt: skip
    result = []
    for raw in rows:
        competing = raw.get("competing") or 0
        effective = raw.get("effective")
        rank = raw.get("rank")
        code = raw.get("reason")
        customer, name, scope = owners.get(str(raw.get("bid", "")), ("", "", ""))
        result.append(
            {
                "bid": raw.get("bid", ""),
                "customer": raw.get("customer", customer),
                "customer_name": raw.get("customer_name", name),
                "scope": raw.get("scope", scope),
                "amount": raw.get("amount"),
                "available": raw.get("available"),
                "competing": competing,
                "effective": f"{competing}.00"
                if effective is None
                else _decimal_text(Decimal(str(effective))),
                "outcome": "ranked" if rank is not None else "excluded",
                "rank": rank,
                "reason": REASON_TEXTS.get(code, code) if code else "",
            }
        )
        if raw.get("tier"):
            result[-1].update(tier=raw["tier"], penalty=raw.get("penalty"), discount=raw.get("discount"))
    return result


def losing_bids(events: Any) -> tuple[list[str], list[str]]:
    """(outbid, matched) bid public ids of a sold run's flow log: the bids that competed and ranked below
    the winner on a lower effective bid, and those tied with it that lost the round robin."""
    if not isinstance(events, list) or not any(
        isinstance(e, dict) and e.get("stage") == "assigned" for e in events
    ):
        return [], []
    stage = next((e for e in reversed(events) if isinstance(e, dict) and e.get("stage") == "auction"), None)
    if stage is None:
        return [], []
    ranked = []
    for row in _raw_rows(stage.get("candidates")):
        if row.get("rank") is None:
            continue
        effective = row.get("effective")
        exact = Decimal(row.get("competing") or 0) if effective is None else Decimal(str(effective))
        ranked.append((row["rank"], exact, str(row.get("bid", ""))))
    top = next((effective for rank, effective, _bid in ranked if rank == 1), None)
    outbid, matched = [], []
    for rank, effective, bid in sorted(ranked):
        if rank == 1 or top is None:
            continue
        (matched if effective == top else outbid).append(bid)
    return outbid, matched


def _raw_rows(value: Any) -> list[dict[str, Any]]:
    """Candidate rows with their stored values (effective null = the competing amount), either form."""
    if isinstance(value, list):
        return [row for row in value if isinstance(row, dict)]
    if isinstance(value, dict):
        columns = value.get("columns") or []
        return [dict(zip(columns, row, strict=False)) for row in value.get("rows") or []]
    return []


# --- payout ---------------------------------------------------------------------------------------------


def payout_for(*, terms: Terms, price: int, sold: bool) -> int:
    """What the source earns: fixed price always; fallback price when unsold; else payout % of the price."""
    if terms.source_pricing_kind == SourcePricing.Kind.FIXED:
        return terms.source_pricing_price
    if not sold:
        return terms.source_pricing_price if terms.source_pricing_kind == SourcePricing.Kind.FALLBACK else 0
    return int((price * terms.payout_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- writes inside the transaction -------------------------------------------------------------------------


def _lock_wallets(wallet_ids: Iterable[int]) -> dict[int, Wallet]:
    """Row-lock the wallets in id order (the fixed order every allocation uses)."""
    ids = sorted(set(wallet_ids))
    if not ids:
        return {}
    if rawsql.available():  # a fixed statement, no ORM compilation on the hot path
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_SQL, [ids])
            wallets = [rawsql.instance(Wallet, row) for row in cursor.fetchall()]
    else:
        wallets = list(Wallet.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    return {wallet.pk: wallet for wallet in wallets}


_LOCK_SQL = f"""
SELECT {rawsql.columns(Wallet, "w")} FROM {Wallet._meta.db_table} w
WHERE w."id" = ANY(%s) ORDER BY w."id" FOR UPDATE
"""


_UPSERT_SQL = """
INSERT INTO {table} ("tenant_id", "customer_id", "bid_id", "period", "period_start", "leads", "spent")
VALUES {values}
ON CONFLICT ({owner}, "period", "period_start") WHERE {predicate}
DO UPDATE SET "leads" = {table}."leads" + EXCLUDED."leads", "spent" = {table}."spent" + EXCLUDED."spent"
"""


def usage_record(*, tenant_id: int, customer_id: int, bid_id: int, price: int, now: datetime) -> None:
    """Count one lead and `price` cents against the customer's and the bid's current periods (2 upserts)."""
    starts = usage.period_start_dates(now)
    table = _table(UsageCounter)
    with connection.cursor() as cursor:
        for owner, predicate, bid in (
            ('"customer_id"', '"bid_id" IS NULL', None),
            ('"bid_id"', '"bid_id" IS NOT NULL', bid_id),
        ):
            values = ", ".join(["(%s, %s, %s, %s, %s, 1, %s)"] * len(starts))
            params: list[Any] = []
            for period, start in starts.items():
                params += [
                    tenant_id,
                    customer_id,
                    bid,
                    period,
                    connection.ops.adapt_datefield_value(start),
                    price,
                ]
            cursor.execute(
                _UPSERT_SQL.format(table=table, values=values, owner=owner, predicate=predicate), params
            )


def _now_param() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _log_write(*, lead: Lead, outcome: str, events: list[dict[str, Any]]) -> None:
    """One DistributionLog row; its run number is the lead's previous run + 1 (computed by the insert)."""
    table = _table(DistributionLog)
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} ("tenant_id", "lead_id", "run", "outcome", "events", "created_at")
            SELECT %s, %s, COALESCE(MAX("run"), 0) + 1, %s, %s{json_cast}, %s
            FROM {table} WHERE "lead_id" = %s""",
            [lead.tenant_id, lead.pk, outcome, json.dumps(events), _now_param(), lead.pk],
        )


def _actor_label(actor: Any) -> str:
    from juiced.core.audit import actor_label_for

    return actor_label_for(actor)


@dataclass(frozen=True)
class Sale:
    customer_id: int
    bid_id: int
    price: int


def _lead_finish(
    *,
    lead: Lead,
    expected_status: str,
    status: str,
    values: dict[str, Any],
    reason: str,
    actor: Any,
    events: list[dict[str, Any]],
    sale: Sale | None = None,
) -> None:
    """Move the lead from `expected_status` (refused if it moved meanwhile); log the change and the run;
    for a sale, also count it against the usage counters and stamp the bid's round-robin time; queue
    the lead's side-effect job (in the same statement on PostgreSQL)."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        from juiced.leads.lead_events import job_enqueued, side_effects_job_row

        job = side_effects_job_row(lead)
        updated = _finish_in_one_statement(
            lead=lead, expected_status=expected_status, status=status, values=values, reason=reason,
            actor=actor, events=events, sale=sale, now=now, job=job,
        )  # fmt: skip
        if updated:
            job_enqueued(job)
    else:
        updated = Lead.objects.filter(pk=lead.pk, status=expected_status).update(
            status=status, updated_at=now, **values
        )
        if updated:
            if sale is not None:
                usage_record(
                    tenant_id=lead.tenant_id, customer_id=sale.customer_id, bid_id=sale.bid_id,
                    price=sale.price, now=now,
                )  # fmt: skip
                Bid.objects.filter(pk=sale.bid_id).update(last_won_at=now)
            LeadStatusChange.objects.create(
                tenant_id=lead.tenant_id,
                lead_id=lead.pk,
                from_status=expected_status,
                to_status=status,
                reason=reason[:300],
                actor=actor,
                actor_label=_actor_label(actor),
            )
            _log_write(lead=lead, outcome=status, events=events)
            _enqueue_side_effects(lead)
    if not updated:
        raise InvalidState("This lead is already being processed or was sold.")
    lead.status = status
    lead.updated_at = now
    for name, value in values.items():
        setattr(lead, name, value)


def _job_fields() -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    return [f for f in DBTaskResult._meta.concrete_fields]


@lru_cache(maxsize=64)
def _finish_sql(columns: tuple[str, ...], *, sold: bool) -> str:
    from django_tasks_db.models import DBTaskResult

    lead, change, log = _table(Lead), _table(LeadStatusChange), _table(DistributionLog)
    counters, bids = _table(UsageCounter), _table(Bid)
    assignments = "".join(f', "{column}" = %({column})s' for column in columns)
    sql = f"""
    WITH moved AS (
        UPDATE {lead} SET "status" = %(status)s, "updated_at" = %(now)s{assignments}
        WHERE "id" = %(lead)s AND "status" = %(expected)s
        RETURNING "id", "tenant_id"
    ), change AS (
        INSERT INTO {change} ("tenant_id", "lead_id", "from_status", "to_status", "reason", "actor_id",
            "actor_label", "created_at")
        SELECT "tenant_id", "id", %(expected)s, %(status)s, %(reason)s, %(actor)s::bigint, %(actor_label)s,
            %(now)s
        FROM moved
    ), log AS (
        INSERT INTO {log} ("tenant_id", "lead_id", "run", "outcome", "events", "created_at")
        SELECT "tenant_id", "id",
            COALESCE((SELECT MAX("run") FROM {log} WHERE "lead_id" = %(lead)s), 0) + 1,
            %(status)s, %(events)s::jsonb, %(now)s
        FROM moved
    ), job AS (
        INSERT INTO {_table(DBTaskResult)} ({", ".join(f'"{f.column}"' for f in _job_fields())})
        SELECT {", ".join(f"CAST(%(job_{f.column})s AS {f.db_type(connection)})" for f in _job_fields())}
        FROM moved
    )"""
    if sold:
        sql += f""", stamp AS (
        UPDATE {bids} SET "last_won_at" = %(now)s WHERE "id" = %(bid)s AND EXISTS (SELECT 1 FROM moved)
    ), by_customer AS (
        INSERT INTO {counters}
            ("tenant_id", "customer_id", "bid_id", "period", "period_start", "leads", "spent")
        SELECT moved."tenant_id", %(customer)s, NULL, p."period", p."start", 1, %(price)s
        FROM moved, (VALUES ('daily', %(daily)s::date), ('weekly', %(weekly)s::date),
            ('monthly', %(monthly)s::date)) AS p ("period", "start")
        ON CONFLICT ("customer_id", "period", "period_start") WHERE "bid_id" IS NULL
        DO UPDATE SET "leads" = {counters}."leads" + 1, "spent" = {counters}."spent" + EXCLUDED."spent"
    ), by_bid AS (
        INSERT INTO {counters}
            ("tenant_id", "customer_id", "bid_id", "period", "period_start", "leads", "spent")
        SELECT moved."tenant_id", %(customer)s, %(bid)s, p."period", p."start", 1, %(price)s
        FROM moved, (VALUES ('daily', %(daily)s::date), ('weekly', %(weekly)s::date),
            ('monthly', %(monthly)s::date)) AS p ("period", "start")
        ON CONFLICT ("bid_id", "period", "period_start") WHERE "bid_id" IS NOT NULL
        DO UPDATE SET "leads" = {counters}."leads" + 1, "spent" = {counters}."spent" + EXCLUDED."spent"
    )"""
    return sql + " SELECT COUNT(*) FROM moved"


def _finish_in_one_statement(
    *,
    lead: Lead,
    expected_status: str,
    status: str,
    values: dict[str, Any],
    reason: str,
    actor: Any,
    events: list[dict[str, Any]],
    sale: Sale | None,
    now: datetime,
    job: Any,
) -> int:
    """PostgreSQL: the lead, its status change, its log row, the counters, the bid stamp and the
    side-effect job's queue row (`job`, unsaved) in one trip."""
    columns = tuple(sorted(values))
    params: dict[str, Any] = {
        **values,
        "status": status,
        "expected": expected_status,
        "now": now,
        "lead": lead.pk,
        "reason": reason[:300],
        "actor": actor.pk if actor is not None else None,
        "actor_label": _actor_label(actor),
        "events": json.dumps(events),
    }
    for f in _job_fields():
        params[f"job_{f.column}"] = f.get_db_prep_save(f.pre_save(job, add=True), connection)
    if sale is not None:
        starts = usage.period_start_dates(now)
        params.update(customer=sale.customer_id, bid=sale.bid_id, price=sale.price, **starts)
    with connection.cursor() as cursor:
        cursor.execute(_finish_sql(columns, sold=sale is not None), params)
        return cursor.fetchone()[0]


# --- allocation -------------------------------------------------------------------------------------------


class _Retry(Exception):
    """Raised inside the transaction when fresh numbers under the lock change the winner."""

    def __init__(self, offered: list[Offered], note: dict[str, Any]) -> None:
        super().__init__("retry")
        self.offered = offered
        self.note = note


def _fresh(offered: Offered, wallet: Wallet, *, now: datetime) -> Offered:
    """The candidate with funds and headroom re-read under the wallet lock."""
    candidate = replace(offered.candidate, available=wallet.balance - wallet.held)
    fresh = offered._replace(candidate=candidate)
    if offered.limited:
        fresh = with_usage([fresh], now=now)[0]
    return fresh


def _description(lead: Lead, lead_type_name: str) -> str:
    return f"Lead {lead.public_id} ({lead_type_name})"


def lead_allocate(
    *,
    lead: Lead,
    offer: PingOffer | None = None,
    actor: Any = None,
    prior_events: Sequence[dict[str, Any]] = (),
) -> AllocationResult:
    """Sell a saved lead (status Processing, lead type set): run the auction among eligible bids — or,
    when `offer` is a ping offer the post chose, honour it by capturing its hold — then charge, count
    caps/budgets, assign, set the status and write one DistributionLog row, all in one transaction.
    A lead with no winner becomes Unassigned. Notifications and webhooks are queued on commit.
    `prior_events` are flow-log stages the caller already ran (validation, duplicate check)."""
    if lead.status != LeadStatus.PROCESSING:
        raise InvalidState(f"Only a processing lead can be allocated (this one is {lead.status}).")
    if lead.lead_type_id is None:
        raise InvalidState("The lead has no lead type.")
    return _allocate(lead=lead, offer=offer, actor=actor, prior_events=list(prior_events), reason="")


def _allocate(
    *, lead: Lead, offer: PingOffer | None, actor: Any, prior_events: list[dict[str, Any]], reason: str
) -> AllocationResult:
    now = timezone.now()
    lead_type = lead.lead_type
    terms = load_terms(source_id=lead.source_id, lead_type_id=lead.lead_type_id)
    events: list[dict[str, Any]] = [
        _event("initiated", reason or "Distribution started."),
        *prior_events,
        _event("lead_type", f"Lead type {lead_type.name}.", lead_type=lead_type.public_id),
    ]
    if offer is not None:
        honoured = _honour_offer(lead=lead, offer=offer, actor=actor, terms=terms, events=events, now=now)
        if honoured is not None:
            return honoured
    notes: list[dict[str, Any]] = []
    for _attempt in range(MAX_ATTEMPTS):
        # A retry reloads every candidate: whatever moved one buyer's funds may have moved others'.
        offered = load_candidates(
            tenant_id=lead.tenant_id,
            lead_type_id=lead.lead_type_id,
            state=lead.state,
            county=lead.county,
            bid_limits_enabled=terms.bid_limits_enabled,
            now=now,
        )
        decision = auction.decide([o.candidate for o in offered], smart_pricing=terms.smart_pricing)
        try:
            return _settle(
                lead=lead,
                lead_type=lead_type,
                offered=offered,
                decision=decision,
                terms=terms,
                actor=actor,
                events=[*events, *notes],
                now=now,
            )
        except _Retry as retry:
            notes = [*notes, retry.note]
    raise InvalidState("The auction could not settle under contention; try again.")


def _ping_wallets(lead: Lead, keep: PingOffer | None) -> list[tuple[PingOffer, int]]:
    """The ping's still-held offers (other than `keep`) with their wallet ids, to release in this commit."""
    if lead.ping_id is None:
        return []
    rows = PingOffer.objects.filter(ping_id=lead.ping_id, status=PingOffer.Status.HELD).select_related("hold")
    return [(o, o.hold.wallet_id) for o in rows if o.hold_id and (keep is None or o.pk != keep.pk)]


def _release_offers(pairs: list[tuple[PingOffer, int]], *, reason: str) -> None:
    for offer, _wallet_id in pairs:
        if offer.hold is not None and offer.hold.status == Hold.Status.ACTIVE:
            try:
                hold_release(hold=offer.hold, event=TransactionEvent.PING_HOLD_RELEASED, description=reason)
            except InvalidState:
                pass  # released meanwhile (expiry); nothing is held any more
    if pairs:
        PingOffer.objects.filter(pk__in=[offer.pk for offer, _ in pairs]).update(
            status=PingOffer.Status.RELEASED
        )


def _settle(
    *,
    lead: Lead,
    lead_type: LeadType,
    offered: list[Offered],
    decision: Decision,
    terms: Terms,
    actor: Any,
    events: list[dict[str, Any]],
    now: datetime,
) -> AllocationResult:
    """The one transaction: lock, re-check, charge, count, assign, log (or mark unassigned)."""
    events = [*events, auction_event(offered, decision, smart_pricing=terms.smart_pricing)]
    releases = _ping_wallets(lead, None)
    winner = decision.winner
    if winner is None:
        # Nothing here can ask for a retry: inside a caller's transaction, no savepoint is needed.
        with transaction.atomic(savepoint=False):
            _lock_wallets(wallet_id for _offer, wallet_id in releases)
            _release_offers(releases, reason=f"Ping hold released: lead {lead.public_id} was not sold")
            payout = payout_for(terms=terms, price=0, sold=False)
            events.append(_event("unassigned", "No eligible bid: the lead is unassigned.", payout=payout))
            _lead_finish(
                lead=lead,
                expected_status=LeadStatus.PROCESSING,
                status=LeadStatus.UNASSIGNED,
                values={"payout": payout},
                reason="No eligible bid",
                actor=actor,
                events=events,
            )
        return AllocationResult(status=LeadStatus.UNASSIGNED, payout=payout, events=events)

    index = next(i for i, o in enumerate(offered) if o.candidate.bid_id == winner.bid_id)
    chosen = offered[index]
    description = _description(lead, lead_type.name)
    related = Related("lead", lead.public_id)
    # Outside a transaction this is BEGIN … COMMIT. Inside the caller's, it is a savepoint: a retry must
    # roll back to it so the wallet lock it took is released (retries lock other wallets, in order).
    with transaction.atomic():
        wallets = _lock_wallets([chosen.wallet_id, *(wallet_id for _offer, wallet_id in releases)])
        wallet = wallets[chosen.wallet_id]
        # Holds this commit releases count as the winner's funds (its own ping offer, if any).
        released_own = sum(
            offer.hold.amount
            for offer, wallet_id in releases
            if wallet_id == chosen.wallet_id and offer.hold.status == Hold.Status.ACTIVE
        )
        fresh = _fresh(chosen, wallet, now=now)
        if released_own:
            fresh = fresh._replace(
                candidate=replace(fresh.candidate, available=fresh.candidate.available + released_own)
            )
        if fresh.candidate != chosen.candidate:
            updated = [*offered[:index], fresh, *offered[index + 1 :]]
            again = auction.decide([o.candidate for o in updated], smart_pricing=terms.smart_pricing)
            if again.winner is None or again.winner.bid_id != winner.bid_id:
                raise _Retry(
                    updated,
                    _event(
                        "recheck",
                        f"Bid {chosen.bid_public_id} changed while locking (funds, cap or budget); "
                        "the auction ran again.",
                        bid=chosen.bid_public_id,
                    ),
                )
            offered, decision = updated, again
            events[-1] = auction_event(offered, decision, smart_pricing=terms.smart_pricing)
        if releases:
            _release_offers(releases, reason=f"Ping hold released: lead {lead.public_id} was sold by auction")
            wallet.refresh_from_db(fields=["balance", "held"])
        price = decision.price
        # The lock and the re-check above mean this cannot be refused for funds.
        txn, _replayed = wallet_debit(
            wallet=wallet,
            amount=price,
            event=TransactionEvent.LEAD_ASSIGNED,
            description=description,
            actor=actor,
            related=related,
        )
        payout = payout_for(terms=terms, price=price, sold=True)
        events.append(
            _event(
                "assigned",
                f"Sold to {chosen.customer_name} for {format_money(price)}.",
                bid=chosen.bid_public_id,
                customer=chosen.customer_public_id,
                customer_name=chosen.customer_name,
                amount=winner.amount,
                price_before_discount=decision.price_before_discount,
                price=price,
                payout=payout,
                transaction=txn.public_id,
            )
        )
        return _sold(
            lead=lead,
            sale=Sale(customer_id=winner.customer_id, bid_id=winner.bid_id, price=price),
            bid_amount=winner.amount,
            payout=payout,
            txn=txn,
            now=now,
            reason=f"Won by {chosen.customer_name} (bid {chosen.bid_public_id})",
            actor=actor,
            events=events,
        )


def _sold(
    *,
    lead: Lead,
    sale: Sale,
    bid_amount: int,
    payout: int,
    txn: Any,
    now: datetime,
    reason: str,
    actor: Any,
    events: list[dict[str, Any]],
) -> AllocationResult:
    """Record a charged sale on the lead (assigned, buyer, bid, price, payout, charge) and answer it."""
    _lead_finish(
        lead=lead,
        expected_status=LeadStatus.PROCESSING,
        status=LeadStatus.ASSIGNED,
        values={
            "customer_id": sale.customer_id,
            "bid_id": sale.bid_id,
            "bid_amount": bid_amount,
            "price": sale.price,
            "payout": payout,
            "transaction_id": txn.pk,
            "assigned_at": now,
        },
        reason=reason,
        actor=actor,
        events=events,
        sale=sale,
    )
    return AllocationResult(
        status=LeadStatus.ASSIGNED,
        price=sale.price,
        payout=payout,
        customer_id=sale.customer_id,
        bid_id=sale.bid_id,
        events=events,
    )


def _honour_offer(
    *, lead: Lead, offer: PingOffer, actor: Any, terms: Terms, events: list[dict[str, Any]], now: datetime
) -> AllocationResult | None:
    """Capture the chosen ping offer's hold at its price; None when the offer is no longer valid."""
    releases = _ping_wallets(lead, offer)
    hold = Hold.objects.filter(pk=offer.hold_id).first() if offer.hold_id else None
    if hold is None:
        events.append(_event("ping_offer", "The ping's offer has no hold; running the auction."))
        return None
    bid = Bid.objects.select_related("customer").filter(pk=offer.bid_id).first()
    # No savepoint inside a caller's transaction: an invalid offer returns (nothing written), any error
    # aborts the whole transaction anyway.
    with transaction.atomic(savepoint=False):
        _lock_wallets([hold.wallet_id, *(wallet_id for _o, wallet_id in releases)])
        hold.refresh_from_db(fields=["status"])
        current = PingOffer.objects.filter(pk=offer.pk).values_list("status", flat=True).first()
        problem = ""
        if hold.status != Hold.Status.ACTIVE or current != PingOffer.Status.HELD:
            problem = "its hold was released or expired"
        elif bid is None or bid.archived_at is not None:
            problem = "the bid was archived"
        else:
            problem = _offer_limits_problem(bid=bid, price=offer.price, terms=terms, now=now)
        if problem:
            events.append(
                _event(
                    "ping_offer", f"The ping's offer could not be honoured: {problem}; running the auction."
                )
            )
            return None
        customer = bid.customer
        txn = hold_capture(
            hold=hold,
            amount=offer.price,
            event=TransactionEvent.LEAD_ASSIGNED,
            description=_description(lead, lead.lead_type.name),
            actor=actor,
            related=Related("lead", lead.public_id),
        )
        PingOffer.objects.filter(pk=offer.pk).update(status=PingOffer.Status.WON)
        _release_offers(releases, reason=f"Ping hold released: lead {lead.public_id} went to another offer")
        payout = payout_for(terms=terms, price=offer.price, sold=True)
        events.append(
            _event(
                "ping_honoured",
                f"Ping offer honoured: sold to {customer.name} for {format_money(offer.price)}.",
                bid=bid.public_id,
                customer=customer.public_id,
                customer_name=customer.name,
                rank=offer.rank,
                price=offer.price,
                payout=payout,
                transaction=txn.public_id,
            )
        )
        return _sold(
            lead=lead,
            sale=Sale(customer_id=customer.pk, bid_id=bid.pk, price=offer.price),
            bid_amount=bid.amount,
            payout=payout,
            txn=txn,
            now=now,
            reason=f"Ping offer honoured for {customer.name} (bid {bid.public_id})",
            actor=actor,
            events=events,
        )


def _offer_limits_problem(*, bid: Bid, price: int, terms: Terms, now: datetime) -> str:
    """Why a held offer can no longer be taken under the customer's or bid's caps/budgets ("" if it can)."""
    customer = bid.customer
    if customer.is_paused or customer.archived_at is not None:
        return "the customer is paused or archived"
    customer_limits = tuple(getattr(customer, column) for column in _LIMIT_COLUMNS)
    bid_limits = (
        tuple(getattr(bid, column) for column in _LIMIT_COLUMNS) if terms.bid_limits_enabled else None
    )
    probe = Offered(
        candidate=Candidate(bid.pk, customer.pk, bid.amount, Grid(1, 1), available=price),
        bid_public_id=bid.public_id,
        customer_public_id=customer.public_id,
        customer_name=customer.name,
        wallet_id=None,
        scope=bid.scope,
        customer_limits=customer_limits if any(customer_limits) else None,
        bid_limits=bid_limits if bid_limits and any(bid_limits) else None,
    )
    if not probe.limited:
        return ""
    probe = with_usage([probe], now=now)[0]
    if probe.candidate.cap_left is not None and probe.candidate.cap_left <= 0:
        return "a cap is reached"
    if probe.candidate.budget_left is not None and probe.candidate.budget_left < price:
        return "a budget cannot cover the price"
    return ""


def _enqueue_side_effects(lead: Lead) -> None:
    from juiced.leads.lead_events import lead_processed_side_effects_enqueue

    lead_processed_side_effects_enqueue(lead)


# --- reprocess ------------------------------------------------------------------------------------------


def _retype(lead: Lead) -> int | None:
    """The lead type the lead's data matches now (for an uncategorized lead), or None."""
    from juiced.leads.matching import TypeRule, match_lead_type

    types = LeadType.objects.filter(category_id=lead.category_id, archived_at__isnull=True).order_by(
        "position", "id"
    )
    rules = [TypeRule(id=t.pk, groups=t.conditions or [], is_fallback=t.is_fallback) for t in types]
    return match_lead_type(rules, lead.data or {})


def lead_reprocess(*, lead: Lead, actor: Any) -> AllocationResult:
    """Run an unassigned (or uncategorized/distribution error) lead through allocation again; refuses a
    sold lead (InvalidState). Adds a status change and a new DistributionLog run."""
    if lead.status not in REPROCESSABLE:
        raise InvalidState(
            "Only unassigned, uncategorized or errored leads can be reprocessed "
            f"(this one is {lead.get_status_display().lower()})."
        )
    label = _actor_label(actor)
    reason = f"Reprocessed by {label}"
    lead_type_id = lead.lead_type_id or _retype(lead)
    with transaction.atomic():
        moved = Lead.objects.filter(pk=lead.pk, status=lead.status).update(
            status=LeadStatus.PROCESSING, lead_type_id=lead_type_id, updated_at=timezone.now()
        )
        if not moved:
            raise InvalidState("This lead changed meanwhile; reload and try again.")
        LeadStatusChange.objects.create(
            tenant_id=lead.tenant_id,
            lead_id=lead.pk,
            from_status=lead.status,
            to_status=LeadStatus.PROCESSING,
            reason=reason,
            actor=actor,
            actor_label=label,
        )
    previous = lead.status
    lead.status, lead.lead_type_id = LeadStatus.PROCESSING, lead_type_id
    if lead_type_id is None:
        events = [_event("initiated", reason), _event("lead_type", "No lead type matches the lead's data.")]
        with transaction.atomic():
            _lead_finish(
                lead=lead,
                expected_status=LeadStatus.PROCESSING,
                status=LeadStatus.UNCATEGORIZED,
                values={},
                reason="No lead type matches",
                actor=actor,
                events=events,
            )
        return AllocationResult(status=LeadStatus.UNCATEGORIZED, events=events)
    lead.lead_type = LeadType.objects.get(pk=lead_type_id)
    try:
        return _allocate(
            lead=lead, offer=None, actor=actor, prior_events=[], reason=f"{reason} (was {previous})."
        )
    except Exception:
        Lead.objects.filter(pk=lead.pk, status=LeadStatus.PROCESSING).update(status=previous)
        lead.status = previous
        raise


# --- ping/post ------------------------------------------------------------------------------------------


def ping_quote(*, ping: Ping, limit: int) -> list[PingOffer]:
    """Auction a saved ping (lead type and location set on it) and hold the buyer's price for the top
    `limit` offers (one per customer), each as a PingOffer with a wallet Hold (event Ping Hold).
    Returns the offers by rank (empty when nobody bids)."""
    if ping.lead_type_id is None or limit <= 0:
        return []
    now = timezone.now()
    terms = load_terms(source_id=ping.source_id, lead_type_id=ping.lead_type_id)
    offered = load_candidates(
        tenant_id=ping.tenant_id,
        lead_type_id=ping.lead_type_id,
        state=ping.state,
        county=ping.county,
        bid_limits_enabled=terms.bid_limits_enabled,
        now=now,
    )
    decision = auction.decide([o.candidate for o in offered], smart_pricing=terms.smart_pricing)
    by_bid = {o.candidate.bid_id: o for o in offered}
    top = [entry for entry in decision.ranked if entry.rank is not None][:limit]
    quotes: list[tuple[int, Offered, int]] = []
    for entry in top:
        price = (
            decision.price
            if entry.rank == 1
            else auction.discounted(entry.competing, entry.candidate.discount_pct)
        )
        quotes.append((entry.rank, by_bid[entry.candidate.bid_id], price))
    related = Related("ping", str(ping.uuid))
    offers: list[PingOffer] = []
    with transaction.atomic():
        # Holds are placed in wallet-id order: the same lock order as every allocation.
        for rank, o, price in sorted(quotes, key=lambda quote: quote[1].wallet_id or 0):
            if o.wallet_id is None or price <= 0:
                continue
            try:
                hold, _replayed = hold_place(
                    wallet=Wallet(pk=o.wallet_id, tenant_id=ping.tenant_id),
                    amount=price,
                    event=TransactionEvent.PING_HOLD,
                    description=f"Ping hold for {ping.uuid}",
                    related=related,
                )
            except InsufficientFunds:
                continue  # spent meanwhile: this buyer is not offered
            offers.append(
                PingOffer(
                    tenant_id=ping.tenant_id,
                    ping=ping,
                    bid_id=o.candidate.bid_id,
                    customer_id=o.candidate.customer_id,
                    price=price,
                    rank=rank,
                    hold=hold,
                )
            )
        PingOffer.objects.bulk_create(offers)
    offers.sort(key=lambda offer: offer.rank)
    return offers


def ping_release(*, ping: Ping, keep: PingOffer | None = None, reason: str = "") -> None:
    """Release the holds of a ping's offers (all but `keep`), e.g. on the matching post or on expiry."""
    rows = PingOffer.objects.filter(ping_id=ping.pk, status=PingOffer.Status.HELD).select_related("hold")
    pairs = [(o, o.hold.wallet_id if o.hold_id else 0) for o in rows if keep is None or o.pk != keep.pk]
    if not pairs:
        return
    with transaction.atomic():
        _lock_wallets(wallet_id for _o, wallet_id in pairs if wallet_id)
        _release_offers(pairs, reason=reason or f"Ping hold released for {ping.uuid}")


__all__ = [
    "AllocationResult",
    "SOLD_STATUSES",
    "lead_allocate",
    "lead_reprocess",
    "ping_quote",
    "ping_release",
    "tier_terms",
]
