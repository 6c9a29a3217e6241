"""``opsloop datastore|data|environment|component``: versioned assets."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from opsloop.cli.archive import IncludeArchived, add_archive_commands, list_columns
from opsloop.cli.common import (
    Description,
    DryRun,
    File,
    Name,
    Output,
    Set,
    Tags,
    Version,
    Workspace,
    asset_reference,
    dry_run_note,
    emit,
    make_client,
    parse_tags,
)
from opsloop.cli.sharing import SHARED_COLUMNS, Registry, add_share_command

datastore_app = typer.Typer(
    help="Datastores: named fsspec URLs (file://, s3://, abfs://, gs://).", no_args_is_help=True
)
data_app = typer.Typer(
    help="Data assets: versioned uri_file, uri_folder and mltable.", no_args_is_help=True
)
environment_app = typer.Typer(
    help="Environments: Python dependencies plus an optional image.", no_args_is_help=True
)
component_app = typer.Typer(
    help="Components: commands with typed inputs and outputs.", no_args_is_help=True
)

Reference = Annotated[str, typer.Option("--name", "-n", help="name, name:version or name@latest.")]
FilterName = Annotated[str | None, typer.Option("--name", "-n", help="Only versions of this name.")]


@datastore_app.command("create")
def create_datastore(
    workspace: Workspace = None,
    name: Name = None,
    url: Annotated[str | None, typer.Option("--url", help="fsspec URL.")] = None,
    description: Description = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Register a datastore.  Example: opsloop datastore create -w dev -n lake --url file:///data/lake

    Check only: opsloop datastore create -w dev -f store.yml --dry-run"""
    fields: dict[str, Any] = {"name": name, "url": url, "description": description}
    made = make_client(workspace).datastores.create(
        file=file, overrides=set_, dry_run=dry_run, **fields
    )
    emit(made, output, ["name", "url", "is_default", "description"])
    dry_run_note(dry_run, "datastore", made)


@datastore_app.command("list")
def list_datastores(workspace: Workspace = None, output: Output = "table") -> None:
    """List datastores.  Example: opsloop datastore list -w dev"""
    emit(
        make_client(workspace).datastores.list(),
        output,
        ["name", "url", "is_default", "description"],
    )


@datastore_app.command("show")
def show_datastore(
    name: Annotated[str, typer.Option("--name", "-n", help="Datastore name.")],
    workspace: Workspace = None,
    output: Output = "table",
) -> None:
    """Show a datastore.  Example: opsloop datastore show -w dev -n workspaceblobstore"""
    emit(
        make_client(workspace).datastores.get(name),
        output,
        ["name", "url", "is_default", "description"],
    )


DATA_COLUMNS = ["name", "version", "type", "path", "content_hash", "created_at"]


