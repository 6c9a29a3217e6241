"""``opsloop data|environment|component|model archive|restore``: one pair of commands per
versioned asset noun, made here once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from opsloop.cli.common import Output, Workspace, check_output, emit, make_client

AssetName = Annotated[str, typer.Option("--name", "-n", help="Asset name.")]
AssetVersion = Annotated[
    str | None, typer.Option("--version", "-v", help="Only this version (default: every version).")
]
IncludeArchived = Annotated[
    bool, typer.Option("--include-archived", help="List archived versions too.")
]


def list_columns(columns: list[str], include_archived: bool) -> list[str]:
    """A list's columns, with whether each version is archived when archived ones show."""
    return [*columns, "archived"] if include_archived else columns


def add_archive_commands(app: typer.Typer, noun: str, operations: str, example: str) -> None:
    """Add ``archive`` and ``restore`` to ``app``: ``operations`` names the client's
    attribute for the noun (``data``, ``models``), ``example`` a name for the help text."""
    label = "data asset" if noun == "data" else noun
    app.command(
        "archive",
        help=f"Archive a {label} version, or every version of a name: hidden from `list` and "
        f"from name@latest, still found by name:version (so jobs and deployments that use it "
        f"go on working).\n\nExample: opsloop {noun} archive -w dev -n {example} -v 1",
    )(_command(noun, operations, "archive", "archived"))
    app.command(
        "restore",
        help=f"Restore an archived {label} version, or every version of a name.\n\n"
        f"Example: opsloop {noun} restore -w dev -n {example} -v 1",
    )(_command(noun, operations, "restore", "restored"))


def _command(noun: str, operations: str, verb: str, done: str) -> Callable[..., None]:
    def command(
        name: AssetName,
        version: AssetVersion = None,
        workspace: Workspace = None,
        output: Output = "table",
    ) -> None:
        versions = getattr(getattr(make_client(workspace), operations), verb)(name, version)
        _report(done, noun, versions, output)

    return command


def _report(done: str, noun: str, versions: list[Any], output: str) -> None:
    if check_output(output) == "json":
        emit(versions, output, [])
        return
    typer.echo(f"{done} {noun} {', '.join(v.reference for v in versions)}")
