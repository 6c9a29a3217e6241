"""``opsloop apply``: make the platform match a project file (the platform as code)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from opsloop.cli.common import Output, make_client


def apply(
    file: Annotated[str, typer.Option("--file", "-f", help="The project file (project.yaml).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; change nothing.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Also delete what the file no longer declares: computes, promotion policies, "
            "monitors, schedules, subscriptions and access of the workspaces it lists (never "
            "a workspace, principal, group, registry, datastore or environment).",
        ),
    ] = False,
    output: Output = "table",
) -> None:
    """Create or update the workspaces, registries, principals, groups, access, budgets,
    datastores, computes, environments, schedules, monitors and subscriptions that a
    project file declares. A second apply of the same file changes nothing. Each resource
    is applied in its own transaction with your permissions: a failure is reported and the
    others go on. A field that cannot change in place (a workspace's or principal's kind)
    is refused in the plan, and that resource left as it is. Secrets appear by name only (${{secrets.NAME}}); see docs/project-file.md.

    Example: opsloop apply -f project.yaml --dry-run
    """
    from opsloop.project.apply import (
        apply_plan,
        as_json,
        failed,
        plan_file,
        render_change,
        summary,
    )

    client = make_client()
    plan = plan_file(client, file, prune=prune)
    table = output != "json"

    def show(change: object) -> None:
        if table:
            typer.echo("\n".join(render_change(change)))  # type: ignore[arg-type]

    if dry_run or not plan.pending:
        for change in plan.changes:
            show(change)
    else:
        for change in plan.changes:
            if change.action == "unchanged":
                show(change)
        apply_plan(plan, report=show)
    applied = not dry_run and bool(plan.pending)
    if table:
        typer.echo(summary(plan, applied=applied))
    else:
        typer.echo(
            json.dumps(as_json(plan, applied=applied), indent=2, sort_keys=True, default=str)
        )
    if applied and failed(plan):
        raise typer.Exit(1)
