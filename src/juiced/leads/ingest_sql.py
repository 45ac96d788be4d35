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

from juiced.leads.duplicates import DUPLICATE_SQL, RuleSpec, digest_params
from juiced.leads.models import DistributionLog, Lead, LeadFingerprint, LeadStatusChange, Submission


def _table(model: type[Model]) -> str:
    return f'"{model._meta.db_table}"'


def _insert_parts(model: type[Model]) -> tuple[str, str]:
    """(column list, select list of typed parameters named after the columns) for every column but id."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = ", ".join(f'"{f.column}"' for f in fields)
    values = ", ".join(f"CAST(%({f.column})s AS {f.db_type(connection)})" for f in fields)
    return names, values


def _params(model: type[Model], instance: Model) -> dict[str, Any]:
    """The instance's column values as parameters, JSON columns as text."""
    params = {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        value = getattr(instance, f.attname)
        params[f.column] = json.dumps(value) if f.get_internal_type() == "JSONField" else value
    return params


@cache
def _lead_sql() -> str:
    names, values = _insert_parts(Lead)
    return f"""
WITH dup AS ({DUPLICATE_SQL}
), lead AS (
    INSERT INTO {_table(Lead)} ({names})
    SELECT {values} WHERE NOT EXISTS (SELECT 1 FROM dup)
    RETURNING "id", "tenant_id", "status"
), changes AS (
    INSERT INTO {_table(LeadStatusChange)} ("tenant_id", "lead_id", "from_status", "to_status", "reason",
        "actor_id", "actor_label", "created_at")
    SELECT lead."tenant_id", lead."id", s."from_status", s."to_status", s."reason", NULL, 'System',
        %(created_at)s
    FROM lead, unnest(CAST(%(from_statuses)s AS text[]), CAST(%(to_statuses)s AS text[]),
        CAST(%(reasons)s AS text[])) WITH ORDINALITY AS s ("from_status", "to_status", "reason", "n")
    ORDER BY s."n"
), prints AS (
    INSERT INTO {_table(LeadFingerprint)} ("tenant_id", "rule_id", "digest", "lead_id", "created_at")
    SELECT lead."tenant_id", d."rule", d."digest", lead."id", %(created_at)s
    FROM lead, unnest(CAST(%(rules)s AS bigint[]), CAST(%(digests)s AS text[])) AS d ("rule", "digest")
), log AS (
    INSERT INTO {_table(DistributionLog)} ("tenant_id", "lead_id", "run", "outcome", "events", "created_at")
    SELECT lead."tenant_id", lead."id", 1, lead."status", CAST(%(events)s AS jsonb), %(created_at)s
    FROM lead WHERE CAST(%(events)s AS jsonb) IS NOT NULL
)
SELECT (SELECT "id" FROM lead), (SELECT "rule_id" FROM dup)"""


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
    params.update(digest_params(digests, lead.created_at, check=check))
    params["from_statuses"] = [step[0] for step in steps]
    params["to_statuses"] = [step[1] for step in steps]
    params["reasons"] = [step[2][:300] for step in steps]
    params["events"] = None if events is None else json.dumps(events)
    with connection.cursor() as cursor:
        cursor.execute(_lead_sql(), params)
        return cursor.fetchone()


@cache
def _submission_sql() -> str:
    names, values = _insert_parts(Submission)
    return f'INSERT INTO {_table(Submission)} ({names}) SELECT {values} RETURNING "id"'


def submission_insert(submission: Submission) -> None:
    """Insert a built Submission (public id and created_at already set) and give it its id."""
    with connection.cursor() as cursor:
        cursor.execute(_submission_sql(), _params(Submission, submission))
        submission.pk = cursor.fetchone()[0]
    submission._state.adding = False
    submission._state.db = "default"
