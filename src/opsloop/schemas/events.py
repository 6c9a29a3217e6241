"""Events as subscribers and ``opsloop event list`` see them: CloudEvents 1.0 envelopes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opsloop.specs.base import StorableText


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
    subject: str | None = None
    action: dict[str, Any] = Field(default_factory=dict)  # the job file itself left out
    webhook_url: str | None = None  # the webhook action's URL
    created_at: datetime
    created_by: str
    position: int = 0  # the last event handled
    pending: int = 0  # events retrying or queued for redelivery now
    dead_letters: int = 0  # events given up on after every retry
    # The webhook signing secret (whsec_...): in the answer to create only, never again.
    secret: str | None = None


class DeliveryAttempt(BaseModel):
    attempt: int
    at: datetime
    duration_ms: float
    outcome: Literal["delivered", "failed"]
    status_code: int | None = None
    error: str | None = None


class Delivery(BaseModel):
    """One event's delivery to one subscription, with every attempt at it."""

    subscription: str
    event: str  # the CloudEvent id
    sequence: int
    event_type: str | None = None
    idempotency_key: str
    status: Literal["new", "retrying", "queued", "delivered", "dead_letter"]
    attempts: int
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    updated_at: datetime
    effect: str | None = None  # what a store action made (job:dev/<name>, ...)
    log: list[DeliveryAttempt] = Field(default_factory=list)


class RedeliveryRequest(StorableText):
    """One event (its CloudEvent id), or every dead letter."""

    model_config = ConfigDict(extra="forbid")

    event: str | None = Field(default=None, max_length=64)
    dead_letters: bool = False


class Redelivery(BaseModel):
    subscription: str
    queued: list[str]  # the CloudEvent ids queued again


class EventType(BaseModel):
    type: str
    resource_type: str
    description: str
    data_schema: dict[str, Any]
