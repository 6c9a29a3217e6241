"""``opsloop model|environment|component share``: copy a version into a registry; made here
once for the three nouns, as ``archive`` is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from opsloop.cli.common import Output, Version, Workspace, asset_reference, emit, make_client

SHARED_COLUMNS = ["registry", "name", "version", "shared_from", "created_at"]
Registry = Annotated[
    str | None,
    typer.Option("--registry", "-r", help="A registry's versions instead of a workspace's."),
]
ShareName = Annotated[
    str, typer.Option("--name", "-n", help="name, name:version, name@latest (or @<alias>).")
]
TargetRegistry = Annotated[
    str, typer.Option("--registry", "-r", help="The registry to copy the version into.")
]
ShareWithName = Annotated[
    str | None, typer.Option("--share-with-name", help="Its name in the registry.")
]
ShareWithVersion = Annotated[
    str | None, typer.Option("--share-with-version", help="Its version in the registry.")
]


def add_share_command(
    app: typer.Typer, noun: str, operations: str, example: str, what_it_keeps: str
) -> None:
    """Add ``share`` to ``app``; ``operations`` names the client's attribute for the noun."""
    app.command(
        "share",
        help=f"Copy a {noun} version into a registry, from where any workspace can use it. "
        f"{what_it_keeps} A registry's versions are immutable.\n\n"
        f"Example: opsloop {noun} share -w dev -n {example}:1 --registry shared",
    )(_command(operations))


def _command(operations: str) -> Callable[..., None]:
    def command(
        name: ShareName,
        registry: TargetRegistry,
        version: Version = None,
        share_with_name: ShareWithName = None,
        share_with_version: ShareWithVersion = None,
        workspace: Workspace = None,
        output: Output = "table",
    ) -> None:
        shared = getattr(make_client(workspace), operations).share(
            asset_reference(name, version),
            registry,
            share_with_name=share_with_name,
            share_with_version=share_with_version,
        )
        emit(shared, output, SHARED_COLUMNS)
        if output == "table":
            typer.echo(f"Use it from any workspace as {shared.reference}")

    return command
