"""The source API's services: a ping or a lead from an authenticated source, to a Juiced-shaped reply.

`ping_submit` and `lead_submit` take the raw body and return a `Reply` (status, JSON body, headers);
every call they handle leaves exactly one Submission row (accepted or rejected, with the reason, the
errors, the payload, the response and the latency from the view's entry). A rejected call writes nothing
else: no lead, no ping.

Hot path notes: a category's schema (fields, live lead types, duplicate rules) and a tenant's
LeadSettings are cached per process for SCHEMA_TTL seconds (and the schema also until the category's
`updated_at` changes), so a setup change reaches ingestion within a few seconds. A post without a ping
costs a fixed handful of queries whatever the number of fields, lead types or rules.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from juiced.core import rawsql
from juiced.core.ids import new_public_id
from juiced.leads import allocation, duplicates, geo, ingest_sql, matching
from juiced.leads import fields as lead_fields
from juiced.leads.models import (
    CategoryField,
    DistributionLog,
    DuplicateRule,
    Lead,
    LeadCategory,
    LeadSettings,
    LeadStatus,
    LeadStatusChange,
    LeadType,
    Ping,
    PingOffer,
    Source,
    SourcePricing,
    Submission,
)
from juiced.leads.pings import ping_expire
from juiced.leads.rate_limit import rate_limit_hit
from juiced.leads.tenant_settings import lead_settings_for

logger = logging.getLogger("juiced.leads.ingest")

SCHEMA_TTL = 5.0  # seconds a cached category schema / tenant setting may be stale

# Juiced's exact wording (openapi.json).
INVALID = "The given data was invalid."
PING_NOT_FOUND = "Ping could not be found with the provided ping ID"
PING_EXPIRED = "Ping ID has expired"
PING_MISMATCH = "Lead data does not match ping data"
MATCH_FOUND, NO_MATCH, DUPLICATE, REJECTED = "Match found", "No match found", "Duplicate", "Rejected"

# Test mode (vendor sources): deterministic answers per reserved ZIP; any other ZIP → Audit.
TEST_PRICE = 1000  # cents reported for a test "Match found" / assigned lead; nobody is charged
TEST_PING_MESSAGES = {"00001": MATCH_FOUND, "00002": DUPLICATE, "00003": REJECTED, "00004": NO_MATCH,
                      "00005": MATCH_FOUND}  # fmt: skip
TEST_LEAD_STATUSES = {"00001": LeadStatus.ASSIGNED, "00002": LeadStatus.DUPLICATE, "00003": LeadStatus.AUDIT,
                      "00004": LeadStatus.UNASSIGNED, "00005": LeadStatus.MARKETPLACE}  # fmt: skip

# Our statuses → Juiced's LeadResponse enum (plus "posted", which Juiced's guide lists).
API_STATUS = {
    LeadStatus.ASSIGNED: "assigned",
    LeadStatus.POSTED: "posted",
    LeadStatus.DUPLICATE: "duplicate",
    LeadStatus.UNASSIGNED: "unassigned",
    LeadStatus.UNCATEGORIZED: "unassigned",
    LeadStatus.MARKETPLACE: "marketplace",
    LeadStatus.AUDIT: "audit",
}


# --- JSON with 2-decimal prices -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """Cents that render as a JSON number with exactly two decimals (`45.00`)."""

    cents: int

    def text(self) -> str:
        sign = "-" if self.cents < 0 else ""
        whole, part = divmod(abs(self.cents), 100)
        return f"{sign}{whole}.{part:02d}"


def render_json(value: Any) -> str:
    """JSON text of `value`, writing each Price as a number with two decimals."""
    if isinstance(value, Price):
        return value.text()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {render_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_json(item) for item in value) + "]"
    return json.dumps(value)


def plain(value: Any) -> Any:
    """`value` with each Price as a float, for storing the response in a JSONField."""
    if isinstance(value, Price):
        return value.cents / 100
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def content(self) -> str:
        return render_json(self.body)


def validation_reply(errors: dict[str, list[str]]) -> Reply:
    return Reply(422, {"message": INVALID, "errors": errors})


# --- per-process caches ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySchema:
    category_id: int
    updated_at: datetime
    specs: list[lead_fields.FieldSpec]
    type_rules: list[matching.TypeRule]
    lead_types: dict[int, LeadType]  # live types by id, so a new lead carries its type without a query
    duplicate_rules: list[duplicates.RuleSpec]


_lock = threading.Lock()
_schemas: dict[int, tuple[float, CategorySchema]] = {}
_settings: dict[int, tuple[float, LeadSettings]] = {}


def _load_schema(category: LeadCategory) -> CategorySchema:
    specs = [
        lead_fields.FieldSpec(
            key=row.key, label=row.label, field_type=row.field_type, options=tuple(row.options or ()),
            required_for_ping=row.required_for_ping, required_for_post=row.required_for_post,
            deliverable=row.deliverable,
        )
        for row in CategoryField.objects.filter(category_id=category.pk).order_by("position", "id")
    ]  # fmt: skip
    types = list(
        LeadType.objects.filter(category_id=category.pk, archived_at__isnull=True).order_by("position", "id")
    )
    rules = DuplicateRule.objects.filter(category_id=category.pk, is_active=True).order_by("id")
    return CategorySchema(
        category_id=category.pk,
        updated_at=category.updated_at,
        specs=specs,
        type_rules=[matching.TypeRule(t.pk, t.conditions or [], t.is_fallback) for t in types],
        lead_types={t.pk: t for t in types},
        duplicate_rules=[duplicates.rule_spec(rule) for rule in rules],
    )


def category_schema(*, category: LeadCategory) -> CategorySchema:
    """The category's fields, live lead types and active duplicate rules (cached a few seconds)."""
    now = time.monotonic()
    cached = _schemas.get(category.pk)
    if cached and cached[0] > now and cached[1].updated_at == category.updated_at:
        return cached[1]
    schema = _load_schema(category)
    with _lock:
        _schemas[category.pk] = (now + SCHEMA_TTL, schema)
    return schema


