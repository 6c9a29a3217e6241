"""Events, subscriptions and their deliveries in the SDK."""

from __future__ import annotations

import builtins
from datetime import datetime
from pathlib import Path
from typing import Any

from opsloop.client._resources import _Operations, build_spec
from opsloop.schemas.events import CloudEvent, Delivery, EventSubscription, EventType, Redelivery
from opsloop.specs.events import SubscriptionSpec


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
        dry_run: bool = False,
        **fields: Any,
    ) -> EventSubscription:
        """A subscription: events that match get its action. A webhook's answer holds its
        signing ``secret``, shown this once::

            client.subscriptions.create(file="subscriptions/retrain-on-drift.yml")
            client.event_subscriptions.create(
                name="ci", event_types=["job.failed"], webhook_url="https://ci.example/hook"
            )

        A run_job action's ``job`` file is read here, relative to the subscription file,
        its code uploaded, and kept with the subscription. With ``dry_run``, it is checked
        and answered, nothing stored and no code uploaded (hashed only)."""
        data = self._body(spec, file, overrides, fields, dry_run)
        return self._post(EventSubscription, "/event-subscriptions", data, dry_run)

    def update(
        self,
        name: str,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> EventSubscription:
        """Replace the subscription's filter and action with the spec's; it goes on from
        where it had read."""
        data = self._body(spec, file, overrides, fields, False)
        answer = self._client.request("PUT", f"/event-subscriptions/{name}", json=data)
        return EventSubscription.model_validate(answer)

    def _body(
        self, spec: Any, file: Any, overrides: Any, fields: dict[str, Any], dry_run: bool
    ) -> dict[str, Any]:
        data, origin = build_spec(
            SubscriptionSpec, spec, file=file, overrides=overrides, fields=fields
        )
        action = data.get("action") or {}
        if action.get("type") == "run_job" and action.get("job_spec") is None:
            action["job_spec"] = self._read_job(action, data.get("workspace"), origin, dry_run)
        return data

    def _read_job(
        self, action: dict[str, Any], workspace: str | None, origin: Any, dry_run: bool
    ) -> Any:
        from opsloop.client._resolve import HashingResolver, Origin, Resolver
        from opsloop.client._resources import _spec_class
        from opsloop.specs.loader import read_yaml

        path = origin.base_dir / action["job"]
        if not path.is_file():
            raise origin.error(f"no job file at {path}", "action", "job")
        job, lines = read_yaml(path)
        job_origin = Origin(path.resolve().parent, str(path), lines)
        self._client._upload_workspace = action.get("workspace") or workspace
        resolver = HashingResolver() if dry_run else Resolver(self._client._upload)
        resolved = resolver.job(job, job_origin)
        job_origin.validate(_spec_class("JobSpec"), resolved)  # errors name the job file
        return resolved

    def get(self, name: str) -> EventSubscription:
        return self._get(EventSubscription, f"/event-subscriptions/{name}")

    def list(self) -> builtins.list[EventSubscription]:
        return self._list(EventSubscription, "/event-subscriptions")

    def delete(self, name: str) -> None:
        self._client.request("DELETE", f"/event-subscriptions/{name}")

    def deliveries(
        self, name: str, *, status: str | None = None, limit: int = 100
    ) -> builtins.list[Delivery]:
        """The newest deliveries, each with its attempts::

        client.subscriptions.deliveries("ci", status="dead_letter")
        """
        return self._list(
            Delivery, f"/event-subscriptions/{name}/deliveries", status=status, limit=limit
        )

    def redeliver(
        self, name: str, *, event: str | None = None, dead_letters: bool = False
    ) -> Redelivery:
        """Queue one event (its id) or every dead letter to be delivered again."""
        body = {"event": event, "dead_letters": dead_letters}
        return self._post(Redelivery, f"/event-subscriptions/{name}/redeliver", body)
