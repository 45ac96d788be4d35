"""Staff JSON API: Return tiers (under /api/manage/)."""

from ninja import Router

router = Router(tags=["Return tiers"])
