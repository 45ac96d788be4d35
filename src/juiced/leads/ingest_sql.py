"""PostgreSQL statements of the source API's hot path, each one fixed text that psycopg prepares once.

`lead_write` stores a new lead with its first status changes, its duplicate fingerprints and (for a lead
that is not auctioned) its flow log in one round trip; asked to, it first looks for a duplicate and then
writes nothing if one is found. `submission_insert` records a call. On SQLite ingest.py uses the ORM.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Model

from juiced.leads.duplicates import RuleSpec, digest_params, duplicate_sql
from juiced.leads.models import DistributionLog, Lead, LeadFingerprint, LeadStatusChange, Submission


def _table(model: type[Model]) -> str:
    return f'"{model._meta.db_table}"'


def _insert_parts(model: type[Model]) -> tuple[str, str]:
    """(column list, select list of typed parameters named after the columns) for every column but id."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = ", ".join(f'"{f.column}"' for f in fields)
    values = ", ".join(f"CAST(%({f.column})s AS {f.db_type(connection)})" for f in fields)
    return names, values


@cache
def _columns(model: type[Model]) -> tuple[tuple[str, str, bool], ...]:
    """(column, attribute, is JSON) for every column but id, in _insert_parts() order."""
    return tuple(
        (f.column, f.attname, f.get_internal_type() == "JSONField")
        for f in model._meta.concrete_fields
        if not f.primary_key
    )


def _params(model: type[Model], instance: Model) -> dict[str, Any]:
    """The instance's column values as parameters, JSON columns as text."""
    values = instance.__dict__
    return {
        column: json.dumps(values[attname]) if is_json else values[attname]
        for column, attname, is_json in _columns(model)
    }


@cache
def _lead_sql(steps: int, prints: int, log: bool) -> str:
    """The statement for a lead with `steps` status changes, `prints` fingerprints and maybe a log row.

    Rows go in as VALUES lists of fixed length (one text per shape, a handful in all), so PostgreSQL plans
    each shape once and reuses the generic plan."""
    names, values = _insert_parts(Lead)
    changes = ", ".join(
        f"({i}, CAST(%(from{i})s AS text), CAST(%(to{i})s AS text), CAST(%(reason{i})s AS text))"
        for i in range(steps)
    )
    sql = f"""
WITH dup AS ({duplicate_sql(prints)}
), lead AS (
    INSERT INTO {_table(Lead)} ({names})
    SELECT {values} WHERE NOT EXISTS (SELECT 1 FROM dup)
    RETURNING "id", "tenant_id", "status"
), changes AS (
    INSERT INTO {_table(LeadStatusChange)} ("tenant_id", "lead_id", "from_status", "to_status", "reason",
        "actor_id", "actor_label", "created_at")
    SELECT lead."tenant_id", lead."id", s."from_status", s."to_status", s."reason", NULL, 'System',
        %(created_at)s
    FROM lead, (VALUES {changes}) AS s ("n", "from_status", "to_status", "reason")
    ORDER BY s."n"
)"""
    if prints:
        rows = ", ".join(f"(CAST(%(rule{i})s AS bigint), CAST(%(digest{i})s AS text))" for i in range(prints))
        sql += f""", prints AS (
    INSERT INTO {_table(LeadFingerprint)} ("tenant_id", "rule_id", "digest", "lead_id", "created_at")
    SELECT lead."tenant_id", d."rule", d."digest", lead."id", %(created_at)s
    FROM lead, (VALUES {rows}) AS d ("rule", "digest")
)"""
    if log:
        sql += f""", log AS (
    INSERT INTO {_table(DistributionLog)} ("tenant_id", "lead_id", "run", "outcome", "events", "created_at")
    SELECT lead."tenant_id", lead."id", 1, lead."status", CAST(%(events)s AS jsonb), %(created_at)s FROM lead
)"""
    return sql + ' SELECT (SELECT "id" FROM lead), (SELECT "rule_id" FROM dup)'


def lead_write(
    *,
    lead: Lead,
    steps: list[tuple[str, str, str]],
    digests: list[tuple[RuleSpec, str]],
    events: list[dict[str, Any]] | None,
    check: bool,
) -> tuple[int | None, int | None]:
    """(new lead id, None) — or (None, id of the duplicate rule hit) when `check` finds a duplicate."""
    params = _params(Lead, lead)
    params.update(digest_params(digests, lead.created_at, check=check and bool(digests)))
    for i, (before, after, reason) in enumerate(steps):
        params[f"from{i}"], params[f"to{i}"], params[f"reason{i}"] = before, after, reason[:300]
    if events is not None:
        params["events"] = json.dumps(events)
    with connection.cursor() as cursor:
        cursor.execute(_lead_sql(len(steps), len(digests), events is not None), params)
        return cursor.fetchone()


@cache
def _submission_sql(asynchronous: bool) -> str:
    names, values = _insert_parts(Submission)
    if not asynchronous:
        return f'INSERT INTO {_table(Submission)} ({names}) SELECT {values} RETURNING "id"'
    # Its own transaction (autocommit), committed without waiting for the WAL flush: the row is a record of
    # the call, not money, so a database crash in the next fraction of a second may lose it; never the lead.
    return (
        f"INSERT INTO {_table(Submission)} ({names}) SELECT {values} "
        "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit "
        'RETURNING "id"'
    )


def submission_insert(submission: Submission) -> None:
    """Insert a built Submission (public id and created_at already set) and give it its id; on its own
    (autocommit) the statement commits asynchronously, inside a caller's transaction it changes nothing."""
    asynchronous = not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute(_submission_sql(asynchronous), _params(Submission, submission))
        submission.pk = cursor.fetchone()[0]
    submission._state.adding = False
    submission._state.db = "default"
