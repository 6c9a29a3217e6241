"""The API as `opsloop server` serves it: every platform route wants an API token, the token
says who calls, and its state (revoked, expired, its principal disabled) and scope
(read-only, one workspace) take effect on the next call. Real SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from helpers import server_platform
from opsloop.api.app import create_app
from opsloop.api.route_actions import PUBLIC_PATHS, api_routes
from opsloop.services.context import Platform
from opsloop.services.tokens import token_hash
from opsloop.store.access_tables import ApiTokenRow
from opsloop.store.tables import AuditRow


@dataclass
class Server:
    http: TestClient
    platform: Platform
    owner: dict[str, str]  # the owner's Authorization header

    def token(self, principal: str, **options: object) -> tuple[str, dict[str, str]]:
        """A new token for ``principal`` (made by the owner): its id and header."""
        answer = self.http.post(
            "/tokens", json={"principal": principal, **options}, headers=self.owner
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["id"], {"authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    database_url = (
        request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    )
    platform, owner = server_platform(tmp_path / "home", database_url)
    app = create_app(platform, launch_jobs=False)
    with TestClient(app, base_url="http://testserver/api/v1") as http:
        owner_header = {"authorization": f"Bearer {owner}"}
        for path, body in (
            ("/workspaces", {"name": "dev"}),
            ("/workspaces", {"name": "prod"}),
            ("/principals", {"name": "alice"}),
            ("/principals", {"name": "ci", "kind": "service_principal"}),
            ("/role-assignments", {"principal": "alice", "role": "Contributor"}),
            ("/role-assignments", {"principal": "ci", "role": "Contributor"}),
        ):
            assert http.post(path, json=body, headers=owner_header).status_code == 201
        yield Server(http, platform, owner_header)
    platform.database.dispose()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path).removeprefix("/api/v1")


def test_an_anonymous_caller_gets_401_on_every_platform_route(server: Server) -> None:
    routes = api_routes(server.http.app)  # type: ignore[arg-type]
    assert len(routes) > 80
    for method, path in routes:
        answer = server.http.request(method, _concrete(path))
        if path in PUBLIC_PATHS:
            assert answer.status_code == 200, (method, path)
            continue
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.headers["content-type"] == "application/problem+json"
        assert "API token" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Basic YWxpY2U6c2VjcmV0", "must be 'Bearer <API token>'"),
        ("Bearer ", "must be 'Bearer <API token>'"),
        ("Bearer opsloop_pat_made-up", "not valid"),
    ],
)
def test_a_malformed_or_unknown_token_gets_401_saying_so(
    server: Server, header: str, says: str
) -> None:
    answer = server.http.get("/workspaces", headers={"authorization": header})
    assert answer.status_code == 401
    assert says in answer.json()["detail"]


def test_the_token_names_the_actor_and_no_header_can_claim_another(server: Server) -> None:
    _, alice = server.token("alice")
    headers = {**alice, "x-opsloop-actor": "admin"}
    created = server.http.post("/workspaces", json={"name": "lab"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["created_by"] == "alice"
    assert server.http.get("/whoami", headers=alice).json()["name"] == "alice"
    events = server.http.get("/events", params={"type": "workspace.created"}, headers=alice)
    assert [e["actor"] for e in events.json() if e["subject"] == "workspace:lab"] == ["alice"]


def test_a_revoked_token_is_refused_on_the_next_call(server: Server) -> None:
    token_id, ci = server.token("ci")
    assert server.http.get("/workspaces", headers=ci).status_code == 200
    revoked = server.http.post(f"/tokens/{token_id}/revoke", headers=server.owner)
    assert revoked.json()["status"] == "revoked"
    answer = server.http.get("/workspaces", headers=ci)
    assert answer.status_code == 401
    assert "revoked" in answer.json()["detail"]


def test_an_expired_token_is_refused(server: Server) -> None:
    expires_at = datetime.now(UTC) + timedelta(seconds=1.5)
    _, ci = server.token("ci", expires_at=expires_at.isoformat())
    assert server.http.get("/workspaces", headers=ci).status_code == 200
    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
    answer = server.http.get("/workspaces", headers=ci)
    assert answer.status_code == 401
    assert "expired" in answer.json()["detail"]
    listed = server.http.get("/tokens", params={"principal": "ci"}, headers=server.owner)
    assert [t["status"] for t in listed.json()] == ["expired"]


def test_a_disabled_principals_tokens_are_refused(server: Server) -> None:
    _, ci = server.token("ci")
    assert server.http.post("/principals/ci/disable", headers=server.owner).status_code == 200
    answer = server.http.get("/workspaces", headers=ci)
    assert answer.status_code == 401
    assert "disabled" in answer.json()["detail"]


def test_a_read_only_token_reads_and_cannot_mutate(server: Server) -> None:
    _, reader = server.token("alice", read_only=True)
    assert server.http.get("/workspaces/dev/jobs", headers=reader).status_code == 200
    answer = server.http.post("/workspaces/dev/jobs", json={"command": "echo hi"}, headers=reader)
    assert answer.status_code == 403
    problem = answer.json()
    assert problem["action"] == "jobs/write"
    assert problem["reason"] == "the token is read-only"
    assert "jobs/write" in problem["detail"]


def test_a_workspace_token_acts_in_its_workspace_only(server: Server) -> None:
    _, dev_only = server.token("ci", workspace="dev")
    ok = server.http.post(
        "/workspaces/dev/computes", json={"name": "cpu", "type": "local"}, headers=dev_only
    )
    assert ok.status_code == 201, ok.text
    answer = server.http.get("/workspaces/prod/jobs", headers=dev_only)
    assert answer.status_code == 403
    assert answer.json()["action"] == "jobs/read"
    assert "scoped to workspace 'dev'" in answer.json()["reason"]
    # It reads the platform-wide lists (their dev part), not the platform's identities.
    assert [w["name"] for w in server.http.get("/workspaces", headers=dev_only).json()] == ["dev"]
    for path in ("/principals", "/groups", "/tokens"):
        answer = server.http.get(path, headers=dev_only)
        assert answer.status_code == 403, (path, answer.text)
        assert "scoped to workspace 'dev', not the platform" in answer.json()["reason"]


def test_administering_identities_takes_more_than_contributor(server: Server) -> None:
    _, alice = server.token("alice")
    for method, path, body in (
        ("POST", "/principals", {"name": "mallory"}),
        ("POST", "/tokens", {"principal": "ci"}),
        ("GET", "/tokens", None),
        ("POST", "/groups", {"name": "admins"}),
    ):
        answer = server.http.request(method, path, json=body, headers=alice)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["reason"].startswith("no role assignment of alice allows")
        assert "holds Contributor at /" in answer.json()["reason"]
    # The owner manages groups and their members.
    group = server.http.post("/groups", json={"name": "leads"}, headers=server.owner)
    assert group.status_code == 201
    added = server.http.post(
        "/groups/leads/members", json={"principal": "alice"}, headers=server.owner
    )
    assert added.json()["members"] == ["alice"]
    assert server.http.get("/principals/alice", headers=server.owner).json()["groups"] == ["leads"]


def test_denied_calls_are_audited_with_their_action_and_outcome(server: Server) -> None:
    _, reader = server.token("alice", read_only=True)
    server.http.post("/workspaces", json={"name": "nope"}, headers=reader)
    server.http.get("/tokens", headers=reader)
    with server.platform.database.transaction() as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.outcome == "denied")).all()
        denied = [(row.actor, row.action, row.detail["error_type"]) for row in rows]
    assert denied == [
        ("alice", "workspaces/write", "PermissionDeniedError"),
        ("alice", "principals/tokens/read", "PermissionDeniedError"),
    ]


def test_the_store_keeps_a_tokens_sha256_never_the_token(server: Server) -> None:
    answer = server.http.post("/tokens", json={"principal": "ci"}, headers=server.owner)
    secret = answer.json()["token"]
    assert secret.startswith("opsloop_pat_") and len(secret) > 50
    listed = server.http.get("/tokens", headers=server.owner).text
    assert secret not in listed
    with server.platform.database.transaction() as session:
        row = session.get_one(ApiTokenRow, answer.json()["id"])
        assert row.token_hash == token_hash(secret) and secret not in row.token_hash
    events = server.http.get("/events", headers=server.owner).text
    assert secret not in events


def test_an_endpoint_key_cannot_call_the_platform_api(server: Server) -> None:
    secrets = []
    for name, auth_mode in (("ep", "key"), ("ep-token", "aml_token")):
        body = {"name": name, "auth_mode": auth_mode}
        created = server.http.post(
            "/workspaces/dev/online-endpoints", json=body, headers=server.owner
        )
        assert created.status_code == 201, created.text
        path = f"/workspaces/dev/online-endpoints/{name}/credentials"
        answer = server.http.post(path, headers=server.owner).json()
        secrets += [answer[k] for k in ("primaryKey", "secondaryKey", "accessToken") if answer[k]]
    assert len(secrets) == 3
    for secret in secrets:
        answer = server.http.get("/workspaces", headers={"authorization": f"Bearer {secret}"})
        assert answer.status_code == 401


def test_bootstrap_is_refused_once_the_platform_has_an_owner(server: Server) -> None:
    answer = server.http.post("/bootstrap", json={"name": "second"}, headers=server.owner)
    assert answer.status_code == 409
    assert "has an owner already" in answer.json()["detail"]


def test_a_principal_manages_its_own_tokens_without_any_role(server: Server) -> None:
    assert server.http.post("/principals", json={"name": "bob"}, headers=server.owner).is_success
    first_id, bob = server.token("bob")  # bob holds no role anywhere
    made = server.http.post("/tokens", json={"principal": "bob", "name": "laptop"}, headers=bob)
    assert made.status_code == 201, made.text
    listed = server.http.get("/tokens", params={"principal": "bob"}, headers=bob)
    assert sorted(t["name"] for t in listed.json()) == ["laptop", "token"]
    # Someone else's tokens, and the platform's list, still need the actions.
    for method, path, body in (
        ("POST", "/tokens", {"principal": "alice"}),
        # Refused before the body is judged: the denial, not the bad date, is what counts.
        ("POST", "/tokens", {"principal": "alice", "expires_at": "2000-01-01T00:00:00Z"}),
        ("GET", "/tokens", None),
        ("POST", f"/tokens/{server.token('alice')[0]}/revoke", None),
    ):
        answer = server.http.request(method, path, json=body, headers=bob)
        assert answer.status_code == 403, (path, answer.text)
    revoked = server.http.post(f"/tokens/{made.json()['id']}/revoke", headers=bob)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert server.http.post(f"/tokens/{first_id}/revoke", headers=bob).status_code == 200
    assert server.http.get("/tokens", params={"principal": "bob"}, headers=bob).status_code == 401


def test_a_token_makes_only_tokens_no_wider_than_itself(server: Server) -> None:
    _, reader = server.token("alice", read_only=True)
    answer = server.http.post("/tokens", json={"principal": "alice"}, headers=reader)
    assert answer.status_code == 403 and answer.json()["reason"] == "the token is read-only"
    _, dev_only = server.token("alice", workspace="dev")
    wider = server.http.post("/tokens", json={"principal": "alice"}, headers=dev_only)
    assert wider.status_code == 403
    assert "scoped to workspace 'dev'" in wider.json()["reason"]
    same = server.http.post(
        "/tokens", json={"principal": "alice", "workspace": "dev"}, headers=dev_only
    )
    assert same.status_code == 201, same.text
    _, short = server.token("alice", expires_in_days=1)
    for body in ({}, {"expires_in_days": 2}):
        longer = server.http.post("/tokens", json={"principal": "alice", **body}, headers=short)
        assert longer.status_code == 422, longer.text
        assert "calling token's own expiry" in longer.text
    shorter = server.http.post(
        "/tokens", json={"principal": "alice", "expires_in_days": 0.5}, headers=short
    )
    assert shorter.status_code == 201, shorter.text
