"""Persona assignment and just-in-time elevation through the REST API with real tokens, on
real SQLite and PostgreSQL: platform technical support holds nothing standing in
production, asks for Owner, another Owner approves (never the requester), every call under
the elevation is audited with its id, and the elevation stops working at its expiry with
nothing sweeping it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from helpers import server_platform
from opsloop.api.app import create_app
from opsloop.background.elevation_expiry import ElevationExpiry
from opsloop.background.leases import Lease
from opsloop.store.elevation_tables import ElevationRow


@dataclass
class Api:
    http: TestClient
    owner: dict[str, str]
    platform: Any

    def ok(self, method: str, path: str, body: Any = None, headers: Any = None) -> Any:
        answer = self.http.request(method, path, json=body, headers=headers or self.owner)
        assert answer.status_code < 300, (path, answer.text)
        return answer.json() if answer.content else None

    def principal(self, name: str, persona: str | None = None, role: str | None = None) -> Any:
        self.ok("POST", "/principals", {"name": name})
        if persona:
            self.ok("POST", f"/personas/{persona}/assignments", {"principal": name,
                                                                 "workspace": "prod"})  # fmt: skip
        if role:
            self.ok("POST", "/role-assignments", {"principal": name, "role": role, "scope": "/"})
        token = self.ok("POST", "/tokens", {"principal": name})["token"]
        return {"authorization": f"Bearer {token}"}


@pytest.fixture(params=["sqlite", "postgresql"])
def api(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Api]:
    monkeypatch.setenv("OPSLOOP_ELEVATION_ROLE_MAX_DURATIONS", '{"Key Vault Administrator": "1h"}')
    database_url = (
        request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    )
    platform, owner = server_platform(tmp_path / "home", database_url)
    app = create_app(platform, launch_jobs=False)
    with TestClient(app, base_url="http://testserver/api/v1") as http:
        server = Api(http, {"authorization": f"Bearer {owner}"}, platform)
        server.ok("POST", "/workspaces", {"name": "prod", "kind": "production"})
        yield server
    platform.database.dispose()


def _request(api: Api, who: dict[str, str], duration: str = "2h", role: str = "Owner") -> Any:
    body = {"role": role, "workspace": "prod", "duration": duration,
            "reason": "endpoint down", "ticket": "INC-7"}  # fmt: skip
    return api.http.post("/elevations", json=body, headers=who)


def test_an_elevation_holds_from_another_owners_approval_until_its_expiry_and_no_longer(
    api: Api,
) -> None:
    sam = api.principal("sam", persona="platform_technical_support")
    olga = api.principal("olga", role="Owner")
    assert api.http.get("/workspaces/prod/jobs", headers=sam).status_code == 403

    asked = _request(api, sam, duration="3s")
    assert asked.status_code == 201, asked.text
    elevation = asked.json()
    assert elevation["status"] == "pending" and "Owner (workspace)" in elevation["roles"]
    assert api.http.get("/workspaces/prod/jobs", headers=sam).status_code == 403  # pending

    approved = api.ok("POST", f"/elevations/{elevation['id']}/approve", {"comment": "ok"}, olga)
    assert approved["status"] == "active" and approved["decided_by"] == "olga"
    assert api.http.get("/workspaces/prod/jobs", headers=sam).status_code == 200
    compute = {"name": "cpu", "type": "local"}
    assert api.http.post("/workspaces/prod/computes", json=compute, headers=sam).status_code == 201
    # Identities stay out of reach: no persona template grants them.
    assert api.http.post("/principals", json={"name": "x"}, headers=sam).status_code == 403

    expires_at = datetime.fromisoformat(approved["expires_at"])
    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
    refused = api.http.get("/workspaces/prod/jobs", headers=sam)
    assert refused.status_code == 403, refused.text
    # Nothing swept it: the stored request is still approved; the API says expired.
    with api.platform.database.transaction() as session:
        stored = session.scalar(
            select(ElevationRow.status).where(ElevationRow.id == elevation["id"])
        )
    assert stored == "approved"
    assert api.ok("GET", f"/elevations/{elevation['id']}")["status"] == "expired"

    # The worker's pass records the expiry as an event, once.
    task = ElevationExpiry(api.platform)
    lease = Lease(api.platform.database, task.lease_name, "test", 15)
    assert lease.acquire()
    assert task.run_once(lease) == 1 and task.run_once(lease) == 0
    types = [e["type"] for e in api.ok("GET", "/events")]
    for kind in ("requested", "approved", "expired"):
        assert types.count(f"elevation.{kind}") == 1, types


def test_a_self_approved_elevation_is_refused_even_for_an_owner(api: Api) -> None:
    sam = api.principal("sam", persona="platform_technical_support")
    elevation = _request(api, sam).json()
    refused = api.http.post(f"/elevations/{elevation['id']}/approve", json={}, headers=sam)
    assert refused.status_code == 403  # sam holds no role there to decide with, either

    # An Owner who is also eligible cannot approve their own request either.
    api.ok("POST", "/personas/platform_technical_support/assignments",
           {"principal": "admin", "workspace": "prod"})  # fmt: skip
    mine = _request(api, api.owner).json()
    own = api.http.post(f"/elevations/{mine['id']}/approve", json={}, headers=api.owner)
    assert own.status_code == 403 and "never by whoever asked" in own.json()["reason"]
    assert api.ok("GET", f"/elevations/{mine['id']}")["status"] == "pending"
    denied = api.ok("GET", "/audit?outcome=denied&action=elevations/decide")
    assert len(denied) == 2

    # A non-Owner with the action (a Contributor has no elevations/*) cannot decide.
    carl = api.principal("carl", role="Contributor")
    assert (
        api.http.post(f"/elevations/{mine['id']}/approve", json={}, headers=carl).status_code == 403
    )


def test_every_call_under_an_elevation_is_audited_with_its_id(api: Api) -> None:
    sam = api.principal("sam", persona="platform_technical_support")
    olga = api.principal("olga", role="Owner")
    elevation = _request(api, sam).json()["id"]
    api.ok("POST", f"/elevations/{elevation}/approve", {}, olga)
    api.ok("GET", "/workspaces/prod/jobs", headers=sam)
    api.ok("POST", "/workspaces/prod/computes", {"name": "cpu", "type": "local"}, sam)
    missing = api.http.delete("/workspaces/prod/computes/nope", headers=sam)
    assert missing.status_code == 404

    records = api.ok("GET", "/audit?actor=sam")
    by_action = {r["action"]: r for r in records}
    for action in ("jobs/read", "computes/write", "computes/delete"):
        assert by_action[action]["detail"]["elevation"] == elevation, by_action.get(action)
        assert by_action[action]["request_id"]
    assert by_action["computes/delete"]["outcome"] == "failed"
    # The decision says which elevation allowed it.
    check = api.ok(
        "GET", "/access/check?principal=sam&action=computes/write&resource=/workspaces/prod"
    )
    assert check["allowed"] and check["elevation"] == elevation
    assert f"(elevation {elevation})" in check["reason"]


def test_a_request_needs_eligibility_and_keeps_to_the_roles_longest_duration(api: Api) -> None:
    dana = api.principal("dana", persona="data_scientist")
    refused = _request(api, dana)
    assert refused.status_code == 403 and "not eligible" in refused.json()["reason"]
    sam = api.principal("sam", persona="platform_technical_support")
    too_long = _request(api, sam, duration="9h")
    assert too_long.status_code == 422 and too_long.json()["field"] == "duration"
    assert "at most 8h" in too_long.json()["detail"]
    configured = _request(api, sam, duration="2h", role="Key Vault Administrator")
    assert configured.status_code == 422 and "at most 1h" in configured.json()["detail"]
    one = _request(api, sam, duration="1h", role="Key Vault Administrator")
    assert one.status_code == 201 and one.json()["roles"] == ["Key Vault Administrator (key vault)"]
    # The requester sees their own requests without any role; others see none of them.
    assert [e["id"] for e in api.ok("GET", "/elevations", headers=sam)] == [one.json()["id"]]
    assert api.ok("GET", "/elevations", headers=dana) == []
    rejected = api.http.post(f"/elevations/{one.json()['id']}/reject", json={}, headers=api.owner)
    assert rejected.status_code == 422 and rejected.json()["field"] == "comment"
    done = api.ok("POST", f"/elevations/{one.json()['id']}/reject", {"comment": "use the runbook"})
    assert done["status"] == "rejected"


def test_persona_assign_is_idempotent_audited_and_explained_by_access_check(api: Api) -> None:
    api.principal("lena")
    body = {"principal": "lena", "workspace": "prod"}
    first = api.ok("POST", "/personas/project-lead/assignments", body)
    assert first["kind"] == "production" and first["access"] == "standing"
    assert [a["role"] for a in first["assigned"]] == [
        "Reader (workspace)", "Reader (key vault)", "Key Vault Reader (key vault)",
        "Reader (container registry)", "Log Analytics Reader (logs)",
        "Monitoring Reader (monitor)",
    ]  # fmt: skip
    again = api.ok("POST", "/personas/project_lead/assignments", body)
    assert again["assigned"] == [] and len(again["unchanged"]) == 6
    events = [e for e in api.ok("GET", "/events") if e["type"] == "persona.assigned"]
    assert len(events) == 1
    assert len(api.ok("GET", "/audit?action=role-assignments/write&actor=admin")) == 1

    check = api.ok(
        "GET", "/access/check?principal=lena&action=environments/read&resource=/workspaces/prod"
    )
    assert check["allowed"] and check["persona"] == "project_lead"
    assert check["reason"] == (
        "Reader (container registry) at /workspaces/prod (persona project_lead) allows "
        "environments/read"
    )
    denied = api.ok(
        "GET", "/access/check?principal=lena&action=models/write&resource=/workspaces/prod"
    )
    assert not denied["allowed"] and "Reader (workspace) at /workspaces/prod" in denied["reason"]
    unknown = api.http.post("/personas/wizard/assignments", json=body, headers=api.owner)
    assert unknown.status_code == 404 and "project_lead" in unknown.json()["detail"]
