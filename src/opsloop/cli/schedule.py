"""``opsloop schedule``: cron and recurrence schedules that create jobs."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli.common import (
    DryRun,
    File,
    Output,
    Set,
    Workspace,
    Yes,
    dry_run_note,
    emit,
    make_client,
)

schedule_app = typer.Typer(
    help="Schedules: a cron or recurrence trigger that creates a job on each tick (Azure ML's "
    "schedule YAML). `opsloop worker` or `opsloop server` fires them.",
    no_args_is_help=True,
)
COLUMNS = ["name", "enabled", "creates", "trigger_text", "next_fire_at", "last_fired_at"]
SHOWN = [
    "workspace",
    "name",
    "display_name",
    "description",
    "enabled",
    "creates",
    "trigger_text",
    "trigger",
    "run_as",
    "next_fire_at",
    "upcoming",
    "last_fired_at",
    "created_at",
    "created_by",
    "tags",
]  # fmt: skip  (the job itself: -o json)
ScheduleName = Annotated[str, typer.Argument(help="Schedule name.")]


@schedule_app.command("create")
def create(
    file: File = None,
    workspace: Workspace = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Create a schedule from YAML: trigger (cron or recurrence) and create_job (a job file
    relative to the schedule file, an inline job, or a component reference).

    Example: opsloop schedule create -w dev -f nightly-train.yml

    Check only (the job's code hashed, not uploaded): opsloop schedule create -w dev -f
    nightly-train.yml --dry-run
    """
    if file is None:
        raise typer.BadParameter("give the schedule's YAML file", param_hint="--file")
    client = make_client(workspace)
    schedule = client.schedules.create(file=file, overrides=set_, dry_run=dry_run)
    emit(schedule, output, SHOWN)
    dry_run_note(dry_run, "schedule", schedule)
    if not client.is_remote and not dry_run:
        # No server runs beside an embedded home: nothing fires until a worker does.
        typer.echo(
            "Schedules fire while `opsloop worker` (or `opsloop server`) runs for this home.",
            err=True,
        )


@schedule_app.command("list")
def list_(workspace: Workspace = None, output: Output = "table") -> None:
    """List a workspace's schedules with their next tick.

    Example: opsloop schedule list -w dev
    """
    emit(make_client(workspace).schedules.list(), output, COLUMNS)


@schedule_app.command("show")
def show(name: ScheduleName, workspace: Workspace = None, output: Output = "table") -> None:
    """Show a schedule, its next ticks and the ticks it fired (the job each created).

    Example: opsloop schedule show nightly-train -w dev
    """
    schedule = make_client(workspace).schedules.get(name)
    emit(schedule, output, SHOWN)
    if output == "table" and schedule.fires:
        typer.echo("fired:")
        for fire in schedule.fires:
            outcome = fire.created or f"error: {fire.error}"
            missed = f" ({fire.missed_ticks} missed ticks skipped)" if fire.missed_ticks else ""
            typer.echo(f"  {fire.tick_at:%Y-%m-%d %H:%M:%SZ}  {outcome}{missed}")


@schedule_app.command("enable")
def enable(name: ScheduleName, workspace: Workspace = None, output: Output = "table") -> None:
    """Enable a schedule: it fires from its next tick after now.

    Example: opsloop schedule enable nightly-train -w dev
    """
    emit(make_client(workspace).schedules.enable(name), output, COLUMNS)


@schedule_app.command("disable")
def disable(name: ScheduleName, workspace: Workspace = None, output: Output = "table") -> None:
    """Disable a schedule: it fires no more until enabled.

    Example: opsloop schedule disable nightly-train -w dev
    """
    emit(make_client(workspace).schedules.disable(name), output, COLUMNS)


@schedule_app.command("delete")
def delete(name: ScheduleName, workspace: Workspace = None, yes: Yes = False) -> None:
    """Delete a schedule (the jobs it created stay).

    Example: opsloop schedule delete nightly-train -w dev -y
    """
    if not yes:
        typer.confirm(f"Delete schedule {name!r}?", abort=True)
    make_client(workspace).schedules.delete(name)
    typer.echo(f"Deleted schedule {name}")
