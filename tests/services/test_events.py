"""Listing events and managing webhook subscriptions, through the SDK and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers import opsloop
from opsloop import Client
from opsloop.errors import ConflictError, NotFoundError, ValidationError


def test_events_filter_by_type_workspace_and_time(client: Client) -> None:
    client.workspaces.create(name="prod", kind="production")
    client.registries.create(name="shared")
    every = client.events.list()
    assert [e.type for e in every] == ["workspace.created"] * 2 + ["registry.created"]
    assert [e.sequence for e in every] == sorted(e.sequence for e in every)
    assert [e.subject for e in client.events.list(type="workspace.*")] == [
        "workspace:dev",
        "workspace:prod",
    ]
    assert [e.workspace for e in client.events.list(workspace="prod")] == ["prod"]
    assert client.events.list(type="registry.created")[0].source == "/opsloop"
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert client.events.list(since=later) == []
    assert len(client.events.list(until=later, limit=1)) == 1


def test_a_subscription_names_what_is_wrong_with_it(client: Client) -> None:
    with pytest.raises(ValidationError) as unknown:
        client.event_subscriptions.create(
            name="x", event_types=["jobs.failed"], webhook_url="http://127.0.0.1:1/h"
        )
    assert unknown.value.field == "types" and "jobs.failed" in str(unknown.value)
    with pytest.raises(ValidationError) as url:
        client.event_subscriptions.create(
            name="x", event_types=["job.failed"], webhook_url="ftp://x"
        )
    assert url.value.field == "action.url"
    with pytest.raises(NotFoundError):
        client.event_subscriptions.create(
            name="x", event_types=["job.*"], webhook_url="http://h/", workspace="nowhere"
        )


def test_subscriptions_are_created_listed_and_deleted(client: Client) -> None:
    made = client.event_subscriptions.create(
        name="ci", event_types=["job.*"], webhook_url="http://127.0.0.1:1/hook", workspace="dev"
    )
    assert made.position == client.events.list()[-1].sequence  # starts after its creation
    with pytest.raises(ConflictError):
        client.event_subscriptions.create(
            name="ci", event_types=["job.*"], webhook_url="http://127.0.0.1:1/hook"
        )
    assert [s.name for s in client.event_subscriptions.list()] == ["ci"]
    client.event_subscriptions.delete("ci")
    assert client.event_subscriptions.list() == []
    assert [e.type for e in client.events.list(type="event_subscription.*")] == [
        "event_subscription.created",
        "event_subscription.deleted",
    ]


def test_cli_lists_events_and_types(home: Path) -> None:
    opsloop("workspace", "create", "--name", "dev", home=home)
    listed = json.loads(
        opsloop("event", "list", "--type", "workspace.*", "-o", "json", home=home).stdout
    )
    assert [e["subject"] for e in listed] == ["workspace:dev"]
    assert listed[0]["specversion"] == "1.0"
    table = opsloop("event", "types", home=home).stdout
    assert "job.failed" in table and "online_endpoint.keys_regenerated" in table
    created = opsloop(
        "event", "subscription", "create", "-n", "hook", "-t", "job.failed",
        "--webhook", "http://127.0.0.1:9/hook", "-o", "json", home=home,
    )  # fmt: skip
    assert json.loads(created.stdout)["event_types"] == ["job.failed"]
    bad = opsloop("event", "list", "--limit", "0", home=home, check=False)
    assert bad.returncode != 0 and "limit" in bad.stderr
