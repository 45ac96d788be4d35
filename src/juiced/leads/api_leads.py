"""Staff JSON API: Leads (under /api/manage/)."""

from ninja import Router

router = Router(tags=["Leads"])