def tenant_lead_settings(*, tenant_id: int) -> LeadSettings:
    """The tenant's LeadSettings (cached a few seconds)."""
    now = time.monotonic()
    cached = _settings.get(tenant_id)
    if cached and cached[0] > now:
        return cached[1]
    found = lead_settings_for(tenant_id)
    with _lock:
        _settings[tenant_id] = (now + SCHEMA_TTL, found)
    return found


def caches_clear() -> None:
    """Forget every cached schema and setting (tests, and after bulk setup changes)."""
    with _lock:
        _schemas.clear()
        _settings.clear()


# --- the shared front half of a ping and a post ------------------------------------------------------------


@dataclass
class Call:
    """One authenticated call on its way through: who, what, and the clock started at the view."""

    source: Source
    kind: str
    started: float
    payload: dict[str, Any]
    stored_payload: dict[str, Any]
    is_test: bool


@dataclass
class Accepted:
    """A payload that passed validation, with its location and lead type."""

    schema: CategorySchema
    settings: LeadSettings
    values: dict[str, Any]
    zip_code: str
    state: str
    county: str
    lead_type_id: int | None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN/Infinity: not JSON, and PostgreSQL's jsonb refuses them


def _parse(body: bytes) -> tuple[Any, bool]:
    """(the decoded body, True) — or (the raw text, False) when it is not JSON. An empty body is {}."""
    if not body or not body.strip():
        return {}, True
    try:
        return json.loads(body, parse_constant=_no_constant), True
    except (ValueError, UnicodeDecodeError):
        return body[:10_000].decode("utf-8", "replace"), False


