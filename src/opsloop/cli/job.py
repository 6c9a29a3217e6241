"""``opsloop job``: submit, follow, inspect, cancel jobs and download their outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from opsloop.cli.common import (
    File,
    Output,
    Set,
    Workspace,
    check_output,
    console,
    echo_warnings,
    make_client,
)

if TYPE_CHECKING:
    from opsloop.client import Client
    from opsloop.schemas.entities import Job

job_app = typer.Typer(
    help="Jobs: command, sweep and pipeline jobs run on the local executor.", no_args_is_help=True
)
JobName = Annotated[str, typer.Option("--name", "-n", help="Job name.")]
NewJobName = Annotated[
    str | None, typer.Option("--name", "-n", help="Job name (default: generated; must be free).")
]
Stream = Annotated[bool, typer.Option("--stream", "-s", help="Follow the logs until the job ends.")]


@job_app.command("create")
def create(
    file: File = None,
    workspace: Workspace = None,
    set_: Set = None,
    stream: Stream = False,
    name: NewJobName = None,
    output: Output = "table",
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Check the job and print its plan, as `job validate` does; run nothing.",
        ),
    ] = False,
) -> None:
    """Submit a command, sweep or pipeline job from YAML.

    Example: opsloop job create -w dev -f pipeline.yml --set settings.force_rerun=true --stream
    """
    if dry_run:
        validate(file=file, workspace=workspace, set_=set_, name=name, output=output)
        return
    _start_runner_ahead()
    client = make_client(workspace)
    job = client.jobs.create(file=file, overrides=set_, name=name)
    echo_warnings(job.warnings)
    if not stream:
        _show(job, output)
        return
    typer.echo(
        f"Job {job.name} submitted; following its logs (Ctrl-C stops following, not the job).",
        err=output == "json",
    )
    _follow(client, job.name, output)


@job_app.command("validate")
def validate(
    file: File = None,
    workspace: Workspace = None,
    set_: Set = None,
    name: NewJobName = None,
    output: Output = "table",
) -> None:
    """Check a job against the workspace and print its plan without running anything: each
    step's component, compute, environment, inputs and outputs, and whether it would be
    reused (and from which job) or would run (and why). Nothing is uploaded or stored.
    Exits 1 with the error `create` would give (file:line field) when the job is not valid.

    Example: opsloop job validate -w dev -f pipeline.yml --set inputs.max_iter=50 -o json
    """
    plan = make_client(workspace).jobs.validate(file=file, overrides=set_, name=name)
    echo_warnings(plan.warnings)
    if check_output(output) == "json":
        typer.echo(json.dumps(plan.model_dump(mode="json"), indent=2, sort_keys=True))
        return
    console.print(
        f"[bold]{plan.name or '(new job)'}[/bold]  {plan.type}  valid  "
        f"experiment={plan.experiment_name}  workspace={plan.workspace}",
        highlight=False,
    )
    table = Table("step", "component", "compute", "environment", "inputs", "outputs", "reuse")
    for step in plan.steps:
        table.add_row(
            step.name,
            step.component,
            step.compute,
            step.environment or "",
            "\n".join(f"{k}={v.describe()}" for k, v in step.inputs.items()),
            "\n".join(f"{k}: {v}" for k, v in step.outputs.items()),
            step.reason if step.reuse == "reused" else f"runs: {step.reason}",
        )
    console.print(table)
    runs = sum(s.reuse == "runs" for s in plan.steps)
    console.print(f"{runs} step(s) would run, {len(plan.steps) - runs} would be reused.")


def _start_runner_ahead() -> None:
    """Embedded, start the job's runner now: its second or more of loading then overlaps
    this call's own start-up and the submission (see ``start_standby_runner``)."""
    from opsloop.config import Settings

    settings = Settings()
    if not settings.is_remote():
        from opsloop.app.local_server import find_local_server
        from opsloop.execution.launcher import start_standby_runner

        if settings.local_server and find_local_server(settings.resolved_home()):
            return  # the local server keeps one loaded ahead

        start_standby_runner(settings)


@job_app.command("stream")
def stream_(name: JobName, workspace: Workspace = None, output: Output = "table") -> None:
    """Follow a job's logs until it ends.  Example: opsloop job stream -w dev -n frank_key_1a2b3c4d"""
    _follow(make_client(workspace), name, output)


def _follow(client: Client, name: str, output: str) -> None:
    try:
        job = client.jobs.stream(name, out=sys.stderr if output == "json" else sys.stdout)
    except KeyboardInterrupt:
        where = f"-w {client.workspace_name(None)} -n {name}"
        typer.echo(
            f"\nStopped following. The job goes on: `opsloop job stream {where}` follows it"
            f" again, `opsloop job cancel {where}` stops it.",
            err=True,
        )
        raise typer.Exit(130) from None
    _show(job, output)
    if job.status != "Completed":
        raise typer.Exit(1)


@job_app.command("show")
def show(name: JobName, workspace: Workspace = None, output: Output = "table") -> None:
    """Show a job: status, steps (with reuse), a sweep's trials and best trial, metrics and
    params.  Example: opsloop job show -w dev -n NAME -o json"""
    _show(make_client(workspace).jobs.get(name), output)


@job_app.command("list")
def list_(
    workspace: Workspace = None,
    output: Output = "table",
    limit: Annotated[int, typer.Option(help="At most this many jobs, newest first.")] = 50,
) -> None:
    """List jobs, newest first.  Example: opsloop job list -w dev"""
    jobs = make_client(workspace).jobs.list(limit=limit)
    if check_output(output) == "json":
        typer.echo(json.dumps([j.model_dump(mode="json") for j in jobs], indent=2, sort_keys=True))
        return
    table = Table("name", "type", "status", "experiment", "created_at", "duration")
    for job in jobs:
        table.add_row(
            job.name,
            job.type,
            job.status,
            job.experiment_name,
            str(job.created_at)[:19],
            _duration(job),
        )
    console.print(table)


