"""Promotions, their gate results and approval requests, as the API answers them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from opsloop.schemas.entities import Entity


class GateResult(Entity):
    """One gate's verdict with its evidence (a metric table, percentiles, a fairness table)."""

    gate: str  # its type: metric_threshold, champion_comparison, ...
    passed: bool
    summary: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    at: datetime | None = None


class Promotion(Entity):
    workspace: str
    name: str
    source: str
    model: str | None = None
    policy: dict[str, Any]
    state: str
    gate_results: list[GateResult] = Field(default_factory=list)
    deployment: str | None = None
    endpoint: str
    # The rollout under way or done: traffic before it, steps, the current step, analyses.
    rollout: dict[str, Any] = Field(default_factory=dict)
    report: str | None = None
    approval: str | None = None  # the pending approval request's name, while one waits
    requested_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


class Approval(Entity):
    workspace: str
    name: str
    promotion: str
    model: str | None = None
    role: str
    status: str
    requested_by: str
    decided_by: str | None = None
    comment: str | None = None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None


class PromotionPolicy(Entity):
    """A workspace's stored promotion policy: ``opsloop model promote --policy NAME``."""

    workspace: str
    name: str
    version: int  # counted up by each change
    spec: dict[str, Any]
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