def submission_record(
    *,
    call: Call,
    reply: Reply,
    reason: str,
    errors: dict[str, Any] | None = None,
    lead: Lead | None = None,
    ping: Ping | None = None,
) -> Submission:
    """Write the one Submission row of a call (accepted when the reply is 2xx)."""
    accepted = 200 <= reply.status < 300
    submission = Submission(
        tenant_id=call.source.tenant_id,
        source=call.source,
        kind=call.kind,
        outcome=Submission.Outcome.ACCEPTED if accepted else Submission.Outcome.REJECTED,
        reason=reason[:300],
        errors=errors or {},
        payload=call.stored_payload,
        response=plain(reply.body),
        http_status=reply.status,
        is_test=call.is_test,
        lead=lead,
        ping=ping,
        latency_ms=round((time.perf_counter() - call.started) * 1000, 3),
    )
    if not rawsql.available():
        submission.save(force_insert=True)
        return submission
    submission.public_id = new_public_id("sub")
    submission.created_at = timezone.now()
    # In autocommit (a view, after the lead's commit) the one INSERT needs no transaction; inside a caller's
    # transaction a savepoint keeps a failed write from breaking it.
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        ingest_sql.submission_insert(submission)
    return submission


def _recorded(
    call: Call, reply: Reply, reason: str, *, lead: Lead | None = None, ping: Ping | None = None
) -> Reply:
    """Record an accepted call after its work committed; a failure to record is logged, never undoes it."""
    try:
        submission_record(call=call, reply=reply, reason=reason, lead=lead, ping=ping)
    except Exception:
        logger.exception("Could not record the submission of source %s", call.source.public_id)
    return reply


def _stored_payload(decoded: Any, ok: bool, partner_id: str) -> dict[str, Any]:
    """The payload kept on the Submission: the body object, else its raw text; partner id in `_meta`."""
    stored = dict(decoded) if ok and isinstance(decoded, dict) else {"_raw": decoded if ok else str(decoded)}
    if partner_id:
        stored["_meta"] = {"partner_id": partner_id[:100]}
    return stored


def submission_failure_record(
    *, source: Source, kind: str, body: bytes, partner_id: str, started: float
) -> Submission:
    """Record a call that crashed with a server error (best effort: the crash is already logged)."""
    decoded, ok = _parse(body)
    is_test = source.kind == Source.Kind.VENDOR and source.test_mode
    call = Call(source=source, kind=kind, started=started, payload={},
                stored_payload=_stored_payload(decoded, ok, partner_id), is_test=is_test)  # fmt: skip
    return submission_record(call=call, reply=Reply(500, {"message": "Server Error"}), reason="Server error")


def _reject(call: Call, reply: Reply, reason: str, errors: dict[str, Any] | None = None) -> Reply:
    submission_record(call=call, reply=reply, reason=reason, errors=errors)
    return reply


def lead_location(values: dict[str, Any]) -> tuple[str, str, str]:
    """(zip, state, county) columns: the ZIP decides; a submitted state/county is kept only when consistent.

    A submitted county is used when it is a county of the ZIP's state (and the submitted state, if any, is
    that state), in the geography's spelling; otherwise the ZIP's county. Test ZIPs have no geography:
    the submitted state and county are used as given (normalised)."""
    zip_code = str(values.get("zip") or "")
    given_state = geo.normalize_state(str(values.get("state") or ""))
    given_county = str(values.get("county") or "").strip()
    place = geo.place_for_zip(zip_code) if zip_code not in geo.TEST_ZIPS else None
    if place is None:
        county = (geo.county_in_state(given_state, given_county) or given_county) if given_county else ""
        return zip_code, given_state, county[:100]
    county = place.county
    if given_county and given_state in ("", place.state):
        county = geo.county_in_state(place.state, given_county) or county
    return place.zip_code, place.state, county


def _start(*, source: Source, kind: str, body: bytes, partner_id: str, started: float) -> Call | Reply:
    is_test = source.kind == Source.Kind.VENDOR and source.test_mode
    decoded, ok = _parse(body)
    payload = decoded if ok and isinstance(decoded, dict) else {}
    stored = _stored_payload(decoded, ok, partner_id)
    call = Call(
        source=source, kind=kind, started=started, payload=payload, stored_payload=stored, is_test=is_test
    )
    settings = tenant_lead_settings(tenant_id=source.tenant_id)
    limit = source.rate_limit_per_minute or settings.default_rate_limit_per_minute
    retry_after = rate_limit_hit(source_key=source.public_id, limit=limit)
    if retry_after is not None:
        reply = Reply(429, {"message": "Too Many Attempts."}, {"Retry-After": str(retry_after)})
        return _reject(call, reply, f"Rate limit exceeded ({limit} per minute)")
    if not ok or not isinstance(decoded, dict):
        errors = {"body": ["The request body must be a JSON object."]}
        return _reject(call, validation_reply(errors), "The body is not a JSON object", errors)
    return call


