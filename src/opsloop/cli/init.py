"""``opsloop init``: scaffold a new project (data, data-science, mlops specs, project.yaml and
CI/CD pipelines) in the layout of the MLOps v2 project template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def init(
    directory: Annotated[
        Path, typer.Argument(help="The new project's folder (created; must be empty).")
    ],
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="classical, cv or nlp.")
    ] = "classical",
    ci: Annotated[str, typer.Option("--ci", help="github or azure-devops.")] = "github",
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="The project's name (default: the folder's)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write into a non-empty folder, overwriting same-named files."
        ),
    ] = False,
) -> None:
    """Write a new project: data generator and checks, step scripts with unit tests, the
    training pipeline, deployments, promotion policies, a monitor, a retraining schedule and
    subscription, project.yaml, and CI/CD pipelines (pull request, train and deploy with a
    gated production stage, scheduled retraining) that drive opsloop at OPSLOOP_URI with the
    OPSLOOP_TOKEN secret.

    Example: opsloop init taxi-fares --scenario classical --ci github
    """
    from opsloop.scaffold import next_commands, scaffold

    result = scaffold(directory, scenario, ci, name=name, force=force)
    typer.echo(
        f"Wrote the {scenario} project {result.name!r} with {ci} pipelines into "
        f"{directory} ({len(result.files)} files):"
    )
    for relative in result.files:
        typer.echo(f"  {relative}")
    typer.echo("\nNext, train it locally (embedded, in ./.opsloop):")
    for command in next_commands(result):
        typer.echo(f"  {command}")
    typer.echo(
        "\nFor CI/CD: declare the platform with project.yaml, set OPSLOOP_URI and the "
        "service principal's OPSLOOP_TOKEN in the CI system (see README.md)."
    )
