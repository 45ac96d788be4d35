"""The source API's rate limit: a per-window counter, one cache call per request in the steady state."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache

from juiced.leads import rate_limit
from juiced.leads.rate_limit import rate_limit_hit


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_counts_up_to_the_limit_then_answers_the_seconds_left_in_the_window():
    now = 600.0 + 15  # 15 s into a window
    assert [rate_limit_hit(source_key="src_a", limit=3, now=now) for _ in range(3)] == [None] * 3
    assert rate_limit_hit(source_key="src_a", limit=3, now=now) == 45
    assert rate_limit_hit(source_key="src_b", limit=3, now=now) is None  # another source, another count
    assert rate_limit_hit(source_key="src_a", limit=3, now=660.0) is None  # the next window starts afresh


def test_retry_after_is_at_least_one_second():
    assert rate_limit_hit(source_key="src_a", limit=0, now=659.9) == 1


def test_one_cache_call_per_request_once_the_window_exists():
    rate_limit_hit(source_key="src_a", limit=10, now=600.0)
    with mock.patch.object(rate_limit, "cache", wraps=cache) as spy:
        rate_limit_hit(source_key="src_a", limit=10, now=601.0)
    assert [name for name, _args, _kwargs in spy.method_calls] == ["incr"]


def test_a_counter_evicted_between_add_and_incr_counts_as_the_first_call():
    fake = mock.Mock()
    fake.incr.side_effect = ValueError
    fake.add.return_value = False  # a concurrent first call created it, then it vanished
    with mock.patch.object(rate_limit, "cache", fake):
        assert rate_limit_hit(source_key="src_a", limit=1, now=600.0) is None
    fake.set.assert_called_once()
