"""``opsloop workspace`` and ``opsloop registry``."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli import workspace_budget
from opsloop.cli.common import (
    Description,
    File,
    Name,
    Output,
    Set,
    Tags,
    Yes,
    emit,
    make_client,
    parse_tags,
)
from opsloop.cli.workspace_budget import budget_app

workspace_app = typer.Typer(
    help="Workspaces: isolated environments (dev, test, staging, prod).", no_args_is_help=True
)
registry_app = typer.Typer(
    help="Registries: stores shared across workspaces.", no_args_is_help=True
)
COLUMNS = ["name", "kind", "description", "created_by", "created_at"]
Kind = Annotated[str | None, typer.Option("--kind", help="preproduction (default) or production.")]


@workspace_app.command("create")
def create(
    name: Name = None,
    kind: Kind = None,
    description: Description = None,
    file: File = None,
    set_: Set = None,
    tag: Tags = None,
    output: Output = "table",
) -> None:
    """Create a workspace.

    Example: opsloop workspace create --name prod --kind production

    From a spec: opsloop workspace create -f workspace.yml --set name=prod
    """
    fields = {"name": name, "kind": kind, "description": description, "tags": parse_tags(tag)}
    emit(make_client().workspaces.create(file=file, overrides=set_, **fields), output, COLUMNS)


@workspace_app.command("list")
def list_(output: Output = "table") -> None:
    """List workspaces.  Example: opsloop workspace list -o json"""
    emit(make_client().workspaces.list(), output, COLUMNS)


@workspace_app.command("show")
def show(
    name: Annotated[str, typer.Option("--name", "-n", help="Workspace name.")],
    output: Output = "table",
) -> None:
    """Show one workspace.  Example: opsloop workspace show -n dev"""
    emit(make_client().workspaces.get(name), output, COLUMNS)


@workspace_app.command("delete")
def delete(
    name: Annotated[str, typer.Option("--name", "-n", help="Workspace name.")],
    yes: Yes = False,
) -> None:
    """Delete a workspace and everything in it.  Example: opsloop workspace delete -n scratch -y"""
    if not yes:
        typer.confirm(f"Delete workspace {name!r} and all its assets and jobs?", abort=True)
    make_client().workspaces.delete(name)
    typer.echo(f"Deleted workspace {name}")


workspace_app.add_typer(budget_app, name="budget")
workspace_app.command("cost")(workspace_budget.cost)
workspace_app.command("activity")(workspace_budget.activity)
workspace_app.command("stale-after")(workspace_budget.stale_after)
workspace_app.command("check")(workspace_budget.check)

REGISTRY_COLUMNS = ["name", "description", "location", "created_by", "created_at"]


@registry_app.command("create")
def create_registry(
    name: Name = None,
    description: Description = None,
    file: File = None,
    set_: Set = None,
    tag: Tags = None,
    output: Output = "table",
) -> None:
    """Create a registry.  Example: opsloop registry create --name shared"""
    fields = {"name": name, "description": description, "tags": parse_tags(tag)}
    emit(
        make_client().registries.create(file=file, overrides=set_, **fields),
        output,
        REGISTRY_COLUMNS,
    )


@registry_app.command("list")
def list_registries(output: Output = "table") -> None:
    """List registries.  Example: opsloop registry list"""
    emit(make_client().registries.list(), output, REGISTRY_COLUMNS)


@registry_app.command("show")
def show_registry(
    name: Annotated[str, typer.Option("--name", "-n", help="Registry name.")],
    output: Output = "table",
) -> None:
    """Show one registry.  Example: opsloop registry show -n shared"""
    emit(make_client().registries.get(name), output, REGISTRY_COLUMNS)
