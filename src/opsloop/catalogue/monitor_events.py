"""Event types of monitors. ``monitor.alerted`` is what alert subscriptions react to: its
shape is a contract (docs/monitoring.md, "Alerts")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from opsloop.catalogue.events import EventPayload


class MonitorCreated(EventPayload):
    event_type = "monitor.created"
    resource_type = "monitors"
    description = "A monitor was created (or replaced) for an endpoint deployment."
    endpoint: str
    deployment: str
    signals: list[str]


class MonitorDeleted(EventPayload):
    event_type = "monitor.deleted"
    resource_type = "monitors"
    description = "A monitor was deleted with its runs and results."


class MonitorRunCompleted(EventPayload):
    event_type = "monitor.run_completed"
    resource_type = "monitors"
    description = "A monitor run computed its signals (breached says whether any alerted)."
    monitor: str
    run: str
    breached: bool
    report: str | None = None


class Breach(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    signal: str
    feature: str
    metric: str
    value: float | None
    threshold: float | None


class MonitorAlerted(EventPayload):
    event_type = "monitor.alerted"
    resource_type = "monitors"
    description = (
        "A monitor run found breaches in signals with alert_enabled: which signal, feature "
        "and metric, the drifted features, the report and the production window's files."
    )
    monitor: str
    run: str
    endpoint: str
    deployment: str
    breaches: list[Breach]
    features: list[str]
    report: str | None
    production_data: str | None
