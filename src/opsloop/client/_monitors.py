"""``client.monitors``: model monitors of online deployments, their runs and results."""

from __future__ import annotations

import builtins
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsloop.schemas.monitors import Monitor, MonitorRun

if TYPE_CHECKING:
    from opsloop.client._client import Client
    from opsloop.specs.monitor import MonitorSpec


class MonitorOperations:
    """Create, run and read monitors::

    client.monitors.create(file="monitor.yml")        # or an Azure ML schedule file
    run = client.monitors.run("taxi-fare-monitor")
    [(r.feature, r.metric, r.value) for r in run.breaches]
    client.monitors.show_run("taxi-fare-monitor", "latest").report
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def _path(self, workspace: str | None, *parts: str) -> str:
        base = f"/workspaces/{self._client.workspace_name(workspace)}/monitors"
        return "/".join([base, *parts])

    def create(
        self,
        spec: MonitorSpec | dict[str, Any] | None = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        dry_run: bool = False,
    ) -> Monitor:
        """From a monitor file (errors name its file, line and field), a mapping or a spec;
        with ``dry_run``, checked and answered, nothing stored."""
        from opsloop.specs.monitor import MonitorSpec, load_monitor_file, monitor_from_data

        if file is not None:
            spec = load_monitor_file(file)
        elif isinstance(spec, dict):
            spec = monitor_from_data(spec)
        if not isinstance(spec, MonitorSpec):
            raise TypeError("give a monitor spec, a mapping or file=")
        body = spec.model_dump(mode="json", exclude_none=True)
        params = {"dry_run": "true"} if dry_run else None
        return Monitor.model_validate(
            self._client.request("POST", self._path(workspace), json=body, params=params)
        )

    def get(self, name: str, *, workspace: str | None = None) -> Monitor:
        return Monitor.model_validate(self._client.request("GET", self._path(workspace, name)))

    def list(self, *, workspace: str | None = None) -> list[Monitor]:
        return [
            Monitor.model_validate(m) for m in self._client.request("GET", self._path(workspace))
        ]

    def delete(self, name: str, *, workspace: str | None = None) -> None:
        self._client.request("DELETE", self._path(workspace, name))

    def run(
        self, name: str, *, window_end: datetime | None = None, workspace: str | None = None
    ) -> MonitorRun:
        """Run every signal now (or on windows ending at ``window_end``)."""
        body = {"window_end": window_end.isoformat() if window_end else None}
        answer = self._client.request("POST", self._path(workspace, name, "runs"), json=body)
        return MonitorRun.model_validate(answer)

    def list_runs(self, name: str, *, workspace: str | None = None) -> builtins.list[MonitorRun]:
        answer = self._client.request("GET", self._path(workspace, name, "runs"))
        return [MonitorRun.model_validate(r) for r in answer]

    def show_run(
        self, name: str, run: str = "latest", *, workspace: str | None = None
    ) -> MonitorRun:
        """A run with its results: ``latest``, its number or its id."""
        answer = self._client.request("GET", self._path(workspace, name, "runs", str(run)))
        return MonitorRun.model_validate(answer)
