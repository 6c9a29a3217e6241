"""``opsloop labeling``: labeling tasks that label actions opened; export as data."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli.common import Output, Workspace, emit, make_client

labeling_app = typer.Typer(
    help="Labeling tasks opened by label actions: list, show, export as a data asset.",
    no_args_is_help=True,
)
COLUMNS = ["name", "workspace", "items", "created_at", "updated_at"]
TaskName = Annotated[str, typer.Argument(help="Labeling task name.", show_default=False)]


@labeling_app.command("list")
def list_(workspace: Workspace = None, output: Output = "table") -> None:
    """List a workspace's labeling tasks.  Example: opsloop labeling list -w dev"""
    emit(make_client(workspace).labeling.list(), output, COLUMNS)


@labeling_app.command("show")
def show(name: TaskName, workspace: Workspace = None, output: Output = "table") -> None:
    """Show a task with its first items.  Example: opsloop labeling show drifted-rows -w dev"""
    emit(make_client(workspace).labeling.get(name), output, [*COLUMNS, "sample"])


@labeling_app.command("export")
def export(
    name: TaskName,
    to_data: Annotated[str, typer.Option("--to-data", help="Data asset to register the items as.")],
    format_: Annotated[
        str, typer.Option("--format", help="jsonl (one object a line) or csv.")
    ] = "jsonl",
    workspace: Workspace = None,
    output: Output = "table",
) -> None:
    """Register the task's items as a new version of a uri_file data asset.

    Example: opsloop labeling export drifted-rows --to-data to-label --format csv -w dev
    """
    made = make_client(workspace).labeling.export(name, to_data=to_data, format=format_)
    emit(made, output, ["name", "version", "type", "path"])
