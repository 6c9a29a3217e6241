"""Event types of schedules. ``schedule.fired`` names the tick and what it created, or
the error that kept it from creating anything."""

from __future__ import annotations

from datetime import datetime

from opsloop.catalogue.events import EventPayload


class ScheduleCreated(EventPayload):
    event_type = "schedule.created"
    resource_type = "schedules"
    description = "A schedule was created (it creates a job, or runs a monitor, on each tick)."
    trigger: str
    creates: str
    next_fire_at: datetime | None


class ScheduleUpdated(EventPayload):
    event_type = "schedule.updated"
    resource_type = "schedules"
    description = (
        "A schedule's trigger and action were replaced (opsloop apply); its ticks now act "
        "as whoever updated it."
    )
    trigger: str
    creates: str
    next_fire_at: datetime | None


class ScheduleEnabled(EventPayload):
    event_type = "schedule.enabled"
    resource_type = "schedules"
    description = "A schedule was enabled; it fires from its next tick after now."
    next_fire_at: datetime | None


class ScheduleDisabled(EventPayload):
    event_type = "schedule.disabled"
    resource_type = "schedules"
    description = "A schedule was disabled; it fires no more until enabled."


class ScheduleDeleted(EventPayload):
    event_type = "schedule.deleted"
    resource_type = "schedules"
    description = "A schedule was deleted."


class ScheduleFired(EventPayload):
    event_type = "schedule.fired"
    resource_type = "schedules"
    description = (
        "A schedule's tick fired: what it created (a job's name), or the error that kept it "
        "from creating anything; missed_ticks counts the ticks skipped after downtime."
    )
    tick_at: datetime
    creates: str
    created: str | None
    error: str | None
    missed_ticks: int
