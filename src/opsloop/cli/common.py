"""Options and helpers shared by every noun; commands stay thin over ``opsloop.Client``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from pydantic import BaseModel

    from opsloop.client import Client

console = Console()
err_console = Console(stderr=True)

Workspace = Annotated[
    str | None,
    typer.Option("--workspace", "-w", envvar="OPSLOOP_WORKSPACE", help="Workspace name."),
]
Output = Annotated[str, typer.Option("--output", "-o", help="Output format: table or json.")]
File = Annotated[
    Path | None, typer.Option("--file", "-f", help="YAML spec file.", exists=False, dir_okay=False)
]
Set = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a spec value: key.path=value (repeatable)."),
]
Name = Annotated[str | None, typer.Option("--name", "-n", help="Name.")]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Check the spec against the workspace and print what would be created; "
        "write nothing (local files are hashed, not uploaded).",
    ),
]


def dry_run_note(dry_run: bool, kind: str = "", made: Any = None) -> None:
    """After a ``--dry-run``: say what would have been created (the ``kind`` of ``made``, the
    answer) and that nothing was; on stderr, so ``-o json`` stays parseable."""
    if not dry_run:
        return
    what = "the spec is valid"
    if kind and made is not None:
        name = getattr(made, "name", "")
        if getattr(made, "endpoint_name", None):  # a deployment: endpoint/deployment
            name = f"{made.endpoint_name}/{name}"
        version = getattr(made, "version", None)
        what = f"would create {kind} {name}:{version}" if version else f"would create {kind} {name}"
        workspace = getattr(made, "workspace", None)
        if workspace:
            what += f" in workspace {workspace}"
    typer.echo(f"Dry run: {what}; nothing was created or changed.", err=True)


Version = Annotated[str | None, typer.Option("--version", "-v", help="Version (default: next).")]
Description = Annotated[str | None, typer.Option("--description", "-d", help="Description.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
Tags = Annotated[list[str] | None, typer.Option("--tag", help="Tag key=value (repeatable).")]


def echo_warnings(warnings: list[Any]) -> None:
    """The keys a server accepted and does not use, one line each, on stderr (so -o json
    stays parseable)."""
    for warning in warnings:
        typer.secho(f"Warning: {warning}", fg=typer.colors.YELLOW, err=True)


# The home whose local server this call should start as it ends (see ``main``).
local_server_wanted: Path | None = None


def make_client(workspace: str | None = None) -> Client:
    """The SDK's client for this call: embedded calls go to the home's local server when one
    runs (opsloop.app.local_server); a call that runs in process starts one for the next."""
    global local_server_wanted
    # Imported here, not at the top: `--help`, a typo and a usage error answer without the
    # SDK's imports (and the embedded platform's behind them).
    from opsloop.client import Client

    client = Client(workspace=workspace, local_server=True)
    if not client.is_remote and not client.via_local_server and client.settings.local_server:
        local_server_wanted = client.settings.resolved_home()
    return client


def asset_reference(name: str, version: str | None) -> str:
    """``--name`` plus ``--version`` as a reference; a bare name means its latest version."""
    if version:
        return f"{name}:{version}"
    return name if (":" in name or "@" in name) else f"{name}@latest"


def parse_tags(tags: list[str] | None) -> dict[str, str] | None:
    if not tags:
        return None
    parsed: dict[str, str] = {}
    for tag in tags:
        key, sep, value = tag.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected key=value, got {tag!r}", param_hint="--tag")
        parsed[key] = value
    return parsed


def check_output(output: str) -> str:
    if output not in ("table", "json"):
        raise typer.BadParameter("must be table or json", param_hint="--output")
    return output


def emit(value: BaseModel | list[Any], output: str, columns: list[str]) -> None:
    """Print an entity (one field per line) or a list of them (a table), or stable JSON.

    Tables fold long values onto more lines instead of cutting them: a user came for the
    identifiers, and half of one cannot be pasted into the next command."""
    check_output(output)
    if output == "json":
        if isinstance(value, list):
            data: Any = [v.model_dump(mode="json") for v in value]
        else:
            data = value.model_dump(mode="json")
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    if not isinstance(value, list):
        _emit_record(value, columns)
        return
    table = Table(show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in value:
        dumped = row.model_dump(mode="json")
        table.add_row(*[_moment(getattr(row, c, None)) or _cell(dumped.get(c)) for c in columns])
    console.print(table)


def _emit_record(record: BaseModel, fields: list[str]) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    dumped = record.model_dump(mode="json")
    for name in fields:
        table.add_row(name, _moment(getattr(record, name, None)) or _cell(dumped.get(name), "\n"))
    console.print(table)


def _moment(value: Any) -> str | None:
    """A time to the second, in UTC: the JSON's microseconds made the column too wide to
    read and rich cut it short."""
    if not isinstance(value, datetime):
        return None
    in_utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return in_utc.strftime("%Y-%m-%d %H:%M:%SZ")


def _cell(value: Any, separator: str = ", ") -> str:
    if value is None:
        return ""
    if isinstance(value, float):  # a table is read, not parsed: -o json keeps every digit
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return separator.join(f"{k}={_cell(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return str(value)
