"""What the secrets vault's services return: a secret's metadata, and its value only from
``get`` (``SecretValue``)."""

from __future__ import annotations

from datetime import datetime

from opsloop.schemas.entities import Entity


class Secret(Entity):
    """A secret as ``list`` shows it: never its value."""

    workspace: str
    name: str
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class SecretValue(Entity):
    workspace: str
    name: str
    version: int
    value: str
