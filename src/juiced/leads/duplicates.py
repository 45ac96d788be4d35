"""Duplicate detection: a lead whose values for all of a rule's fields equal a recent lead's is Duplicate.

Each rule turns a lead into one digest (SHA-256 of its normalised field values); every new non-test lead
stores a LeadFingerprint per applicable rule, so finding a duplicate is one indexed look-up on
(rule, digest, created_at) for all rules at once, however many leads are stored.

Normalisation: values are trimmed and whitespace collapsed; lower-cased unless the rule is case
sensitive; with `ignore_punctuation` every character that is not a letter, digit or space is dropped
("john.doe@email.com" equals "johndoe@email.com"). A rule whose fields are not all present on the lead
does not apply to it. Two identical leads arriving in the same instant can both pass (no lock is taken);
the window is a best effort, not a uniqueness constraint.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Q

from juiced.leads.models import DuplicateRule, Lead, LeadFingerprint

_PUNCTUATION = re.compile(r"[^\w\s]|_", re.UNICODE)


@dataclass(frozen=True)
class RuleSpec:
    """What checking needs of one DuplicateRule (cached per category with the schema)."""

    id: int
    public_id: str
    fields: tuple[str, ...]
    lookback_days: int
    source_id: int | None
    apply_to_pings: bool
    ignore_punctuation: bool
    case_sensitive: bool


def rule_spec(rule: DuplicateRule) -> RuleSpec:
    fields = tuple(str(key) for key in (rule.fields or []) if isinstance(key, str) and key)
    return RuleSpec(
        id=rule.pk,
        public_id=rule.public_id,
        fields=fields,
        lookback_days=rule.lookback_days,
        source_id=rule.source_id,
        apply_to_pings=rule.apply_to_pings,
        ignore_punctuation=rule.ignore_punctuation,
        case_sensitive=rule.case_sensitive,
    )


def _normal(value: Any, *, case_sensitive: bool, ignore_punctuation: bool) -> str:
    if isinstance(value, list):
        value = ",".join(sorted(str(item) for item in value))
    text = " ".join(str(value).split())
    if not case_sensitive:
        text = text.casefold()
    if ignore_punctuation:
        text = " ".join(_PUNCTUATION.sub("", text).split())
    return text


def fingerprint_digest(rule: RuleSpec, values: dict[str, Any]) -> str | None:
    """The rule's digest of `values`, or None when one of its fields is missing (the rule does not apply)."""
    if not rule.fields:
        return None
    parts = []
    for key in rule.fields:
        value = values.get(key)
        if value is None or value == "" or value == []:
            return None
        parts.append(
            _normal(value, case_sensitive=rule.case_sensitive, ignore_punctuation=rule.ignore_punctuation)
        )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def applicable_digests(
    rules: list[RuleSpec], values: dict[str, Any], *, source_id: int, pings: bool = False
) -> list[tuple[RuleSpec, str]]:
    """(rule, digest) for every rule of this source (or category-wide) that applies to `values`."""
    found = []
    for rule in rules:
        if rule.source_id is not None and rule.source_id != source_id:
            continue
        if pings and not rule.apply_to_pings:
            continue
        digest = fingerprint_digest(rule, values)
        if digest is not None:
            found.append((rule, digest))
    return found


@cache
def duplicate_sql(count: int) -> str:
    """PostgreSQL: a fingerprint of one of `count` (rule, digest) pairs inside the rule's window, as fixed
    text psycopg prepares. The pairs are a VALUES list, not arrays, so the planner knows how many there are
    and keeps one generic plan (no planning per call); `check` false finds nothing."""
    if count == 0:
        return 'SELECT CAST(NULL AS bigint) AS "rule_id" WHERE false'
    pairs = ", ".join(
        f"(CAST(%(rule{i})s AS bigint), CAST(%(digest{i})s AS text), CAST(%(since{i})s AS timestamptz))"
        for i in range(count)
    )
    return f"""
    SELECT f."rule_id" FROM "{LeadFingerprint._meta.db_table}" f
    JOIN (VALUES {pairs}) AS d ("rule", "digest", "since")
      ON f."rule_id" = d."rule" AND f."digest" = d."digest" AND f."created_at" >= d."since"
    WHERE %(check)s
    ORDER BY f."id" LIMIT 1"""


def digest_params(digests: list[tuple[RuleSpec, str]], now: datetime, *, check: bool) -> dict[str, Any]:
    """The parameters of duplicate_sql(len(digests)) for these digests at `now`."""
    params: dict[str, Any] = {"check": check}
    for i, (rule, digest) in enumerate(digests):
        params[f"rule{i}"] = rule.id
        params[f"digest{i}"] = digest
        params[f"since{i}"] = now - timedelta(days=rule.lookback_days)
    return params


def duplicate_rule_hit(*, digests: list[tuple[RuleSpec, str]], now: datetime) -> RuleSpec | None:
    """The first rule with a fingerprint inside its look-back window (one query), else None."""
    if not digests:
        return None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(duplicate_sql(len(digests)), digest_params(digests, now, check=True))
            row = cursor.fetchone()
        hit = row[0] if row else None
        return next((rule for rule, _digest in digests if rule.id == hit), None) if hit is not None else None
    match = Q()
    for rule, digest in digests:
        match |= Q(rule_id=rule.id, digest=digest, created_at__gte=now - timedelta(days=rule.lookback_days))
    hit = LeadFingerprint.objects.filter(match).values_list("rule_id", flat=True).first()
    return next((rule for rule, _digest in digests if rule.id == hit), None) if hit is not None else None


def fingerprints_store(*, lead: Lead, digests: list[tuple[RuleSpec, str]], now: datetime) -> None:
    """Remember the lead's digests so later leads within each window are found as duplicates."""
    if not digests:
        return
    LeadFingerprint.objects.bulk_create(
        [
            LeadFingerprint(
                tenant_id=lead.tenant_id, rule_id=rule.id, digest=digest, lead=lead, created_at=now
            )
            for rule, digest in digests
        ]
    )