@job_app.command("logs")
def logs(name: JobName, workspace: Workspace = None) -> None:
    """Print a job's logs so far.  Example: opsloop job logs -w dev -n NAME"""
    client = make_client(workspace)
    offsets: dict[str, int] = {}
    while True:
        chunk = client.jobs.logs(name, offsets=offsets)
        sys.stdout.write(chunk.text)
        if not chunk.text or chunk.offsets == offsets:
            break
        offsets = chunk.offsets


@job_app.command("cancel")
def cancel(
    name: JobName,
    workspace: Workspace = None,
    output: Output = "table",
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the job to stop (0: do not wait).")
    ] = 30,
) -> None:
    """Cancel a queued or running job and show it once it has stopped.

    Example: opsloop job cancel -w dev -n NAME
    """
    client = make_client(workspace)
    job = client.jobs.cancel(name)
    if not job.is_terminal and wait > 0:
        try:
            job = client.jobs.wait(name, timeout=wait)
        except TimeoutError:
            job = client.jobs.get(name)
            typer.echo(
                f"Cancel requested; {name} is still {job.status} after {wait:g} s "
                "(its runner stops it at its next check).",
                err=True,
            )
    _show(job, output)


@job_app.command("download")
def download(
    name: JobName,
    workspace: Workspace = None,
    output_name: Annotated[
        str | None, typer.Option("--output-name", help="Only this output (default: all).")
    ] = None,
    step: Annotated[
        str | None,
        typer.Option("--step", help="A pipeline step's outputs (default: the pipeline's own)."),
    ] = None,
    download_path: Annotated[
        Path, typer.Option("--download-path", "-p", help="Folder to write to.")
    ] = Path("."),
) -> None:
    """Download a job's outputs into DOWNLOAD_PATH/<job>/<output>/ (a step's into
    DOWNLOAD_PATH/<job>.<step>/<output>/).

    Example: opsloop job download -w dev -n NAME --output-name trained_model -p ./outputs
    """
    client = make_client(workspace)
    target = client.jobs.download(name, download_path, output_name=output_name, step=step)
    typer.echo(f"Downloaded to {target}")


def _duration(job: Job) -> str:
    seconds = job.duration_seconds
    return f"{seconds:.1f}s" if seconds is not None else ""


def _show(job: Job, output: str) -> None:
    if check_output(output) == "json":
        typer.echo(json.dumps(job.model_dump(mode="json"), indent=2, sort_keys=True))
        return
    console.print(
        f"[bold]{job.name}[/bold]  {job.type}  [bold]{job.status}[/bold]  "
        f"experiment={job.experiment_name}  {_duration(job)}"
    )
    if job.error:
        console.print(f"[red]error:[/red] {job.error}", markup=True, highlight=False)
    if job.type == "sweep":
        _show_trials(job)
    elif job.steps:
        table = Table("step", "status", "reuse", "duration", "exit", "metrics")
        for step in job.steps:
            table.add_row(
                step.step_name or step.name,
                step.status,
                step.reuse_reason
                or (f"reused from {step.reused_from}" if step.reused_from else ""),
                _duration(step),
                "" if step.exit_code is None else str(step.exit_code),
                _metrics(step),
            )
        console.print(table)
        for step in job.steps:
            if step.type == "sweep":
                console.print(f"[bold]{step.step_name}[/bold] (sweep)")
                _show_trials(step)
    else:
        if job.params:
            console.print(
                "params:  " + ", ".join(f"{k}={v}" for k, v in sorted(job.params.items()))
            )
        if job.metrics:
            console.print("metrics: " + _metrics(job))
    _show_runtime(job)
    for name, output_value in job.outputs.items():
        console.print(f"output {name}: {output_value.get('url')}")


def _show_trials(sweep: Job) -> None:
    """A sweep's trials, their values and primary metric, and its best trial."""
    objective = sweep.spec.get("objective") or {}
    metric = objective.get("primary_metric", "")
    names = list(sweep.spec.get("search_space") or {})
    table = Table("trial", "status", *names, metric, "duration", "note")
    for trial in sweep.steps:
        value = trial.metrics.get(metric)
        table.add_row(
            trial.step_name or trial.name,
            trial.status,
            *(str(trial.inputs.get(n, {}).get("value", "")) for n in names),
            "" if value is None else f"{value:.6g}",
            _duration(trial),
            "best" if trial.name == sweep.best_trial else (trial.error or "").split("\n")[0],
        )
    console.print(table)
    if sweep.best_trial:
        best = sweep.metrics.get(metric)
        shown = f"{metric} = {best:.6g}, " if best is not None else ""
        console.print(
            f"best trial: {sweep.best_trial} ({shown}goal {objective.get('goal')})",
            highlight=False,
        )


def _show_runtime(job: Job) -> None:
    """Where the job's steps ran: compute and environment (grouped), and the interpreter
    that ran them (environments run in it until they are materialised)."""
    units = job.steps or [job]
    groups: dict[tuple[str | None, str | None], list[str]] = {}
    for unit in units:
        groups.setdefault((unit.compute, unit.environment), []).append(unit.step_name or "")
    for (compute, environment), names in groups.items():
        label = f"{', '.join(names)}: " if job.steps else ""
        console.print(
            f"{label}compute {compute or 'local'}, environment {environment or '(none)'}",
            highlight=False,
        )
    for interpreter in sorted({u.interpreter for u in units if u.interpreter}):
        console.print(f"interpreter: {interpreter}", highlight=False)


def _metrics(job: Job) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in sorted(job.metrics.items()))
