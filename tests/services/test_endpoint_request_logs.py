"""The traffic log's bulk insert, on both stores: every value comes back as it was sent."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from opsloop.services.endpoint_request_logs import append_request_logs
from opsloop.store.database import Database
from opsloop.store.tables import EndpointRequestLogRow

FIELDS = (
    "at", "workspace", "endpoint", "deployment", "request_id", "method", "path", "status_code",
    "model_status", "request_bytes", "response_bytes", "duration_ms", "model_duration_ms",
    "throttle_ms", "auth_type", "mirrored",
)  # fmt: skip


def test_records_round_trip_with_their_types(database: Database) -> None:
    at = time.time()
    served = (at, "dev", "ep", "blue", "r-1", "POST", "/score", 200, "ok", 120, 16,
              1.25, 0.5, 0.0, "key", False)  # fmt: skip
    # A request refused before any deployment was chosen: the optional fields are None.
    refused = (at + 1.5, "dev", "ep", None, "r-2", "GET", "/x", 401, None, 0, 90,
               0.1, None, 0.0, None, True)  # fmt: skip
    with database.transaction() as session:
        append_request_logs(session, FIELDS, [served, list(refused)])  # lists as orjson gives
    with database.transaction() as session:
        rows = session.scalars(select(EndpointRequestLogRow).order_by(EndpointRequestLogRow.id))
        stored = [tuple(getattr(row, name) for name in FIELDS) for row in rows]
    for sent, got in zip((served, refused), stored, strict=True):
        moment = got[0] if got[0].tzinfo else got[0].replace(tzinfo=UTC)  # SQLite keeps no zone
        assert moment == datetime.fromtimestamp(sent[0], UTC)
        assert got[1:] == sent[1:]
    assert isinstance(stored[1][-1], bool) and isinstance(stored[0][11], float)


def test_fields_may_come_in_any_order(database: Database) -> None:
    fields = tuple(reversed(FIELDS))
    record = (False, "key", 0.0, 0.5, 1.5, 4, 10, "ok", 200, "/score", "POST", "r-9", "blue",
              "ep", "dev", time.time())  # fmt: skip
    with database.transaction() as session:
        append_request_logs(session, fields, [record])
    with database.transaction() as session:
        row = session.scalars(select(EndpointRequestLogRow)).one()
    assert (row.request_id, row.status_code, row.request_bytes) == ("r-9", 200, 10)


def test_an_unknown_field_is_refused_before_anything_is_written(database: Database) -> None:
    with pytest.raises(KeyError, match="colour"), database.transaction() as session:
        append_request_logs(session, (*FIELDS[:-1], "colour"), [(time.time(),) + ("x",) * 15])
    with database.transaction() as session:
        assert session.scalars(select(EndpointRequestLogRow)).first() is None


def test_a_driver_with_named_parameters_takes_the_general_insert(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    Database(url).migrate()
    engine = create_engine(url, paramstyle="named")  # sqlite3 takes :name parameters too
    at = time.time()
    record = (at, "dev", "ep", "blue", "r-1", "POST", "/score", 200, "ok", 1, 2, 0.5, None,
              0.0, "key", True)  # fmt: skip
    with Session(engine) as session, session.begin():
        append_request_logs(session, FIELDS, [record])
    with Session(engine) as session:
        row = session.scalars(select(EndpointRequestLogRow)).one()
    engine.dispose()
    assert row.at.replace(tzinfo=UTC) == datetime.fromtimestamp(at, UTC)
    assert (row.request_id, row.model_duration_ms, row.mirrored) == ("r-1", None, True)


def test_a_mirrored_rows_comparison_round_trips(database: Database) -> None:
    from opsloop.serving.collection.request_log import RECORD_FIELDS

    pair = {"deployment": "blue", "live": [1.5, "cat", [1, 2]], "shadow": [1.25, "dog", None]}
    mirrored = (time.time(), "dev", "ep", "green", "r-1", "POST", "/score", 200, "ok", 10, 5,
                1.0, 0.5, 0.0, "mirror", True, pair)  # fmt: skip
    answered = (*mirrored[:4], "r-2", *mirrored[5:14], "key", False, None)
    with database.transaction() as session:
        append_request_logs(session, RECORD_FIELDS, [mirrored, list(answered)])
    with database.transaction() as session:
        rows = session.scalars(select(EndpointRequestLogRow).order_by(EndpointRequestLogRow.id))
        assert [row.comparison for row in rows] == [pair, None]
        # A row without one holds SQL NULL, not a JSON null.
        compared = session.scalars(
            select(EndpointRequestLogRow.request_id).where(
                EndpointRequestLogRow.comparison.is_not(None)
            )
        ).all()
        assert compared == ["r-1"]
