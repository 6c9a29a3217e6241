"""``opsloop subscription`` (also ``opsloop event subscription``): events that match get
an action (webhook, email, run_job, rollback, label); the delivery log; redelivery."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli.common import (
    DryRun,
    File,
    Name,
    Output,
    Set,
    Yes,
    dry_run_note,
    emit,
    make_client,
)

subscription_app = typer.Typer(
    help="Subscriptions: matching events get an action (webhook, email, run_job, rollback, label).",
    no_args_is_help=True,
)

SUBSCRIPTION_COLUMNS = [
    "name", "event_types", "action", "workspace", "subject", "position", "pending",
    "dead_letters",
]  # fmt: skip
DELIVERY_COLUMNS = [
    "sequence", "event", "event_type", "status", "attempts", "last_error", "next_attempt_at",
    "effect",
]  # fmt: skip
NameArgument = Annotated[str | None, typer.Argument(help="Subscription name.", show_default=False)]


def _name(argument: str | None, option: str | None) -> str:
    if (argument is None) == (option is None):
        raise typer.BadParameter("give the subscription's name once", param_hint="NAME")
    return argument or option or ""


@subscription_app.command("create")
def create(
    file: File = None,
    name: Name = None,
    event_type: Annotated[
        list[str] | None,
        typer.Option("--event-type", "-t", help="Event type or pattern (job.*), repeatable."),
    ] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="URL to POST to.")] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Only this workspace's events.")
    ] = None,
    set_: Set = None,
    output: Output = "table",
    dry_run: DryRun = False,
) -> None:
    """Create a subscription from a YAML file (any action), or a webhook from options.
    A webhook's signing secret (whsec_...) is printed this once: keep it.

    Check only (a run_job's code hashed, not uploaded; no secret made): opsloop
    subscription create -f subscriptions/retrain-on-drift.yml --dry-run

    Example: opsloop subscription create -f subscriptions/retrain-on-drift.yml

    Example: opsloop event subscription create -n ci -t job.failed -t 'model.*' --webhook https://ci.example/hook
    """
    if file is None and not webhook:
        raise typer.BadParameter("give a subscription file, or a URL to POST to", param_hint="-f")
    fields = {"name": name, "event_types": event_type, "webhook_url": webhook}
    fields["workspace"] = workspace
    made = make_client().event_subscriptions.create(
        file=file, overrides=set_, dry_run=dry_run, **fields
    )
    emit(made, output, SUBSCRIPTION_COLUMNS)
    dry_run_note(dry_run, "subscription", made)
    if made.secret and output == "table":
        typer.echo(f"\nSigning secret (shown once): {made.secret}")


@subscription_app.command("list")
def list_(output: Output = "table") -> None:
    """List subscriptions with their progress.  Example: opsloop subscription list"""
    emit(make_client().event_subscriptions.list(), output, SUBSCRIPTION_COLUMNS)


@subscription_app.command("show")
def show(name: NameArgument = None, name_option: Name = None, output: Output = "table") -> None:
    """Show one subscription.  Example: opsloop subscription show retrain-on-drift"""
    found = make_client().event_subscriptions.get(_name(name, name_option))
    emit(found, output, SUBSCRIPTION_COLUMNS)


@subscription_app.command("delete")
def delete(name: NameArgument = None, name_option: Name = None, yes: Yes = False) -> None:
    """Delete a subscription (its cursor and delivery log go with it).

    Example: opsloop subscription delete ci -y
    """
    chosen = _name(name, name_option)
    if not yes:
        typer.confirm(f"Delete event subscription {chosen!r}?", abort=True)
    make_client().event_subscriptions.delete(chosen)
    typer.echo(f"Deleted event subscription {chosen}")


@subscription_app.command("deliveries")
def deliveries(
    name: NameArgument = None,
    name_option: Name = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only: new, retrying, queued, delivered or dead_letter."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (newest).")] = 100,
    output: Output = "table",
) -> None:
    """The delivery log: each event's delivery, its attempts (-o json: each attempt's
    time, status code or error, and duration).

    Example: opsloop subscription deliveries ci --status dead_letter
    """
    found = make_client().event_subscriptions.deliveries(
        _name(name, name_option), status=status, limit=limit
    )
    emit(found, output, DELIVERY_COLUMNS)


@subscription_app.command("redeliver")
def redeliver(
    name: NameArgument = None,
    name_option: Name = None,
    event: Annotated[str | None, typer.Option("--event", help="The event's id.")] = None,
    dead_letters: Annotated[
        bool, typer.Option("--dead-letters", help="Every delivery given up on.")
    ] = False,
) -> None:
    """Deliver one event, or every dead letter, again (the worker does it on its next pass).

    Example: opsloop subscription redeliver ci --dead-letters
    """
    if (event is None) == (not dead_letters):
        raise typer.BadParameter("give --event ID or --dead-letters", param_hint="--event")
    done = make_client().event_subscriptions.redeliver(
        _name(name, name_option), event=event, dead_letters=dead_letters
    )
    typer.echo(f"Queued {len(done.queued)} event(s) for {done.subscription}")
    for queued in done.queued:
        typer.echo(f"  {queued}")
