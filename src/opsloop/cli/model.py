"""``opsloop model``: register, list, show, download, archive and restore models; share
them into registries; set aliases (``name@champion``)."""

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
from opsloop.cli.promotion import promote
from opsloop.cli.sharing import SHARED_COLUMNS, Registry, add_share_command

model_app = typer.Typer(help="Models: versioned MLflow models with lineage.", no_args_is_help=True)
COLUMNS = ["name", "version", "type", "flavors", "aliases", "lineage", "created_at"]
# A list is scanned for names and versions; `model show` has the lineage in full.
LIST_COLUMNS = ["name", "version", "type", "flavors", "aliases", "created_at"]
ALIAS_COLUMNS = ["name", "alias", "version", "updated_at", "updated_by"]
Reference = Annotated[
    str,
    typer.Option("--name", "-n", help="name, name:version, name@latest or name@<alias>."),
]

alias_app = typer.Typer(
    help="Aliases: named pointers to a model version (champion, challenger, ...).",
    no_args_is_help=True,
)
model_app.add_typer(alias_app, name="alias")


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
    registry: Registry = None,
    output: Output = "table",
) -> None:
    """List models (latest of each) or every version of one.

    Examples: opsloop model list -w dev;  opsloop model list --registry shared
    """
    models = make_client(workspace).models
    if registry is not None:
        emit(models.list(name, registry=registry), output, SHARED_COLUMNS)
        return
    emit(
        models.list(name, include_archived=include_archived),
        output,
        list_columns(LIST_COLUMNS, include_archived),
    )


@model_app.command("show")
def show(
    name: Reference,
    version: Version = None,
    workspace: Workspace = None,
    registry: Registry = None,
    output: Output = "table",
) -> None:
    """Show a model and its lineage.  Example: opsloop model show -w dev -n taxi-fare-model@latest"""
    model = make_client(workspace).models.get(asset_reference(name, version), registry=registry)
    emit(model, output, [*SHARED_COLUMNS, "lineage"] if registry else COLUMNS)


@model_app.command("download")
def download(
    name: Reference,
    version: Version = None,
    workspace: Workspace = None,
    registry: Registry = None,
    download_path: Annotated[
        Path, typer.Option("--download-path", "-p", help="Folder to write to.")
    ] = Path("."),
) -> None:
    """Download a model's files.  Example: opsloop model download -w dev -n taxi-fare-model:1 -p ./models"""
    target = make_client(workspace).models.download(
        asset_reference(name, version), download_path, registry=registry
    )
    typer.echo(f"Downloaded to {target}")


@alias_app.command("set")
def set_alias(
    name: Reference,
    alias: Annotated[str, typer.Option("--alias", "-a", help="champion, challenger, ...")],
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            "-v",
            help="The version (or @latest, @<alias>): required unless --name says name:version.",
        ),
    ] = None,
    workspace: Workspace = None,
    output: Output = "table",
) -> None:
    """Point NAME@ALIAS at a version (moving it from the version it pointed at).

    Example: opsloop model alias set -w prod -n taxi-fare-model --alias champion --version 3
    """
    model, _, pinned = name.partition(":")
    chosen = version or pinned
    if not chosen:
        raise typer.BadParameter(
            "give --version, or --name as name:version", param_hint="--version"
        )
    emit(make_client(workspace).models.set_alias(model, alias, chosen), output, ALIAS_COLUMNS)


@alias_app.command("delete")
def delete_alias(
    name: Reference,
    alias: Annotated[str, typer.Option("--alias", "-a", help="The alias to remove.")],
    workspace: Workspace = None,
) -> None:
    """Remove an alias.  Example: opsloop model alias delete -w prod -n taxi-fare-model --alias challenger"""
    make_client(workspace).models.delete_alias(name, alias)
    typer.echo(f"Deleted alias {name}@{alias}")


@alias_app.command("list")
def list_aliases(name: Reference, workspace: Workspace = None, output: Output = "table") -> None:
    """List a model's aliases.  Example: opsloop model alias list -w prod -n taxi-fare-model"""
    emit(make_client(workspace).models.aliases(name), output, ALIAS_COLUMNS)


add_archive_commands(model_app, "model", "models", "taxi-fare-model")
add_share_command(
    model_app,
    "model",
    "models",
    "taxi-fare-model",
    "The files are copied and checked against the version's content hash; its lineage and "
    "where it came from are kept.",
)
model_app.command("promote")(promote)
