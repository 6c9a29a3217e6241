"""Plan a project file against the platform: what to create, update, leave or delete.

Everything is read through ``opsloop.Client`` as the caller: what the caller cannot read
becomes that resource's error in the plan, not the whole plan's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from opsloop.client import Client
from opsloop.errors import NotFoundError, OpsloopError
from opsloop.project.kinds import KINDS
from opsloop.specs.project import WORKSPACE_KINDS, Entry, Project

Action = Literal["create", "update", "unchanged", "delete"]


@dataclass
class Change:
    kind: str  # singular: workspace, compute, role assignment, ...
    address: str  # workspace/dev, dev/compute/cpu, ...
    action: Action
    diffs: list[tuple[str, Any, Any]] = field(default_factory=list)  # (field, old, new)
    run: Callable[[], Any] | None = None
    error: str | None = None  # known before running: it will fail
    workspace: str | None = None  # the workspace it lives in (not attempted if that fails)
    outcome: str = ""  # applied | failed | not attempted (after apply)
    message: str = ""


@dataclass
class Plan:
    changes: list[Change]

    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0, "delete": 0}
        for change in self.changes:
            counts[change.action] += 1
        return counts

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != "unchanged"]


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """The fields whose values differ, with their old and new values."""
    found = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        # The service fills in a trigger's start_time (its creation) when the spec gives none.
        if key == "trigger" and isinstance(before, dict) and isinstance(after, dict):
            before = {k: v for k, v in before.items() if k != "start_time" or k in after}
        if _empty(before) and _empty(after):
            continue
        if before != after:
            found.append((key, before, after))
    return found


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def make_plan(client: Client, project: Project, *, prune: bool = False) -> Plan:
    from opsloop.project.platform_plan import plan_platform

    changes = plan_platform(client, project, prune=prune)
    existing = {c.address.split("/", 1)[1] for c in changes if c.kind == "workspace"}
    new_workspaces = {
        c.address.split("/", 1)[1]
        for c in changes
        if c.kind == "workspace" and c.action == "create"
    }
    secrets = _secrets(client, existing - new_workspaces)
    for workspace in project.spec.workspaces:
        fresh = workspace.name in new_workspaces
        for kind in WORKSPACE_KINDS:
            entries = [
                e for e in project.entries if e.workspace == workspace.name and e.kind == kind
            ]
            changes += _plan_kind(client, kind, workspace.name, entries, fresh, prune, secrets)
    return Plan(changes)


def _secrets(client: Client, workspaces: set[str]) -> dict[str, set[str] | None]:
    found: dict[str, set[str] | None] = {}
    for ws in workspaces:
        try:
            found[ws] = {s.name for s in client.secrets.list(workspace=ws)}
        except OpsloopError:
            found[ws] = None  # not readable by the caller: the service checks at use
    return found


def _plan_kind(
    client: Client,
    kind: str,
    ws: str,
    entries: list[Entry],
    fresh: bool,
    prune: bool,
    secrets: dict[str, set[str] | None],
) -> list[Change]:
    spec = KINDS[kind]
    current: dict[str, dict[str, Any]] = {}
    read_error = None
    if not fresh and (entries or prune):
        try:
            current = spec.current(client, ws)
        except OpsloopError as exc:
            read_error = f"cannot read the workspace's {kind.replace('_', ' ')}: {exc}"
    changes = []
    for entry in entries:
        address = f"{ws}/{spec.label.replace(' ', '-')}/{entry.name}"
        desired = spec.desired(entry)
        change = Change(spec.label, address, "create", workspace=ws)
        if entry.name in current:
            change.diffs = diff(current[entry.name], desired)
            change.action = "update" if change.diffs else "unchanged"
        change.error = read_error or _entry_error(
            spec, change.action, entry, secrets.get(ws, set())
        )
        if change.action == "update" and spec.fixed is not None and change.error is None:
            change.error = spec.fixed(entry, change.diffs)
        if change.action == "create" and spec.create is not None:
            change.run = _bind(spec.create, client, entry)
        elif change.action == "update" and spec.update is not None:
            change.run = _bind(spec.update, client, entry)
        changes.append(change)
    if prune and spec.delete is not None and read_error is None:
        declared = {e.name for e in entries}
        for name in sorted(set(current) - declared):
            delete = spec.delete
            changes.append(
                Change(
                    spec.label,
                    f"{ws}/{spec.label.replace(' ', '-')}/{name}",
                    "delete",
                    run=lambda d=delete, n=name: d(client, ws, n),  # type: ignore[misc]
                    workspace=ws,
                )
            )
    return changes


def _entry_error(spec: Any, action: str, entry: Entry, secrets: set[str] | None) -> str | None:
    if (action == "create" and spec.create is None) or (action == "update" and spec.update is None):
        return spec.unsupported
    if action != "unchanged" and secrets is not None:
        missing = [name for name in entry.secrets if name not in secrets]
        if missing:
            return (
                f"secret {missing[0]!r} ({entry.file}) does not exist in workspace "
                f"{entry.workspace!r}: set it with `opsloop secret set {missing[0]} "
                f"-w {entry.workspace}`, then apply again"
            )
    return None


def _bind(
    action: Callable[[Client, Entry], Any], client: Client, entry: Entry
) -> Callable[[], Any]:
    return lambda: action(client, entry)


def exists(read: Callable[[], Any]) -> Any:
    """What ``read`` returns, or None when it is not found."""
    try:
        return read()
    except NotFoundError:
        return None
