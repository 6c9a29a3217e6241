"""Events as subscribers and ``opsloop event list`` see them: CloudEvents 1.0 envelopes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 structured-mode envelope (JSON format).

    ``sequence`` is the outbox position (events of one store are totally ordered by it);
    ``actor`` and ``workspace`` are extension attributes."""

    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    sequence: int
    actor: str | None = None
    workspace: str | None = None


class EventSubscription(BaseModel):
    name: str
    workspace: str | None = None
    event_types: list[str]
    webhook_url: str
    created_at: datetime
    created_by: str
    position: int = 0  # the last event handled
    pending: int = 0  # events retrying now
    failed: int = 0  # events given up on after every retry


class EventType(BaseModel):
    type: str
    resource_type: str
    description: str
    data_schema: dict[str, Any]
