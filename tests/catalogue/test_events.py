"""The catalogue of event types: payloads are checked, every type is documented, and
what the services emit is declared."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
from sqlalchemy import select

from opsloop import Client
from opsloop.catalogue.events import EVENT_TYPES, JobCreated, WorkspaceCreated
from opsloop.services.context import Platform
from opsloop.store.tables import OutboxEventRow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_a_payload_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        JobCreated(type="command")  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError):
        WorkspaceCreated(kind="production", colour="red")  # type: ignore[call-arg]


def test_every_event_type_is_declared_once_with_its_resource_and_documented() -> None:
    documented = DOCS.read_text()
    for name, model in EVENT_TYPES.items():
        assert model.event_type == name and model.resource_type and model.description
        assert f"`{name}`" in documented, f"{name} is missing from docs/events.md"


def test_emitted_events_are_declared_and_carry_their_actor(client: Client) -> None:
    client.registries.create(name="shared")
    platform = Platform(client.settings)
    with platform.database.transaction() as session:
        rows = session.scalars(select(OutboxEventRow).order_by(OutboxEventRow.id)).all()
    assert [r.type for r in rows] == ["workspace.created", "registry.created"]
    for row in rows:
        EVENT_TYPES[row.type].model_validate(row.payload)
        assert row.actor and len(row.event_id) == 32 and "actor" not in row.payload
