"""What the monitor services return: a monitor, a run and a run's results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsloop.schemas.entities import Entity


class Monitor(Entity):
    workspace: str
    name: str
    endpoint: str
    deployment: str
    signals: list[str] = Field(description="signal names (the defaults when none is given)")
    spec: dict[str, Any]
    created_at: datetime
    created_by: str
    last_run: str | None = None
    warnings: list[str] = Field(default_factory=list)


class MonitorResult(Entity):
    signal: str
    signal_type: str
    feature: str = Field(
        description="the feature, the prediction column, or '' for a whole-model metric"
    )
    metric: str
    value: float | None
    threshold: float | None
    breached: bool
    p_value: float | None = Field(default=None, description="a test's corrected p-value")
    note: str | None = None


class MonitorRun(Entity):
    workspace: str
    monitor: str
    id: str
    number: int
    window_end: datetime
    status: str
    breached: bool
    report: str | None = Field(description="URL of the run's HTML report")
    details: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    created_by: str
    results: list[MonitorResult] = Field(default_factory=list)

    @property
    def breaches(self) -> list[MonitorResult]:
        return [r for r in self.results if r.breached]


class MonitorRunRequest(BaseModel):
    """The body of ``POST .../monitors/<name>/runs``."""

    model_config = ConfigDict(extra="forbid")
    window_end: datetime | None = Field(
        default=None, description="end of the production windows (default: now)"
    )
