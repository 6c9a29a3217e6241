"""Event types of a workspace's cost and staleness checks. Each names the principals to
alert in its data (``notify``), so a subscription's email action can reach them."""

from __future__ import annotations

from datetime import datetime

from opsloop.catalogue.events import EventPayload


class BudgetSet(EventPayload):
    event_type = "workspace.budget_set"
    resource_type = "workspaces"
    description = "A workspace's monthly budget, thresholds or rates were set."
    monthly: float
    currency: str
    thresholds: list[int]


class BudgetThresholdReached(EventPayload):
    event_type = "budget.threshold_reached"
    resource_type = "workspaces"
    description = (
        "A workspace's cost this month reached a threshold of its budget (once per "
        "workspace, month and threshold); notify names its project leads and product owners."
    )
    month: str
    threshold: int
    cost: float
    budget: float
    currency: str
    percent: float
    notify: list[str]


class WorkspaceStale(EventPayload):
    event_type = "workspace.stale"
    resource_type = "workspaces"
    description = (
        "A preproduction workspace saw no job runs, endpoint traffic or asset changes for "
        "stale_after_days (once per idle period); notify names its Owners, who may "
        "decommission it."
    )
    last_activity_at: datetime | None
    idle_days: float
    stale_after_days: int
    notify: list[str]
