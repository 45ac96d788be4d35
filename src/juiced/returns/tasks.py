"""The returns app's background jobs, imported by the worker so each is registered."""

from __future__ import annotations

from juiced.returns.recalc import tier_recalculation_job

__all__ = ["tier_recalculation_job"]
