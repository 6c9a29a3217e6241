"""Apply a plan: each resource through its own call to the platform (its own transaction,
authorised as the caller), so each is either fully applied or untouched; a failure is
reported and the rest goes on, except what lives in a workspace that could not be created
(a workspace whose update failed still exists, so what lives in it is applied)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsloop.client import Client
from opsloop.errors import OpsloopError
from opsloop.project.kinds import KINDS
from opsloop.project.plan import Change, Plan, make_plan
from opsloop.security.secret_references import REFERENCE
from opsloop.specs.project import Entry, load_project

_SIGNS = {"create": "+", "update": "~", "unchanged": "=", "delete": "-"}


def plan_file(client: Client, path: str | Path, *, prune: bool = False) -> Plan:
    """Read a project file (refusing literal credentials) and plan it as the caller."""
    project = load_project(path, _check)
    return make_plan(client, project, prune=prune)


def _check(entry: Entry) -> None:
    KINDS[entry.kind].validate(entry)
    entry.secrets = sorted({m["name"] for m in REFERENCE.finditer(repr(entry.data))})


def apply_plan(plan: Plan, report: Callable[[Change], None] | None = None) -> Plan:
    """Run every pending change in order; ``report`` hears each outcome as it comes."""
    broken: set[str] = set()  # workspaces whose creation failed: nothing can live in them
    for change in plan.pending:
        if change.workspace in broken and change.kind != "workspace":
            change.outcome = "not attempted"
            change.message = f"workspace {change.workspace!r} could not be created"
        elif change.error is not None or change.run is None:
            change.outcome, change.message = "failed", change.error or "not supported"
        else:
            try:
                change.run()
                change.outcome = "applied"
            except OpsloopError as exc:
                change.outcome, change.message = "failed", str(exc)
        failed_create = change.outcome != "applied" and change.action == "create"
        if failed_create and change.kind == "workspace" and change.workspace:
            broken.add(change.workspace)
        if report is not None:
            report(change)
    return plan


def render_change(change: Change) -> list[str]:
    """A plan line (``+ create compute dev/compute/cpu``) and its field diffs."""
    line = f"{_SIGNS[change.action]} {change.action:<9} {change.kind:<16} {change.address}"
    if change.outcome:
        line += f"  [{change.outcome}{': ' + change.message if change.message else ''}]"
    elif change.error:
        line += f"  [will fail: {change.error}]"
    lines = [line]
    for field, old, new in change.diffs:
        lines.append(f"      {field}: {_show(old)} -> {_show(new)}")
    return lines


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def summary(plan: Plan, *, applied: bool) -> str:
    counts = plan.counts()
    if not plan.pending:
        return f"No changes. {counts['unchanged']} resources unchanged."
    if not applied:
        return (
            f"Plan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete, {counts['unchanged']} unchanged."
        )
    outcomes = [c.outcome for c in plan.pending]
    return (
        f"Applied: {outcomes.count('applied')}, failed: {outcomes.count('failed')}, "
        f"not attempted: {outcomes.count('not attempted')}, unchanged: {counts['unchanged']}."
    )


def as_json(plan: Plan, *, applied: bool) -> dict[str, Any]:
    return {
        "changes": [
            {
                "action": c.action,
                "kind": c.kind,
                "address": c.address,
                "diffs": [{"field": f, "old": o, "new": n} for f, o, n in c.diffs],
                **({"outcome": c.outcome} if applied and c.action != "unchanged" else {}),
                **({"error": c.message or c.error} if (c.message or c.error) else {}),
            }
            for c in plan.changes
        ],
        "counts": plan.counts(),
        "summary": summary(plan, applied=applied),
    }


def failed(plan: Plan) -> bool:
    return any(c.outcome in ("failed", "not attempted") for c in plan.pending)
