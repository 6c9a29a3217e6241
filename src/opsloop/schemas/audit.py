"""The audit log as services return it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from opsloop.schemas.entities import Entity


def _in_utc(value: datetime) -> datetime:
    # A naive moment is UTC; one near the calendar's ends may have no UTC equivalent.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the moment is out of range once converted to UTC") from None


UtcMoment = Annotated[datetime, AfterValidator(_in_utc)]


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


class AuditFilter(BaseModel):
    """Which audit records to list, newest first. ``action`` and ``resource`` match a
    prefix (``jobs/`` is every job action; ``online-endpoint:ep`` the endpoint)."""

    model_config = ConfigDict(extra="forbid")

    actor: str | None = Field(default=None, description="Who acted (alice, service_principal:ci).")
    action: str | None = Field(default=None, description="An action, or its prefix.")
    resource: str | None = Field(default=None, description="A resource, or its prefix.")
    workspace: str | None = None
    outcome: Literal["succeeded", "failed", "denied"] | None = None
    since: UtcMoment | None = Field(default=None, description="From this moment.")
    until: UtcMoment | None = Field(default=None, description="Before this moment.")
    limit: int = Field(default=100, ge=1, le=10_000, description="At most this many.")