def _accept(call: Call, *, stage: lead_fields.Stage) -> Accepted | Reply:
    source = call.source
    if source.default_category_id is None or source.default_category is None:
        errors = {"category": ["This source has no lead category; the tenant must set one on the source."]}
        return _reject(call, validation_reply(errors), "The source has no default lead category", errors)
    schema = category_schema(category=source.default_category)
    validated = lead_fields.validate_payload(
        schema.specs, call.payload, stage=stage, allow_test_zip=call.is_test
    )
    if not validated.ok:
        fields = ", ".join(sorted(validated.errors))
        return _reject(
            call, validation_reply(validated.errors), f"Invalid fields: {fields}", validated.errors
        )
    values = validated.values
    zip_code, state, county = lead_location(values)
    match_values = dict(values)
    if state:
        match_values["state"] = state
    if county:
        match_values.setdefault("county", county)
    lead_type_id = matching.match_lead_type(schema.type_rules, match_values)
    return Accepted(
        schema=schema,
        settings=tenant_lead_settings(tenant_id=source.tenant_id),
        values=values,
        zip_code=zip_code,
        state=state,
        county=county,
        lead_type_id=lead_type_id,
    )


def flow_event(stage: str, message: str, **extra: Any) -> dict[str, Any]:
    """One stage of a lead's flow log, as the engine writes them."""
    return {"stage": stage, "at": timezone.now().isoformat(), "message": message, **extra}


def _intake_events(intake: Intake) -> list[dict[str, Any]]:
    """The flow-log stages ingestion ran before distribution: received, validation, ping, duplicates."""
    source = intake.call.source
    events = [
        flow_event("received", f"Received from source {source.name}.", source=source.public_id),
        flow_event("validation", f"Valid: {len(intake.accepted.values)} fields."),
    ]
    if intake.ping is not None:
        events.append(
            flow_event("ping", f"Posted against ping {intake.ping.uuid}.", ping=str(intake.ping.uuid))
        )
    if intake.duplicate_check:
        events.append(flow_event("duplicates", intake.duplicate_check))
    if intake.call.is_test:
        events.append(flow_event("test_mode", "Test data from a source in test mode."))
    return events


def _side_effects_enqueue(lead: Lead) -> None:
    """Ask the engine to announce a lead it did not allocate (webhooks lead.created / lead.duplicated)."""
    try:
        from juiced.leads import lead_events  # the engine's module; absent until it lands
    except ImportError:
        return
    enqueue = getattr(lead_events, "lead_processed_side_effects_enqueue", None)
    if enqueue is not None:
        enqueue(lead)


# --- pings ------------------------------------------------------------------------------------------------


def public_customer_number(public_id: str) -> int:
    """A stable 31-bit integer for a customer's public id (Juiced's integer `customer_id`)."""
    return int.from_bytes(hashlib.sha256(public_id.encode()).digest()[:4], "big") & 0x7FFFFFFF


def _payout(cents: int, percent: Decimal) -> int:
    return int((Decimal(cents) * Decimal(percent) / 100).to_integral_value(rounding=ROUND_DOWN))


def vendor_price(*, source: Source, lead_type_id: int | None, top_price: int | None) -> int:
    """What a vendor is told: top offer × payout %, or a Fixed price; without bids the source's own price."""
    pricing = None
    if lead_type_id is not None:
        pricing = SourcePricing.objects.filter(source_id=source.pk, lead_type_id=lead_type_id).first()
    if top_price is None:
        return pricing.price if pricing is not None else 0
    if pricing is not None and pricing.kind == SourcePricing.Kind.FIXED:
        return pricing.price
    return _payout(top_price, source.payout_percent)