@data_app.command("create")
def create_data(
    workspace: Workspace = None,
    name: Name = None,
    version: Version = None,
    type_: Annotated[
        str | None, typer.Option("--type", "-t", help="uri_file, uri_folder or mltable.")
    ] = None,
    path: Annotated[
        str | None,
        typer.Option(
            "--path", "-p", help="Local path, fsspec URL or azureml://datastores/... path."
        ),
    ] = None,
    description: Description = None,
    tag: Tags = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Register a data asset version (local files are uploaded).

    Example: opsloop data create -w dev -n taxi-data --type uri_file --path ./data/taxi.csv

    Check only (local files are checked and hashed, not uploaded; no profile is computed):
    opsloop data create -w dev -f data.yml --dry-run

    From a spec: opsloop data create -w dev -f data.yml --set path=./taxi.csv (a --set path
    is relative to the current folder; a path in the file to the file's folder)
    """
    fields: dict[str, Any] = {
        "name": name,
        "version": version,
        "type": type_,
        "path": path,
        "description": description,
        "tags": parse_tags(tag),
    }
    made = make_client(workspace).data.create(file=file, overrides=set_, dry_run=dry_run, **fields)
    emit(made, output, DATA_COLUMNS)
    dry_run_note(dry_run, "data", made)


@data_app.command("list")
def list_data(
    workspace: Workspace = None,
    name: FilterName = None,
    include_archived: IncludeArchived = False,
    output: Output = "table",
) -> None:
    """List data assets (latest of each), or every version of one name.  Example: opsloop data list -w dev"""
    emit(
        make_client(workspace).data.list(name, include_archived=include_archived),
        output,
        list_columns(DATA_COLUMNS, include_archived),
    )


@data_app.command("show")
def show_data(
    name: Reference, version: Version = None, workspace: Workspace = None, output: Output = "table"
) -> None:
    """Show a data asset with its profile (-o json).  Example: opsloop data show -w dev -n taxi-data -v 1"""
    asset = make_client(workspace).data.get(asset_reference(name, version))
    emit(asset, output, DATA_COLUMNS)
    if output == "table" and asset.profile:
        typer.echo(
            f"rows: {asset.profile.get('row_count')}, columns: {asset.profile.get('column_count')}"
            " (full profile: -o json)"
        )


ENV_COLUMNS = ["name", "version", "image", "content_hash", "created_at"]


@environment_app.command("create")
def create_environment(
    workspace: Workspace = None,
    name: Name = None,
    version: Version = None,
    conda_file: Annotated[str | None, typer.Option("--conda-file", help="Conda YAML file.")] = None,
    image: Annotated[str | None, typer.Option("--image", help="Base image.")] = None,
    description: Description = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Register an environment version.  Example: opsloop environment create -w dev -f env.yml

    Check only: opsloop environment create -w dev -f env.yml --dry-run"""
    fields: dict[str, Any] = {
        "name": name,
        "version": version,
        "conda_file": conda_file,
        "image": image,
        "description": description,
    }
    environments = make_client(workspace).environments
    made = environments.create(file=file, overrides=set_, dry_run=dry_run, **fields)
    emit(made, output, ENV_COLUMNS)
    dry_run_note(dry_run, "environment", made)


@environment_app.command("list")
def list_environments(
    workspace: Workspace = None,
    name: FilterName = None,
    include_archived: IncludeArchived = False,
    registry: Registry = None,
    output: Output = "table",
) -> None:
    """List environments.  Examples: opsloop environment list -w dev;  ... --registry shared"""
    found = make_client(workspace).environments.list(
        name, include_archived=include_archived, registry=registry
    )
    columns = SHARED_COLUMNS if registry else list_columns(ENV_COLUMNS, include_archived)
    emit(found, output, columns)


@environment_app.command("show")
def show_environment(
    name: Reference,
    version: Version = None,
    workspace: Workspace = None,
    registry: Registry = None,
    output: Output = "table",
) -> None:
    """Show an environment.  Example: opsloop environment show -w dev -n taxi-train-env@latest"""
    found = make_client(workspace).environments.get(
        asset_reference(name, version), registry=registry
    )
    emit(found, output, [*SHARED_COLUMNS, "image"] if registry else ENV_COLUMNS)


COMPONENT_COLUMNS = ["name", "version", "display_name", "content_hash", "created_at"]


@component_app.command("create")
def create_component(
    workspace: Workspace = None,
    file: File = None,
    set_: Set = None,
    version: Version = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Register a component from its YAML (its code folder is uploaded).

    Example: opsloop component create -w dev -f components/train.yml

    Check only (the code is hashed, not uploaded): opsloop component create -w dev -f
    components/train.yml --dry-run
    """
    made = make_client(workspace).components.create(
        file=file, overrides=set_, version=version, dry_run=dry_run
    )
    emit(made, output, COMPONENT_COLUMNS)
    dry_run_note(dry_run, "component", made)


@component_app.command("list")
def list_components(
    workspace: Workspace = None,
    name: FilterName = None,
    include_archived: IncludeArchived = False,
    registry: Registry = None,
    output: Output = "table",
) -> None:
    """List components.  Examples: opsloop component list -w dev;  ... --registry shared"""
    found = make_client(workspace).components.list(
        name, include_archived=include_archived, registry=registry
    )
    columns = SHARED_COLUMNS if registry else list_columns(COMPONENT_COLUMNS, include_archived)
    emit(found, output, columns)


@component_app.command("show")
def show_component(
    name: Reference,
    version: Version = None,
    workspace: Workspace = None,
    registry: Registry = None,
    output: Output = "table",
) -> None:
    """Show a component.  Example: opsloop component show -w dev -n taxi_train:1"""
    found = make_client(workspace).components.get(asset_reference(name, version), registry=registry)
    emit(found, output, SHARED_COLUMNS if registry else COMPONENT_COLUMNS)


add_archive_commands(data_app, "data", "data", "taxi-data")
add_archive_commands(environment_app, "environment", "environments", "taxi-train-env")
add_archive_commands(component_app, "component", "components", "taxi_train")
add_share_command(
    environment_app, "environment", "environments", "taxi-train-env",
    "Its image, conda file or build context is kept as it is.",
)  # fmt: skip
add_share_command(
    component_app, "component", "components", "taxi_train",
    "Its environment goes with it (shared under its own name and version when the registry "
    "lacks it).",
)  # fmt: skip
