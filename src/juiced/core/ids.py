"""Public ids: a prefix and 26 lowercase ULID characters (`cus_01j…`). Integer keys never leave the server."""

from __future__ import annotations

import re

from django.db import models
from ulid import ULID

PUBLIC_ID_PATTERN = re.compile(r"^[a-z]{2,5}_[0-9a-hjkmnp-tv-z]{26}$")


def new_public_id(prefix: str) -> str:
    return f"{prefix}_{str(ULID()).lower()}"


def is_public_id(value: str, prefix: str) -> bool:
    return bool(PUBLIC_ID_PATTERN.match(value or "")) and value.startswith(prefix + "_")


class PublicIdField(models.CharField):
    """A unique, indexed CharField filled with `<prefix>_<ulid>` on first save."""

    def __init__(self, *args, prefix: str, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if not value:
            value = new_public_id(self.prefix)
            setattr(model_instance, self.attname, value)
        return value
