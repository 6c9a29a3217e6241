"""``opsloop monitor``: model monitors of online deployments (Azure ML's shape)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from opsloop.cli.common import (
    DryRun,
    Output,
    Set,
    Workspace,
    Yes,
    check_output,
    console,
    dry_run_note,
    emit,
    make_client,
)

if TYPE_CHECKING:
    from opsloop.schemas.monitors import MonitorRun

monitor_app = typer.Typer(
    help="Model monitors: data drift, prediction drift, data quality, model performance, "
    "feature attribution drift and endpoint operations of an online deployment.",
    no_args_is_help=True,
)
COLUMNS = ["name", "endpoint", "deployment", "signals", "last_run", "created_at"]
RUN_COLUMNS = ["number", "window_end", "status", "breached", "report", "created_by"]
MonitorName = Annotated[str, typer.Argument(help="Monitor name.")]


@monitor_app.command("create")
def create(
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            "-f",
            help="A monitor file, or an Azure ML schedule file with create_monitor.",
            exists=True,
            dir_okay=False,
        ),
    ],
    set_: Set = None,
    workspace: Workspace = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Create a monitor (or replace the one with its name).

    Example: opsloop monitor create -w prod -f examples/classical/mlops/monitoring/monitor.yml

    Check only (its target, data and signals): opsloop monitor create -w prod -f monitor.yml
    --dry-run
    """
    from opsloop.specs.monitor import load_monitor_file

    spec = load_monitor_file(file, set_)
    monitor = make_client(workspace).monitors.create(spec, dry_run=dry_run)
    emit(monitor, output, COLUMNS)
    for warning in monitor.warnings:
        typer.echo(f"warning: {warning}", err=True)
    dry_run_note(dry_run, "monitor", monitor)
    if spec.trigger is not None and not dry_run:
        where = f" -w {workspace}" if workspace else ""
        typer.echo(
            f"{file} has a trigger: `opsloop schedule create{where} -f {file}` runs "
            f"{spec.name} on it; until then, run it with "
            f"`opsloop monitor run {spec.name}{where}`.",
            err=True,
        )


@monitor_app.command("list")
def list_(workspace: Workspace = None, output: Output = "table") -> None:
    """List a workspace's monitors.  Example: opsloop monitor list -w prod"""
    emit(make_client(workspace).monitors.list(), output, COLUMNS)


@monitor_app.command("show")
def show(
    name: MonitorName,
    run: Annotated[
        str | None,
        typer.Option("--run", help="Show a run's results: latest, a run number or a run id."),
    ] = None,
    runs: Annotated[bool, typer.Option("--runs", help="List the monitor's runs.")] = False,
    workspace: Workspace = None,
    output: Output = "table",
) -> None:
    """Show a monitor, its runs (--runs), or one run's results as a table (--run latest),
    breached metrics marked.

    Example: opsloop monitor show taxi-fare-monitor -w prod --run latest
    """
    check_output(output)
    monitors = make_client(workspace).monitors
    if runs:
        emit(monitors.list_runs(name), output, RUN_COLUMNS)
    elif run is None:
        emit(monitors.get(name), output, [*COLUMNS, "spec"])
    else:
        found = monitors.show_run(name, run)
        if output == "json":
            emit(found, output, [])
        else:
            print_run(found)


@monitor_app.command("run")
def run_(
    name: MonitorName,
    window_end: Annotated[
        datetime | None,
        typer.Option(
            "--window-end",
            help="End of the production windows, UTC unless the "
            "time says otherwise (default: now).",
        ),
    ] = None,
    workspace: Workspace = None,
    output: Output = "table",
) -> None:
    """Run every signal of a monitor now: results, report, and an alert if one breaches.

    Example: opsloop monitor run taxi-fare-monitor -w prod
    """
    check_output(output)
    found = make_client(workspace).monitors.run(name, window_end=window_end)
    if output == "json":
        emit(found, output, [])
        return
    print_run(found)


@monitor_app.command("delete")
def delete(name: MonitorName, workspace: Workspace = None, yes: Yes = False) -> None:
    """Delete a monitor with its runs and results (its reports stay in the artifact store).

    Example: opsloop monitor delete taxi-fare-monitor -w prod -y
    """
    if not yes:
        typer.confirm(f"Delete monitor {name!r} and its runs?", abort=True)
    make_client(workspace).monitors.delete(name)
    typer.echo(f"Deleted monitor {name}")


def print_run(run: MonitorRun) -> None:
    """The run's results table, then its verdict and where its report is."""
    table = Table(
        title=f"monitor {run.monitor}, run {run.number} (window end {run.window_end:%Y-%m-%d %H:%M:%SZ})"
    )
    for column in ("signal", "feature", "metric", "value", "threshold", "verdict"):
        table.add_column(column, overflow="fold")
    for result in run.results:
        verdict = "[bold red]BREACH[/]" if result.breached else "ok"
        table.add_row(
            result.signal, result.feature, result.metric, _number(result.value),
            _number(result.threshold), verdict,
        )  # fmt: skip
    console.print(table)
    for signal, details in run.details.items():
        if "skipped" in details:
            typer.echo(f"{signal}: skipped ({details['skipped']})")
    breaches = run.breaches
    features = sorted({r.feature for r in breaches if r.feature})
    verdict = (
        f"{len(breaches)} breach(es); features: {', '.join(features) or '-'}"
        if breaches
        else "no breach"
    )
    typer.echo(f"Run {run.number}: {verdict}")
    typer.echo(f"Report: {_where(run.report)}")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _where(url: str | None) -> str:
    from opsloop.file_urls import local_path_of

    if url is None:
        return "-"
    local = local_path_of(url)
    return str(local) if local is not None else url
