"""``opsloop audit``: the append-only, hash-chained record of every change and denial."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from opsloop.cli.common import Output, emit, make_client

audit_app = typer.Typer(
    help="The audit log: every mutating call and every denied call.", no_args_is_help=True
)
COLUMNS = ["id", "at", "actor", "action", "resource", "outcome", "reason", "source"]


@audit_app.command("list")
def audit_list(
    actor: Annotated[
        str | None, typer.Option(help="Who acted (alice, service_principal:ci).")
    ] = None,
    action: Annotated[str | None, typer.Option(help="An action or its prefix (jobs/).")] = None,
    resource: Annotated[
        str | None, typer.Option(help="A resource or its prefix (online-endpoint:ep).")
    ] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Only this workspace.")
    ] = None,
    outcome: Annotated[str | None, typer.Option(help="succeeded, failed or denied.")] = None,
    since: Annotated[datetime | None, typer.Option(help="From this moment (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Before this moment (UTC).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    output: Output = "table",
) -> None:
    """List audit records, newest first.

    Example: opsloop audit list --actor alice --action jobs/ --since 2026-12-01
    """
    filters = {k: v for k, v in locals().items() if k != "output" and v is not None}
    emit(make_client().audit.list(**filters), output, COLUMNS)


@audit_app.command("verify")
def audit_verify(output: Output = "table") -> None:
    """Check the hash chain from the first record: a removed, altered or reordered record
    is named, and the command exits 1. Prints the head hash: keep it elsewhere to anchor
    the chain.

    Example: opsloop audit verify
    """
    result = make_client().audit.verify()
    emit(result, output, ["ok", "records", "head", "broken_at", "problem"])
    if not result.ok:
        raise typer.Exit(1)