def _offer_bids(offers: list[PingOffer]) -> list[dict[str, Any]]:
    from juiced.customers.models import Customer

    cached = [offer for offer in offers if PingOffer.customer.field.is_cached(offer)]
    if len(cached) == len(offers):
        customers = {offer.customer_id: offer.customer for offer in offers}
    else:
        ids = {offer.customer_id for offer in offers}
        customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids).only("id", "name", "public_id")}
    bids = []
    for offer in offers:
        customer = customers[offer.customer_id]
        bids.append({
            "id": str(offer.uuid),
            "price": Price(offer.price),
            "tcpa_name": customer.name,
            "customer_id": public_customer_number(customer.public_id),
            "customer_public_id": customer.public_id,
        })  # fmt: skip
    return bids


def _ping_reply(source: Source, ping: Ping, bids: list[dict[str, Any]]) -> Reply:
    if source.kind == Source.Kind.VENDOR:
        return Reply(200, {"ping_id": str(ping.uuid), "message": ping.message, "price": Price(ping.price)})
    return Reply(200, {"ping_id": str(ping.uuid), "message": ping.message, "bids": bids})


def ping_submit(*, source: Source, body: bytes, partner_id: str = "", started: float | None = None) -> Reply:
    """POST /api/ping for an authenticated source: validate, save the ping, quote and hold the top bids."""
    started = time.perf_counter() if started is None else started
    call = _start(source=source, kind=Submission.Kind.PING, body=body, partner_id=partner_id, started=started)
    if isinstance(call, Reply):
        return call
    accepted = _accept(call, stage="ping")
    if isinstance(accepted, Reply):
        return accepted
    now = timezone.now()
    ping = Ping(
        tenant_id=source.tenant_id,
        source=source,
        category_id=source.default_category_id,
        lead_type_id=accepted.lead_type_id,
        data=accepted.values,
        zip_code=accepted.zip_code,
        state=accepted.state,
        county=accepted.county,
        is_test=call.is_test,
        expires_at=now + timedelta(minutes=accepted.settings.ping_expiry_minutes),
        message=NO_MATCH,
    )
    if call.is_test:
        # Test pings never reach a buyer and never hold funds: reserved ZIPs answer as documented, any
        # other ZIP answers "No match found" (its post will be forced to Audit).
        ping.message = TEST_PING_MESSAGES.get(accepted.zip_code, NO_MATCH)
        ping.price = TEST_PRICE if ping.message == MATCH_FOUND else 0
        return _ping_recorded(call, ping, [], reason=f"Test ping: {ping.message}")
    digests = duplicates.applicable_digests(
        accepted.schema.duplicate_rules, accepted.values, source_id=source.pk, pings=True
    )
    if duplicates.duplicate_rule_hit(digests=digests, now=now) is not None:
        ping.message = DUPLICATE
        return _ping_recorded(call, ping, [], reason="Duplicate of a recent lead")
    if accepted.lead_type_id is None:
        return _ping_recorded(call, ping, [], reason="No lead type matches (uncategorized)")
    try:
        with transaction.atomic():
            ping.save()
            offers = allocation.ping_quote(ping=ping, limit=accepted.settings.ping_max_offers)
            reply, reason = _ping_finish(call, ping, offers, reason="")
    except Exception:
        # The quote failed (a bug or the database): the ping is still valid and can be posted, it just
        # carries no offers. Saved afresh because the failed transaction took the first save with it.
        logger.exception("Ping quote failed for source %s", source.public_id)
        ping.pk = None
        ping._state.adding = True
        ping.message = NO_MATCH
        return _ping_recorded(call, ping, [], reason="Quote failed (distribution error); no bids offered")
    return _recorded(call, reply, reason, ping=ping)


def _ping_recorded(call: Call, ping: Ping, offers: list[PingOffer], *, reason: str) -> Reply:
    """Save a ping that holds nothing (one statement, no transaction needed), then record the call."""
    reply, reason = _ping_finish(call, ping, offers, reason=reason)
    return _recorded(call, reply, reason, ping=ping)


