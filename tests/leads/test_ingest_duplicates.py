"""Duplicate rules: all fields must match, case and punctuation as the rule says, only within the window,
source-level rules only for their source, and a rule whose fields the lead lacks does not apply."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from juiced.leads.duplicates import (
    RuleSpec,
    applicable_digests,
    duplicate_rule_hit,
    fingerprint_digest,
    fingerprints_store,
)
from juiced.leads.models import DuplicateRule, Lead, LeadFingerprint, LeadStatus


def rule(**overrides) -> RuleSpec:
    values = dict(
        id=1,
        public_id="dup_x",
        fields=("email",),
        lookback_days=30,
        source_id=None,
        apply_to_pings=False,
        ignore_punctuation=False,
        case_sensitive=False,
    )
    values.update(overrides)
    return RuleSpec(**values)


def test_case_is_ignored_unless_the_rule_is_case_sensitive():
    assert fingerprint_digest(rule(), {"email": "John@Email.com"}) == fingerprint_digest(
        rule(), {"email": " john@email.com "}
    )
    strict = rule(case_sensitive=True)
    assert fingerprint_digest(strict, {"email": "John@email.com"}) != fingerprint_digest(
        strict, {"email": "john@email.com"}
    )


def test_ignore_punctuation_treats_dotted_and_plain_values_alike():
    loose = rule(ignore_punctuation=True)
    assert fingerprint_digest(loose, {"email": "john.doe@email.com"}) == fingerprint_digest(
        loose, {"email": "johndoe@email.com"}
    )
    assert fingerprint_digest(rule(), {"email": "john.doe@email.com"}) != fingerprint_digest(
        rule(), {"email": "johndoe@email.com"}
    )


def test_every_field_must_be_present_for_the_rule_to_apply():
    both = rule(fields=("email", "phone"))
    assert fingerprint_digest(both, {"email": "a@b.co"}) is None
    assert fingerprint_digest(both, {"email": "a@b.co", "phone": ""}) is None
    assert fingerprint_digest(both, {"email": "a@b.co", "phone": "5551234567"}) is not None
    assert fingerprint_digest(rule(fields=()), {"email": "a@b.co"}) is None


def test_source_level_rules_apply_only_to_their_source_and_ping_rules_only_when_asked():
    rules = [rule(id=1), rule(id=2, source_id=7), rule(id=3, apply_to_pings=True)]
    ids = [r.id for r, _d in applicable_digests(rules, {"email": "a@b.co"}, source_id=7)]
    assert ids == [1, 2, 3]
    assert [r.id for r, _d in applicable_digests(rules, {"email": "a@b.co"}, source_id=8)] == [1, 3]
    assert [r.id for r, _d in applicable_digests(rules, {"email": "a@b.co"}, source_id=7, pings=True)] == [3]


@pytest.mark.django_db
def test_a_fingerprint_counts_only_inside_the_lookback_window(tenant_a, make_category, make_source):
    category = make_category(tenant_a)
    source, _secret = make_source(tenant_a, category=category)
    stored = DuplicateRule.objects.create(
        tenant=tenant_a, category=category, fields=["email"], lookback_days=7
    )
    spec = rule(id=stored.pk, lookback_days=7)
    lead = Lead.objects.create(
        tenant=tenant_a, source=source, category=category, status=LeadStatus.UNASSIGNED, data={}
    )
    digests = applicable_digests([spec], {"email": "a@b.co"}, source_id=source.pk)
    now = timezone.now()
    fingerprints_store(lead=lead, digests=digests, now=now - timedelta(days=8))
    assert duplicate_rule_hit(digests=digests, now=now) is None
    fingerprints_store(lead=lead, digests=digests, now=now - timedelta(days=6))
    assert duplicate_rule_hit(digests=digests, now=now) == spec
    assert LeadFingerprint.objects.count() == 2
    assert duplicate_rule_hit(digests=[], now=now) is None
