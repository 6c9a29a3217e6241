"""``opsloop event``: what happened (the outbox as CloudEvents), and subscriptions to it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from opsloop.cli.common import Output, emit, make_client
from opsloop.cli.subscription import subscription_app

event_app = typer.Typer(
    help="Events: everything that happens, as CloudEvents; subscriptions.",
    no_args_is_help=True,
)
# The same commands as `opsloop subscription`.
event_app.add_typer(subscription_app, name="subscription")

# The table keeps what tells events apart; -o json has the whole envelope (data, actor).
EVENT_COLUMNS = ["sequence", "time", "type", "subject", "workspace"]
TYPE_COLUMNS = ["type", "resource_type", "description"]


@event_app.command("list")
def list_(
    type_: Annotated[
        str | None, typer.Option("--type", "-t", help="Event type, or a prefix ending in *.")
    ] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Only this workspace's events.")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option("--since", help="From this time (ISO 8601, UTC if naive).")
    ] = None,
    until: Annotated[datetime | None, typer.Option("--until", help="Before this time.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (newest).")] = 100,
    output: Output = "table",
) -> None:
    """List events, oldest first.

    Example: opsloop event list --type 'job.*' -w dev --since 2026-12-04T00:00:00 --limit 20
    """
    found = make_client().events.list(
        type=type_, workspace=workspace, since=since, until=until, limit=limit
    )
    emit(found, output, EVENT_COLUMNS)


@event_app.command("types")
def types(output: Output = "table") -> None:
    """List the declared event types (-o json adds each one's data schema).

    Example: opsloop event types -o json
    """
    emit(make_client().events.types(), output, TYPE_COLUMNS)
