"""``opsloop quickstart``: the whole loop on an embedded home, offline, in minutes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer


def quickstart(
    home: Annotated[Path, typer.Option(help="Home folder to create (embedded store).")] = Path(
        "opsloop-quickstart"
    ),
    reset: Annotated[bool, typer.Option(help="Delete the home folder first.")] = False,
    rows: Annotated[int, typer.Option(help="Rows of synthetic taxi data.")] = 5000,
) -> None:
    """Create dev/staging/prod workspaces, a registry, a CI/CD service principal and a
    project lead; register data; run the classical training pipeline; share the model into
    the registry; promote it through the gates to staging, then, approved by the project
    lead, to prod as a canary under live traffic; monitor it: drifted trips alert the
    monitor, and `opsloop worker` delivers the alert, which retrains in dev; then print
    where to look.

    Example: opsloop quickstart --home ./opsloop-quickstart --reset
    """
    from opsloop.quickstart import run_quickstart
    from opsloop.quickstart.inner import opsloop_command
    from opsloop.quickstart.run import STEPS

    home = home.resolve()
    if reset and home.exists():
        from opsloop.app.local_server import stop_local_server

        stop_local_server(home)  # it would serve the home being removed until idle
        shutil.rmtree(home)
    result = run_quickstart(home, typer.echo, rows=rows)
    job = result.job
    typer.echo(f"{STEPS}/{STEPS} Summary")
    typer.echo(
        f"    pipeline {job.name}: {job.status} in {job.duration_seconds or 0:.1f}s; "
        f"quickstart took {result.seconds:.1f}s"
        + (f" (monitoring {result.timings['monitoring']:.1f}s)" if result.loop else "")
    )
    run = f"OPSLOOP_HOME={home} {opsloop_command()}"
    typer.echo("\nLook further:")
    typer.echo(f"    {run} job show -w dev -n {job.name}")
    typer.echo(f"    {run} job logs -w dev -n {job.name}")
    typer.echo(f"    {run} model show -w dev -n taxi-fare-model@latest -o json")
    typer.echo(f"    {run} data show -w dev -n taxi-data@latest -o json")
    typer.echo(
        f"    {run} job create -w dev -f {_pipeline_path()}   # rerun: prep and train are reused"
    )
    request = _pipeline_path().parents[1] / "deploy" / "online" / "score-request.json"
    for promotion in result.promotions:
        typer.echo(f"    {run} promotion show -w {promotion.workspace} -n {promotion.name}")
    if result.prod_endpoint:
        typer.echo(f"    {run} approval list -w prod")
        typer.echo(f"    {run} online-endpoint show -w prod -n {result.prod_endpoint}")
        typer.echo(
            f"    {run} online-endpoint invoke -w prod -n {result.prod_endpoint} -r {request}"
        )
        typer.echo(f"    {run} online-endpoint history -w prod -n {result.prod_endpoint}")
        typer.echo(f"    {run} online-endpoint serve -w prod -n {result.prod_endpoint} --port 8000")
    if result.loop:
        typer.echo(f"    {run} monitor show taxi-fare-monitor -w prod --run latest")
        typer.echo(f"    {run} subscription deliveries retrain-on-drift")
    typer.echo(f"    {run} audit list --limit 20   # who did what: you, cicd, lead")
    if not result.prod_endpoint or result.loop is None:
        raise typer.Exit(1)
    if job.status != "Completed" or result.model is None or not result.predictions:
        raise typer.Exit(1)


def _pipeline_path() -> Path:
    from opsloop.quickstart import classical_example_dir

    return classical_example_dir() / "mlops" / "azureml" / "train" / "pipeline.yml"
