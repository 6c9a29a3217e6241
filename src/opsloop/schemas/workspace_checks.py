"""What the workspace checks' services return: budget, cost report, activity."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Budget(BaseModel):
    workspace: str
    monthly: float | None = None  # None: no budget set
    currency: str = "USD"
    thresholds: list[int] = Field(default_factory=list)
    rates: dict[str, float] = Field(default_factory=dict)  # the rates in force, defaults in
    stale_after_days: int


class CostLine(BaseModel):
    """One job (or pipeline step) or one online deployment: its hours this month."""

    kind: str  # job | endpoint
    name: str
    rate_key: str
    hours: float
    rate: float
    cost: float


class CostReport(BaseModel):
    workspace: str
    month: str  # YYYY-MM
    currency: str
    job_hours: float
    job_cost: float
    endpoint_instance_hours: float
    endpoint_cost: float
    total: float
    budget: float | None
    percent_of_budget: float | None
    lines: list[CostLine] = Field(default_factory=list)


class Activity(BaseModel):
    workspace: str
    kind: str
    last_job_at: datetime | None = None
    last_traffic_at: datetime | None = None
    last_asset_change_at: datetime | None = None
    last_activity_at: datetime | None = None
    idle_days: float | None = None
    stale_after_days: int
    stale: bool