def _ping_finish(call: Call, ping: Ping, offers: list[PingOffer], *, reason: str) -> tuple[Reply, str]:
    source = call.source
    if offers:
        ping.message = MATCH_FOUND
    if not call.is_test:
        top = offers[0].price if offers else None
        if source.kind == Source.Kind.VENDOR:
            ping.price = vendor_price(source=source, lead_type_id=ping.lead_type_id, top_price=top)
        else:
            ping.price = top or 0
    ping.save()
    bids = _offer_bids(offers) if offers and source.kind == Source.Kind.INTERNAL else []
    reply = _ping_reply(source, ping, bids)
    reason = reason or f"{ping.message} ({len(offers)} bid{'s' if len(offers) != 1 else ''} held)"
    return reply, reason


# --- leads ------------------------------------------------------------------------------------------------


class _PingTaken(Exception):
    """Another post claimed the ping between our read and our write."""


def _ping_reference(
    call: Call, accepted: Accepted, ping_ref: Any, bid_ref: Any, now: datetime
) -> tuple[Ping, PingOffer | None, list[PingOffer]] | Reply:
    import uuid as uuid_module

    source = call.source
    try:
        ping_uuid = uuid_module.UUID(str(ping_ref))
    except ValueError:
        ping_uuid = None
    ping = None
    if ping_uuid is not None:
        ping = Ping.objects.filter(uuid=ping_uuid, tenant_id=source.tenant_id, source_id=source.pk).first()
    if ping is None:
        return _reject(call, Reply(422, {"error": PING_NOT_FOUND}), "Ping not found")
    if ping.status == Ping.Status.POSTED:
        # Juiced's error enum has no "already posted": a posted ping is no longer a ping one can post to.
        return _reject(call, Reply(422, {"error": PING_NOT_FOUND}), "Ping already posted")
    if ping.status == Ping.Status.EXPIRED or ping.expires_at <= now:
        if ping.status == Ping.Status.OPEN:
            ping_expire(ping=ping)
        return _reject(call, Reply(422, {"error": PING_EXPIRED}), "Ping expired")
    differing = sorted(
        key
        for key, value in (ping.data or {}).items()
        if key in accepted.values and accepted.values[key] != value
    )
    if differing:
        reason = f"Lead data does not match ping data ({', '.join(differing)})"
        return _reject(
            call,
            Reply(422, {"error": PING_MISMATCH}),
            reason,
            {key: ["Differs from the ping."] for key in differing},
        )
    held = list(
        PingOffer.objects.filter(ping_id=ping.pk, status=PingOffer.Status.HELD).order_by("rank", "id")
    )
    offer = held[0] if held else None
    if bid_ref not in (None, "") and source.kind == Source.Kind.INTERNAL:
        chosen = [o for o in held if str(o.uuid) == str(bid_ref).strip().lower()]
        if not chosen:
            errors = {"bid_id": ["The selected bid_id is invalid."]}
            return _reject(call, validation_reply(errors), "bid_id is not one of the ping's bids", errors)
        offer = chosen[0]
    return ping, offer, held


@dataclass
class Intake:
    """A valid post on its way to becoming a lead: what it is, its ping, and what the checks found."""

    call: Call
    accepted: Accepted
    lead_type_id: int | None
    ping: Ping | None
    held: list[PingOffer]
    digests: list[tuple[duplicates.RuleSpec, str]] = field(default_factory=list)
    duplicate_check: str = ""
    payout: int = 0


def _new_lead(intake: Intake, *, status: str) -> Lead:
    source, accepted = intake.call.source, intake.accepted
    lead = Lead(
        tenant_id=source.tenant_id,
        source=source,
        category_id=source.default_category_id,
        lead_type_id=intake.lead_type_id,
        ping=intake.ping,
        status=status,
        is_test=intake.call.is_test,
        data=accepted.values,
        zip_code=accepted.zip_code,
        state=accepted.state,
        county=accepted.county,
    )
    cached_type = accepted.schema.lead_types.get(intake.lead_type_id or 0)
    if cached_type is not None:
        lead.lead_type = cached_type  # the engine reads lead.lead_type; spare it a query
    return lead


