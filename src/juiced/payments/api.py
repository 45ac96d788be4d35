"""/api/manage/ endpoints of juiced.payments."""

from ninja import Router

router = Router(tags=["payments"])
