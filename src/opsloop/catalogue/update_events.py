"""Event types of resources changed in place (``opsloop apply``): workspaces, registries,
datastores and event subscriptions (a principal's is in ``access_events``)."""

from __future__ import annotations

from opsloop.catalogue.events import EventPayload


class WorkspaceUpdated(EventPayload):
    event_type = "workspace.updated"
    resource_type = "workspaces"
    description = "A workspace's display name, description or tags were changed."
    fields: list[str]


class RegistryUpdated(EventPayload):
    event_type = "registry.updated"
    resource_type = "registries"
    description = "A registry's description or tags were changed."
    fields: list[str]


class DatastoreUpdated(EventPayload):
    event_type = "datastore.updated"
    resource_type = "datastores"
    description = (
        "A datastore's URL, description or tags were replaced (opsloop apply); data already "
        "registered through it keeps the URL it was resolved to."
    )
    url: str


class EventSubscriptionUpdated(EventPayload):
    event_type = "event_subscription.updated"
    resource_type = "event-subscriptions"
    description = (
        "An event subscription's filter and action were replaced (opsloop apply); it goes on "
        "from where it had read."
    )
    event_types: list[str]
    action: str
    subject: str | None = None
