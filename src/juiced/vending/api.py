"""/api/manage/vending/…: accounts, customers, locations, meters, tariffs, masters, Quick Pay, tokens."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["vending"])
