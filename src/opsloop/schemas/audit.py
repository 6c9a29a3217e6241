"""The audit log as services return it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from opsloop.schemas.entities import Entity


class AuditRecord(Entity):
    id: int
    at: datetime
    actor: str
    principal_kind: str | None = None
    action: str
    workspace: str | None = None
    resource: str | None = None
    scope: str | None = None
    outcome: str
    reason: str | None = None
    request_id: str | None = None
    source: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    hash: str | None = None


class AuditVerification(Entity):
    """The chain checked from its first record: ``ok``, or the first record that breaks it."""

    ok: bool
    records: int
    head: str | None = None  # the newest record's hash: keep it elsewhere to anchor the chain
    broken_at: int | None = None  # the id of the first record whose link does not hold
    problem: str | None = None
