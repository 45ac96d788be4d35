"""Lead setup over /api/manage/: every endpoint, its errors, roles and tenant isolation."""

from __future__ import annotations

import hashlib

import pytest

from juiced.core.models import AuditEntry
from juiced.leads.models import LeadType, Source, SourceToken
from juiced.tenants.roles import StaffRole
from tests.api.conftest import alice_api, assert_error, bob_api, call, role_api  # noqa: F401


@pytest.fixture
def category(alice_api):
    response = call(alice_api, "post", "/lead-categories", {"name": "Auto insurance"})
    assert response.status_code == 201, response.content
    return response.json()


def test_category_create_has_base_fields(category):
    keys = [f["key"] for f in category["fields"]]
    assert keys[:3] == ["first_name", "last_name", "email"] and "zip" in keys
    assert all(f["base"] for f in category["fields"])
    assert category["id"].startswith("cat_")
