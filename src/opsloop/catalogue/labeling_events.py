"""Event types of labeling tasks."""

from __future__ import annotations

from opsloop.catalogue.events import EventPayload


class LabelingTaskItemsAdded(EventPayload):
    event_type = "labeling_task.items_added"
    resource_type = "labeling-tasks"
    description = "A labeling task was opened or extended with the items an event brought."
    items: int
    total: int
    event: str | None = None
    subscription: str | None = None