def _lead_store(
    intake: Intake, *, status: str, reason: str = "", events: list[dict[str, Any]] | None, check: bool
) -> Lead | int:
    """Write a new lead with its first status changes (received → processing, then `status` when it is not
    Processing), its fingerprints and, given `events`, its flow log — one statement on PostgreSQL. With
    `check`, a duplicate found first is answered by its rule id and nothing is written."""
    now = timezone.now()
    lead = _new_lead(intake, status=status)
    lead.payout = intake.payout
    received = f"Received from source {lead.source.name}"
    steps = [("", LeadStatus.PROCESSING, received)]
    if status != LeadStatus.PROCESSING:
        steps.append((LeadStatus.PROCESSING, status, reason))
    if rawsql.available():
        lead.public_id = new_public_id("lead")
        lead.created_at = lead.updated_at = now
        lead_id, hit = ingest_sql.lead_write(
            lead=lead, steps=steps, digests=intake.digests, events=events, check=check
        )
        if lead_id is None:
            return hit
        lead.pk = lead_id
        lead._state.adding = False
        lead._state.db = "default"
        return lead
    if check:
        rule = duplicates.duplicate_rule_hit(digests=intake.digests, now=now)
        if rule is not None:
            return rule.id
    lead.save(force_insert=True)
    LeadStatusChange.objects.bulk_create(
        LeadStatusChange(
            tenant_id=lead.tenant_id, lead=lead, from_status=before, to_status=after, reason=why[:300]
        )
        for before, after, why in steps
    )
    duplicates.fingerprints_store(lead=lead, digests=intake.digests, now=lead.created_at)
    if events is not None:
        DistributionLog.objects.create(
            tenant_id=lead.tenant_id, lead=lead, run=1, outcome=status, events=events
        )
    return lead


class _Duplicate(Exception):
    """The lead's statement found a duplicate (and wrote nothing)."""

    def __init__(self, rule_id: int) -> None:
        super().__init__(rule_id)
        self.rule_id = rule_id


def _claim_ping(ping: Ping | None) -> None:
    if ping is None:
        return
    if not Ping.objects.filter(pk=ping.pk, status=Ping.Status.OPEN).update(status=Ping.Status.POSTED):
        raise _PingTaken
    ping.status = Ping.Status.POSTED


def _lead_reply(lead: Lead, price: int) -> Reply:
    status = API_STATUS.get(lead.status, "pending")
    return Reply(
        201,
        {
            "lead_uuid": str(lead.uuid),
            "lead_public_id": lead.public_id,
            "status": status,
            "price": Price(price),
        },
    )


