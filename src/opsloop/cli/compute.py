"""``opsloop compute``: where a workspace's jobs run."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from opsloop.cli.common import (
    Description,
    DryRun,
    File,
    Name,
    Output,
    Set,
    Tags,
    Workspace,
    Yes,
    dry_run_note,
    echo_warnings,
    emit,
    make_client,
    parse_tags,
)

compute_app = typer.Typer(
    help="Computes: where jobs run. type local runs steps as processes on this host; "
    "serverless (and local) is the default and needs no create.",
    no_args_is_help=True,
)
COLUMNS = ["name", "type", "max_instances", "min_instances", "description", "created_at"]
ComputeName = Annotated[
    str, typer.Option("--name", "-n", help="Compute name (azureml: prefix accepted).")
]


@compute_app.command("create")
def create(
    workspace: Workspace = None,
    name: Name = None,
    type_: Annotated[
        str | None,
        typer.Option("--type", "-t", help="local (amlcompute and computeinstance run as local)."),
    ] = None,
    max_instances: Annotated[
        int | None, typer.Option("--max-instances", help="At most this many steps at once.")
    ] = None,
    description: Description = None,
    tag: Tags = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Create a compute that specs name as compute: cpu-cluster (or azureml:cpu-cluster).

    Example: opsloop compute create -w dev --name cpu-cluster --type local --max-instances 2

    From Azure ML's compute YAML: opsloop compute create -w dev -f cluster.yml (keys with no
    local meaning, such as size, are stored and named in a warning); add --dry-run to
    check it and print what would be created, storing nothing
    """
    fields: dict[str, Any] = {
        "name": name,
        "type": type_,
        "max_instances": max_instances,
        "description": description,
        "tags": parse_tags(tag),
    }
    computes = make_client(workspace).computes
    compute = computes.create(file=file, overrides=set_, dry_run=dry_run, **fields)
    echo_warnings(compute.warnings)
    emit(compute, output, COLUMNS)
    dry_run_note(dry_run, "compute", compute)


@compute_app.command("list")
def list_(workspace: Workspace = None, output: Output = "table") -> None:
    """List computes (the default local compute, serverless, is not listed).

    Example: opsloop compute list -w dev
    """
    emit(make_client(workspace).computes.list(), output, COLUMNS)


@compute_app.command("show")
def show(name: ComputeName, workspace: Workspace = None, output: Output = "table") -> None:
    """Show a compute.  Example: opsloop compute show -w dev -n cpu-cluster"""
    emit(make_client(workspace).computes.get(name), output, [*COLUMNS, "properties"])


@compute_app.command("delete")
def delete(
    name: ComputeName,
    workspace: Workspace = None,
    yes: Yes = False,
) -> None:
    """Delete a compute; jobs already submitted keep it.  Example: opsloop compute delete -w dev -n cpu-cluster -y"""
    if not yes:
        typer.confirm(f"Delete compute {name!r}?", abort=True)
    make_client(workspace).computes.delete(name)
    typer.echo(f"Deleted compute {name}")
