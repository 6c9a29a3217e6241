"""Column types of the metadata store, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select, text

from opsloop import Client
from opsloop.store.database import Database
from opsloop.store.tables import WorkspaceRow

MOMENT = datetime(2026, 11, 22, 7, 55, 25, 781942, tzinfo=UTC)


def _stored_created_at(database: Database, given: datetime) -> datetime:
    with database.transaction() as session:
        if database.engine.dialect.name == "postgresql":
            # A server whose sessions are not in UTC reads and answers in their zone.
            session.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
        session.add(WorkspaceRow(name="w", kind="workspace", created_at=given, created_by="me"))
        session.flush()
        return session.scalars(select(WorkspaceRow.created_at)).one()


def test_a_moment_comes_back_in_utc_with_its_zone(database: Database) -> None:
    in_tokyo = MOMENT.astimezone(timezone(timedelta(hours=9)))
    stored = _stored_created_at(database, in_tokyo)
    assert stored == MOMENT and stored.utcoffset() == timedelta(0)


def test_a_naive_moment_is_taken_as_utc(database: Database) -> None:
    stored = _stored_created_at(database, MOMENT.replace(tzinfo=None))
    assert stored == MOMENT and stored.tzinfo is not None


def test_the_embedded_api_answers_timestamps_with_their_zone(client: Client) -> None:
    workspace = client.workspaces.get("dev")
    assert workspace.created_at.utcoffset() == timedelta(0)
    assert workspace.model_dump(mode="json")["created_at"].endswith("Z")


def test_the_migrations_build_exactly_the_tables_the_rows_describe(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from opsloop.store.tables import Base

    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
