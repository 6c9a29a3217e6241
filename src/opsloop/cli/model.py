"""``opsloop model``: register, list, show, download, archive and restore models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from opsloop.cli.archive import IncludeArchived, add_archive_commands, list_columns
from opsloop.cli.common import (
    Description,
    File,
    Name,
    Output,
    Set,
    Tags,
    Version,
    Workspace,
    asset_reference,
    emit,
    make_client,
    parse_tags,
)

model_app = typer.Typer(help="Models: versioned MLflow models with lineage.", no_args_is_help=True)
COLUMNS = ["name", "version", "type", "flavors", "lineage", "created_at"]
# A list is scanned for names and versions; `model show` has the lineage in full.
LIST_COLUMNS = ["name", "version", "type", "flavors", "created_at"]
Reference = Annotated[str, typer.Option("--name", "-n", help="name, name:version or name@latest.")]


@model_app.command("create")
def create(
    workspace: Workspace = None,
    name: Name = None,
    version: Version = None,
    path: Annotated[
        str | None,
        typer.Option(
            "--path", "-p", help="Local folder, URL, or azureml://jobs/<job>/outputs/<output>."
        ),
    ] = None,
    type_: Annotated[
        str | None, typer.Option("--type", "-t", help="mlflow_model (default) or custom_model.")
    ] = None,
    description: Description = None,
    tag: Tags = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
) -> None:
    """Register a model version from a job output or a local folder.

    Example: opsloop model create -w dev -n taxi-model --path azureml://jobs/JOB/outputs/trained_model
    """
    fields: dict[str, Any] = {
        "name": name,
        "version": version,
        "path": path,
        "type": type_,
        "description": description,
        "tags": parse_tags(tag),
    }
    emit(make_client(workspace).models.create(file=file, overrides=set_, **fields), output, COLUMNS)


@model_app.command("list")
def list_(
    workspace: Workspace = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Only versions of this name.")
    ] = None,
    include_archived: IncludeArchived = False,
    output: Output = "table",
) -> None:
    """List models (latest of each) or every version of one.  Example: opsloop model list -w dev"""
    emit(
        make_client(workspace).models.list(name, include_archived=include_archived),
        output,
        list_columns(LIST_COLUMNS, include_archived),
    )


@model_app.command("show")
def show(
    name: Reference, version: Version = None, workspace: Workspace = None, output: Output = "table"
) -> None:
    """Show a model and its lineage.  Example: opsloop model show -w dev -n taxi-fare-model@latest"""
    emit(make_client(workspace).models.get(asset_reference(name, version)), output, COLUMNS)


@model_app.command("download")
def download(
    name: Reference,
    version: Version = None,
    workspace: Workspace = None,
    download_path: Annotated[
        Path, typer.Option("--download-path", "-p", help="Folder to write to.")
    ] = Path("."),
) -> None:
    """Download a model's files.  Example: opsloop model download -w dev -n taxi-fare-model:1 -p ./models"""
    target = make_client(workspace).models.download(asset_reference(name, version), download_path)
    typer.echo(f"Downloaded to {target}")


add_archive_commands(model_app, "model", "models", "taxi-fare-model")
