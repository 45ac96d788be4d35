"""Staff JSON API: Lead setup (under /api/manage/)."""

from ninja import Router

router = Router(tags=["Lead setup"])
