"""Queue background work only once the surrounding transaction has committed."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` after commit; side effects never run for a rolled-back change."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
