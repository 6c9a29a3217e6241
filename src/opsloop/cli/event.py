"""``opsloop event``: what happened (the outbox as CloudEvents), and webhooks that hear it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from opsloop.cli.common import File, Name, Output, Set, Yes, emit, make_client

event_app = typer.Typer(
    help="Events: everything that happens, as CloudEvents; webhook subscriptions.",
    no_args_is_help=True,
)
subscription_app = typer.Typer(
    help="Webhooks that receive matching events, at least once and in order.",
    no_args_is_help=True,
)
event_app.add_typer(subscription_app, name="subscription")

# The table keeps what tells events apart; -o json has the whole envelope (data, actor).
EVENT_COLUMNS = ["sequence", "time", "type", "subject", "workspace"]
TYPE_COLUMNS = ["type", "resource_type", "description"]
SUBSCRIPTION_COLUMNS = [
    "name", "event_types", "webhook_url", "workspace", "position", "pending", "failed",
]  # fmt: skip


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


@subscription_app.command("create")
def create_subscription(
    name: Name = None,
    event_type: Annotated[
        list[str] | None,
        typer.Option("--event-type", "-t", help="Event type or pattern (job.*), repeatable."),
    ] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="URL to POST to.")] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Only this workspace's events.")
    ] = None,
    file: File = None,
    set_: Set = None,
    output: Output = "table",
) -> None:
    """Send matching events to a webhook from now on.

    Example: opsloop event subscription create -n ci -t job.failed -t 'model.*' --webhook https://ci.example/hook
    """
    if file is None and not webhook:
        raise typer.BadParameter("give the URL to POST events to", param_hint="--webhook")
    fields = {"name": name, "event_types": event_type, "webhook_url": webhook}
    fields["workspace"] = workspace
    made = make_client().event_subscriptions.create(file=file, overrides=set_, **fields)
    emit(made, output, SUBSCRIPTION_COLUMNS)


@subscription_app.command("list")
def list_subscriptions(output: Output = "table") -> None:
    """List event subscriptions with their progress.  Example: opsloop event subscription list"""
    emit(make_client().event_subscriptions.list(), output, SUBSCRIPTION_COLUMNS)


@subscription_app.command("show")
def show_subscription(
    name: Annotated[str, typer.Option("--name", "-n", help="Subscription name.")],
    output: Output = "table",
) -> None:
    """Show one subscription.  Example: opsloop event subscription show -n ci"""
    emit(make_client().event_subscriptions.get(name), output, SUBSCRIPTION_COLUMNS)


@subscription_app.command("delete")
def delete_subscription(
    name: Annotated[str, typer.Option("--name", "-n", help="Subscription name.")],
    yes: Yes = False,
) -> None:
    """Stop sending events to a webhook.  Example: opsloop event subscription delete -n ci -y"""
    if not yes:
        typer.confirm(f"Delete event subscription {name!r}?", abort=True)
    make_client().event_subscriptions.delete(name)
    typer.echo(f"Deleted event subscription {name}")
