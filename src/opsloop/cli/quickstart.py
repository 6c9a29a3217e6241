"""``opsloop quickstart``: the whole inner loop on an embedded home, offline, in minutes."""

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
    """Create dev/staging/prod workspaces and a registry, register data, run the classical
    training pipeline, register the model, deploy it to a staging online endpoint and score
    it, then print where to look.

    Example: opsloop quickstart --home ./opsloop-quickstart --reset
    """
    from opsloop.quickstart import run_quickstart

    home = home.resolve()
    if reset and home.exists():
        shutil.rmtree(home)
    result = run_quickstart(home, typer.echo, rows=rows)
    job = result.job
    typer.echo("6/6 Summary")
    typer.echo(
        f"    pipeline {job.name}: {job.status} in {job.duration_seconds or 0:.1f}s; "
        f"quickstart took {result.seconds:.1f}s"
    )
    env = f"OPSLOOP_HOME={home}"
    typer.echo("\nLook further:")
    typer.echo(f"    {env} opsloop job show -w dev -n {job.name}")
    typer.echo(f"    {env} opsloop job logs -w dev -n {job.name}")
    typer.echo(f"    {env} opsloop model show -w dev -n taxi-fare-model@latest -o json")
    typer.echo(f"    {env} opsloop data show -w dev -n taxi-data@latest -o json")
    typer.echo(
        f"    {env} opsloop job create -w dev -f {_pipeline_path()}   # rerun: prep and train are reused"
    )
    if result.endpoint:
        request = _pipeline_path().parents[1] / "deploy" / "online" / "score-request.json"
        typer.echo(
            f"    {env} opsloop online-endpoint invoke -w staging -n {result.endpoint} -r {request}"
        )
        typer.echo(f"    {env} opsloop online-endpoint logs -w staging -n {result.endpoint}")
        typer.echo(
            f"    {env} opsloop online-endpoint serve -w staging -n {result.endpoint} --port 8000"
        )
    if job.status != "Completed" or result.model is None or not result.predictions:
        raise typer.Exit(1)


def _pipeline_path() -> Path:
    from opsloop.quickstart import classical_example_dir

    return classical_example_dir() / "mlops" / "azureml" / "train" / "pipeline.yml"
