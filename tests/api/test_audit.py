"""The audit log through the API as `opsloop server` serves it, on real SQLite and
PostgreSQL: what each record holds, the filters, and the hash chain finding a record that
was altered, removed or moved in the store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from starlette.testclient import TestClient

from helpers import server_platform
from opsloop.api.app import create_app
from opsloop.services.context import Platform
from opsloop.store.tables import AuditRow


@dataclass
class Audited:
    http: TestClient
    platform: Platform
    owner: dict[str, str]
    alice: dict[str, str]

    def get(self, path: str, **params: Any) -> Any:
        answer = self.http.get(path, params=params, headers=self.owner)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(params=["sqlite", "postgresql"])
def audited(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Audited]:
    database_url = (
        request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    )
    platform, owner = server_platform(tmp_path / "home", database_url)
    with TestClient(create_app(platform, launch_jobs=False), base_url="http://t/api/v1") as http:
        header = {"authorization": f"Bearer {owner}"}
        for path, body in (
            ("/workspaces", {"name": "dev"}),
            ("/principals", {"name": "alice"}),
            ("/role-assignments", {"principal": "alice", "role": "Reader"}),
        ):
            assert http.post(path, json=body, headers=header).status_code == 201
        token = http.post("/tokens", json={"principal": "alice"}, headers=header).json()["token"]
        yield Audited(http, platform, header, {"authorization": f"Bearer {token}"})
    platform.database.dispose()


def test_a_mutating_call_is_recorded_with_who_what_where_and_which_request(
    audited: Audited,
) -> None:
    answer = audited.http.post(
        "/workspaces/dev/computes",
        json={"name": "cpu", "type": "local"},
        headers={**audited.owner, "x-request-id": "req-42"},
    )
    assert answer.status_code == 201 and answer.headers["x-request-id"] == "req-42"
    (record,) = audited.get("/audit", resource="compute:cpu")
    assert record["actor"] == "admin" and record["principal_kind"] == "user"
    assert record["action"] == "computes/write" and record["outcome"] == "succeeded"
    assert record["workspace"] == "dev" and record["scope"] == "/workspaces/dev/computes/cpu"
    assert record["request_id"] == "req-42" and record["source"] == "testclient"
    assert datetime.fromisoformat(record["at"]) > datetime.now(UTC) - timedelta(minutes=1)


def test_a_denied_call_is_recorded_with_its_reason(audited: Audited) -> None:
    answer = audited.http.post(
        "/workspaces/dev/computes", json={"name": "x", "type": "local"}, headers=audited.alice
    )
    assert answer.status_code == 403
    (record,) = audited.get("/audit", actor="alice", outcome="denied")
    assert record["action"] == "computes/write" and record["resource"] == "compute:x"
    assert record["reason"].startswith("no role assignment of alice allows computes/write")
    assert record["request_id"] == answer.headers["x-request-id"]


def test_the_log_filters_by_actor_action_resource_and_time(audited: Audited) -> None:
    started = datetime.now(UTC)
    for name in ("a", "b"):
        body = {"name": name, "type": "local"}
        audited.http.post("/workspaces/dev/computes", json=body, headers=audited.owner)
    audited.http.delete("/workspaces/dev/computes/a", headers=audited.owner)
    actions = [r["action"] for r in audited.get("/audit", action="computes/")]
    assert actions == ["computes/delete", "computes/write", "computes/write"]
    assert [r["resource"] for r in audited.get("/audit", resource="compute:a")] == [
        "compute:a",
        "compute:a",
    ]
    recent = audited.get("/audit", since=started.isoformat())
    assert {r["resource"] for r in recent} == {"compute:a", "compute:b"}
    assert audited.get("/audit", until=started.isoformat(), action="computes/") == []
    assert {r["actor"] for r in audited.get("/audit", actor="admin")} == {"admin"}
    assert audited.http.get("/audit", headers=audited.alice).status_code == 200  # Reader


def _tamper(platform: Platform, change: str) -> int:
    """Change the store as someone with database access would; the id it touched."""
    with platform.database.transaction() as session:
        rows = session.scalars(select(AuditRow).order_by(AuditRow.id)).all()
        victim, other = rows[2], rows[3]
        if change == "altered":
            session.execute(
                update(AuditRow).where(AuditRow.id == victim.id).values(actor="mallory")
            )
            return victim.id
        if change == "removed":
            session.execute(delete(AuditRow).where(AuditRow.id == victim.id))
            return other.id
        # moved: the two records swap places, each keeping its own content and hashes
        fields = ("at", "actor", "action", "target", "scope", "outcome", "detail", "hash")
        fields += ("prev_hash", "workspace", "principal_kind", "request_id", "source", "reason")
        first = {f: getattr(victim, f) for f in fields}
        second = {f: getattr(other, f) for f in fields}
        session.execute(update(AuditRow).where(AuditRow.id == victim.id).values(**second))
        session.execute(update(AuditRow).where(AuditRow.id == other.id).values(**first))
        return victim.id


@pytest.mark.parametrize("change", ["altered", "removed", "moved"])
def test_verify_finds_a_record_altered_removed_or_moved(audited: Audited, change: str) -> None:
    intact = audited.get("/audit/verify")
    assert intact["ok"] and intact["records"] >= 6 and len(intact["head"]) == 64
    broken_at = _tamper(audited.platform, change)
    result = audited.get("/audit/verify")
    assert not result["ok"]
    assert result["broken_at"] == broken_at, result
    assert str(broken_at) in result["problem"]


@pytest.mark.parametrize(
    ("params", "field"), [({"limit": 0}, "limit"), ({"outcome": "maybe"}, "outcome")]
)
def test_a_bad_filter_is_refused_naming_it(
    audited: Audited, params: dict[str, Any], field: str
) -> None:
    answer = audited.http.get("/audit", params=params, headers=audited.owner)
    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
