"""Events and webhook subscriptions in the SDK."""

from __future__ import annotations

import builtins
from datetime import datetime
from pathlib import Path
from typing import Any

from opsloop.client._resources import _Operations, build_spec
from opsloop.schemas.events import CloudEvent, EventSubscription, EventType
from opsloop.specs.events import EventSubscriptionSpec


class EventOperations(_Operations):
    def list(
        self,
        *,
        type: str | None = None,
        workspace: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[CloudEvent]:
        """The newest ``limit`` events that match, oldest first; ``type`` may end in ``*``::

        client.events.list(type="job.*", workspace="dev", limit=20)
        """
        return self._list(
            CloudEvent,
            "/events",
            type=type,
            workspace=workspace,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            limit=limit,
        )

    def types(self) -> builtins.list[EventType]:
        """Every declared event type with the JSON schema of its data."""
        return self._list(EventType, "/event-types")


class EventSubscriptionOperations(_Operations):
    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> EventSubscription:
        """A webhook for the matching events::

        client.event_subscriptions.create(
            name="ci", event_types=["job.failed"], webhook_url="https://ci.example/hook"
        )
        """
        data, _ = build_spec(
            EventSubscriptionSpec, spec, file=file, overrides=overrides, fields=fields
        )
        return self._post(EventSubscription, "/event-subscriptions", data)

    def get(self, name: str) -> EventSubscription:
        return self._get(EventSubscription, f"/event-subscriptions/{name}")

    def list(self) -> list[EventSubscription]:
        return self._list(EventSubscription, "/event-subscriptions")

    def delete(self, name: str) -> None:
        self._client.request("DELETE", f"/event-subscriptions/{name}")