def lead_submit(*, source: Source, body: bytes, partner_id: str = "", started: float | None = None) -> Reply:
    """POST /api/leads for an authenticated source: validate, create the lead, check duplicates, allocate."""
    started = time.perf_counter() if started is None else started
    call = _start(source=source, kind=Submission.Kind.POST, body=body, partner_id=partner_id, started=started)
    if isinstance(call, Reply):
        return call
    accepted = _accept(call, stage="post")
    if isinstance(accepted, Reply):
        return accepted
    now = timezone.now()
    ping, offer, held = None, None, []
    ping_ref = call.payload.get("ping_id")
    if ping_ref not in (None, ""):
        found = _ping_reference(call, accepted, ping_ref, call.payload.get("bid_id"), now)
        if isinstance(found, Reply):
            return found
        ping, offer, held = found
    # The ping decided what the buyers bid on, so its lead type stands; otherwise match the full lead.
    lead_type_id = ping.lead_type_id if ping is not None and ping.lead_type_id else accepted.lead_type_id
    intake = Intake(call=call, accepted=accepted, lead_type_id=lead_type_id, ping=ping, held=held)

    if call.is_test:
        status = TEST_LEAD_STATUSES.get(accepted.zip_code, LeadStatus.AUDIT)
        if accepted.zip_code in geo.TEST_ZIPS:
            reason = f"Test lead: ZIP {accepted.zip_code} answers {status}"
        else:
            reason = "Test lead: forced to Audit, never distributed"
        payout = TEST_PRICE if status == LeadStatus.ASSIGNED else 0
        return _lead_final(intake, status=status, reason=reason, payout=payout)
    intake.digests = duplicates.applicable_digests(
        accepted.schema.duplicate_rules, accepted.values, source_id=source.pk
    )
    if lead_type_id is None:
        rule = duplicates.duplicate_rule_hit(digests=intake.digests, now=now)
        if rule is not None:
            return _lead_duplicate(intake, rule)
        _not_duplicate(intake)
        return _lead_final(intake, status=LeadStatus.UNCATEGORIZED, reason="No lead type matches")
    try:
        # The duplicate check, the lead, its status change and its fingerprints are one statement; the
        # engine then sells it in this same transaction. The call is recorded once this has committed.
        with transaction.atomic():
            lead = _lead_store(intake, status=LeadStatus.PROCESSING, events=None, check=True)
            if not isinstance(lead, Lead):
                raise _Duplicate(lead)
            _not_duplicate(intake)
            _claim_ping(ping)
            result = allocation.lead_allocate(lead=lead, offer=offer, prior_events=_intake_events(intake))
            lead.status = result.status
            price = result.payout if source.kind == Source.Kind.VENDOR else result.price
            reply = _lead_reply(lead, price)
    except _Duplicate as found:
        return _lead_duplicate(intake, next(r for r, _d in intake.digests if r.id == found.rule_id))
    except _PingTaken:
        return _reject(call, Reply(422, {"error": PING_NOT_FOUND}), "Ping already posted")
    except Exception as error:
        # Allocation failed unexpectedly: nothing of it survived. Keep the lead (the source sent a valid
        # one) as Distribution Error so staff can reprocess it, and tell the source "pending".
        logger.exception("Allocation failed for a lead of source %s", source.public_id)
        reason = f"Distribution error: {type(error).__name__}: {error}"[:300]
        return _lead_final(intake, status=LeadStatus.DISTRIBUTION_ERROR, reason=reason)
    reason = f"Lead {API_STATUS.get(result.status, result.status)}"
    return _recorded(call, reply, reason, lead=lead, ping=ping)


def _not_duplicate(intake: Intake) -> None:
    count = len(intake.digests)
    intake.duplicate_check = f"Not a duplicate ({count} rule{'s' if count != 1 else ''} checked)."


def _lead_duplicate(intake: Intake, rule: duplicates.RuleSpec) -> Reply:
    reason = f"Duplicate of a lead within {rule.lookback_days} days on {', '.join(rule.fields)}"
    intake.duplicate_check = f"{reason} (rule {rule.public_id})."
    return _lead_final(intake, status=LeadStatus.DUPLICATE, reason=reason)


def _lead_final(intake: Intake, *, status: str, reason: str, payout: int = 0) -> Reply:
    """Save a lead that is not auctioned (duplicate, uncategorized, test, distribution error) in one go."""
    call, ping = intake.call, intake.ping
    intake.payout = payout
    try:
        with transaction.atomic():
            events = [*_intake_events(intake), flow_event("outcome", reason + ".", status=status)]
            lead = _lead_store(intake, status=status, reason=reason, events=events, check=False)
            assert isinstance(lead, Lead)
            _claim_ping(ping)
            if intake.held and status != LeadStatus.DISTRIBUTION_ERROR:
                allocation.ping_release(ping=ping, reason=f"Ping hold released: lead {status}")
            _side_effects_enqueue(lead)
            reply = _lead_reply(lead, payout)
    except _PingTaken:
        return _reject(call, Reply(422, {"error": PING_NOT_FOUND}), "Ping already posted")
    if intake.held and ping is not None and status == LeadStatus.DISTRIBUTION_ERROR:
        try:  # outside the lead's transaction: a failing engine must not take the lead with it
            allocation.ping_release(ping=ping, reason="Ping hold released: distribution error")
        except Exception:
            logger.exception("Could not release the holds of ping %s", ping.uuid)
    return _recorded(call, reply, reason, lead=lead, ping=ping)
