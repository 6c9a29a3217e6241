"""Roles and role assignments, enforced by the server's authoriser through the REST API with
real tokens, on real SQLite and PostgreSQL: the built-in roles, a group's roles, a role held
on one resource, custom roles with wildcards, and `access check` explaining the decision."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from helpers import server_platform
from opsloop.api.app import create_app


@dataclass
class Api:
    http: TestClient
    owner: dict[str, str]

    def as_owner(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(method, path, json=body, headers=self.owner)
        assert answer.status_code < 300, (path, answer.text)
        return answer.json() if answer.content else None

    def principal(self, name: str, *assignments: tuple[str, str]) -> dict[str, str]:
        """A new user holding ``(role, scope)`` assignments; its token's header."""
        self.as_owner("POST", "/principals", {"name": name})
        for role, scope in assignments:
            self.assign(name, role, scope)
        token = self.as_owner("POST", "/tokens", {"principal": name})["token"]
        return {"authorization": f"Bearer {token}"}

    def assign(self, principal: str, role: str, scope: str) -> str:
        body = {"principal": principal, "role": role, "scope": scope}
        return str(self.as_owner("POST", "/role-assignments", body)["id"])


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    database_url = (
        request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    )
    platform, owner = server_platform(tmp_path / "home", database_url)
    app = create_app(platform, launch_jobs=False)
    with TestClient(app, base_url="http://testserver/api/v1") as http:
        server = Api(http, {"authorization": f"Bearer {owner}"})
        for name in ("dev", "prod"):
            server.as_owner("POST", "/workspaces", {"name": name})
        for name in ("ep", "ep2"):  # endpoint names are the platform's (/endpoints/<name>)
            server.as_owner("POST", "/workspaces/dev/online-endpoints", {"name": name})
        yield server
    platform.database.dispose()


def _denied(answer: Any, action: str) -> str:
    assert answer.status_code == 403, answer.text
    problem = answer.json()
    assert problem["action"] == action and action in problem["detail"]
    return str(problem["reason"])


def test_a_data_scientist_runs_jobs_but_does_not_change_the_workspace_or_its_computes(
    api: Api,
) -> None:
    ds = api.principal("dana", ("Data Scientist", "/workspaces/dev"))
    http = api.http
    job = http.post("/workspaces/dev/jobs", json={"command": "echo hi"}, headers=ds)
    assert job.status_code == 201, job.text
    assert http.get(f"/workspaces/dev/jobs/{job.json()['name']}", headers=ds).status_code == 200
    assert http.get("/workspaces/dev/computes", headers=ds).status_code == 200
    env = {"name": "py", "image": "python:3.11"}
    assert http.post("/workspaces/dev/environments", json=env, headers=ds).status_code == 201
    assert http.get("/workspaces", headers=ds).status_code == 200  # platform-wide list
    compute = {"name": "cpu", "type": "local"}
    _denied(http.post("/workspaces/dev/computes", json=compute, headers=ds), "computes/write")
    _denied(http.delete("/workspaces/dev", headers=ds), "workspaces/delete")
    keys = http.post("/workspaces/dev/online-endpoints/ep/regenerate-keys", json={}, headers=ds)
    _denied(keys, "online-endpoints/keys/write")
    reason = _denied(
        http.post("/workspaces/prod/jobs", json={"command": "echo"}, headers=ds), "jobs/write"
    )
    assert "at /workspaces/prod" in reason and "Data Scientist at /workspaces/dev" in reason
    _denied(http.post("/principals", json={"name": "x"}, headers=ds), "principals/write")


def test_a_reader_reads_everything_but_secrets_and_changes_nothing(api: Api) -> None:
    reader = api.principal("rita", ("Reader", "/workspaces/dev"))
    assert api.http.get("/workspaces/dev/online-endpoints/ep", headers=reader).status_code == 200
    credentials = api.http.post("/workspaces/dev/online-endpoints/ep/credentials", headers=reader)
    _denied(credentials, "online-endpoints/keys/read")
    submit = api.http.post("/workspaces/dev/jobs", json={"command": "echo"}, headers=reader)
    _denied(submit, "jobs/write")
    # Validating is asking whether a submission would pass: it needs the right to submit.
    check = api.http.post("/workspaces/dev/jobs/validate", json={"command": "echo"}, headers=reader)
    _denied(check, "jobs/write")


def test_a_role_on_one_resource_holds_there_only(api: Api) -> None:
    keeper = api.principal("kim", ("Key Vault Reader", "/workspaces/dev/online-endpoints/ep"))
    ok = api.http.post("/workspaces/dev/online-endpoints/ep/credentials", headers=keeper)
    assert ok.status_code == 200, ok.text
    other = api.http.post("/workspaces/dev/online-endpoints/ep2/credentials", headers=keeper)
    reason = _denied(other, "online-endpoints/keys/read")
    assert "/workspaces/dev/online-endpoints/ep2" in reason


def test_a_groups_role_is_held_by_its_members_while_they_are_members(api: Api) -> None:
    bob = api.principal("bob")
    api.as_owner("POST", "/groups", {"name": "scientists"})
    api.assign("scientists", "Data Scientist", "/workspaces/dev")
    submit = {"command": "echo hi"}
    _denied(api.http.post("/workspaces/dev/jobs", json=submit, headers=bob), "jobs/write")
    api.as_owner("POST", "/groups/scientists/members", {"principal": "bob"})
    answer = api.http.post("/workspaces/dev/jobs", json=submit, headers=bob)
    assert answer.status_code == 201, answer.text
    api.as_owner("DELETE", "/groups/scientists/members/bob")
    _denied(api.http.post("/workspaces/dev/jobs", json=submit, headers=bob), "jobs/write")


def test_removing_an_assignment_takes_effect_on_the_next_call(api: Api) -> None:
    carl = api.principal("carl")
    assignment = api.assign("carl", "Contributor", "/workspaces/dev")
    assert api.http.get("/workspaces/dev/jobs", headers=carl).status_code == 200
    assert api.http.delete(f"/role-assignments/{assignment}", headers=api.owner).status_code == 204
    _denied(api.http.get("/workspaces/dev/jobs", headers=carl), "jobs/read")


def test_a_custom_role_from_wildcards_over_declared_actions(api: Api) -> None:
    role = {
        "name": "Model Tester",
        "actions": ["*/read", "jobs/write"],
        "not_actions": ["online-endpoints/keys/*", "jobs/logs/read"],
    }
    made = api.as_owner("POST", "/roles", role)
    assert "jobs/write" in made["allowed_actions"] and "models/read" in made["allowed_actions"]
    assert "online-endpoints/keys/read" not in made["allowed_actions"]
    tess = api.principal("tess", ("Model Tester", "/workspaces/dev"))
    job = api.http.post("/workspaces/dev/jobs", json={"command": "echo"}, headers=tess)
    assert job.status_code == 201, job.text
    logs = api.http.get(f"/workspaces/dev/jobs/{job.json()['name']}/logs", headers=tess)
    _denied(logs, "jobs/logs/read")
    compute = {"name": "cpu", "type": "local"}
    _denied(api.http.post("/workspaces/dev/computes", json=compute, headers=tess), "computes/write")


def test_a_custom_role_naming_no_declared_action_is_refused_naming_the_field(api: Api) -> None:
    answer = api.http.post(
        "/roles", json={"name": "typo", "actions": ["job/write"]}, headers=api.owner
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "actions"
    assert "matches no declared action" in answer.json()["detail"]
    unknown = api.http.post(
        "/role-assignments",
        json={"principal": "admin", "role": "Nope", "scope": "/"},
        headers=api.owner,
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "role"
    bad_scope = api.http.post(
        "/role-assignments",
        json={"principal": "admin", "role": "Reader", "scope": "/workspaces/none"},
        headers=api.owner,
    )
    assert bad_scope.status_code == 422 and bad_scope.json()["field"] == "scope"


def test_access_check_explains_which_assignment_allows_and_why_not(api: Api) -> None:
    api.principal("dana", ("Data Scientist", "/workspaces/dev"))
    allowed = api.as_owner(
        "GET", "/access/check?principal=dana&action=jobs/write&resource=/workspaces/dev"
    )
    assert allowed["allowed"] and allowed["role"] == "Data Scientist"
    assert allowed["assignment_scope"] == "/workspaces/dev"
    assert allowed["reason"] == "Data Scientist at /workspaces/dev allows jobs/write"
    denied = api.as_owner(
        "GET", "/access/check?principal=dana&action=computes/write&resource=/workspaces/dev"
    )
    assert not denied["allowed"] and "holds Data Scientist at /workspaces/dev" in denied["reason"]
    owner = api.as_owner("GET", "/access/check?principal=admin&action=jobs/write&resource=/")
    assert owner["reason"] == "Owner at / allows jobs/write"


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("Compute Operator", "computes/write", "jobs/write"),
        ("Key Vault Administrator", "online-endpoints/keys/write", "online-endpoints/write"),
        ("AcrPush", "environments/write", "models/write"),
        ("Log Analytics Reader", "jobs/logs/read", "jobs/write"),
        ("Monitoring Contributor", "event-subscriptions/write", "models/write"),
        ("DevOps Project Collection Administrator", "event-subscriptions/write", "jobs/write"),
        ("Contributor", "computes/write", "role-assignments/write"),
    ],
)
def test_each_built_in_role_decides_as_declared(
    api: Api, role: str, allowed: str, refused: str
) -> None:
    api.principal("pat", (role, "/workspaces/dev"))
    path = "/access/check?principal=pat&action={}&resource=/workspaces/dev"
    assert api.as_owner("GET", path.format(allowed))["allowed"]
    assert not api.as_owner("GET", path.format(refused))["allowed"]


def test_the_platforms_last_owner_assignment_cannot_be_removed(api: Api) -> None:
    (mine,) = [
        a for a in api.as_owner("GET", "/role-assignments", None)
        if a["principal"] == "admin" and a["role"] == "Owner" and a["scope"] == "/"
    ]  # fmt: skip
    refused = api.http.delete(f"/role-assignments/{mine['id']}", headers=api.owner)
    assert refused.status_code == 409 and "last Owner assignment" in refused.json()["detail"]
    api.principal("second-owner", ("Owner", "/"))
    gone = api.http.delete(f"/role-assignments/{mine['id']}", headers=api.owner)
    assert gone.status_code == 204


def test_platform_wide_lists_show_a_workspace_role_its_workspace_only(api: Api) -> None:
    for name, workspace in (("dev-hook", "dev"), ("prod-hook", "prod"), ("all-hook", None)):
        body = {"name": name, "event_types": ["job.*"], "webhook_url": "http://127.0.0.1:1/h"}
        api.as_owner("POST", "/event-subscriptions", {**body, "workspace": workspace})
    api.as_owner("POST", "/workspaces/prod/computes", {"name": "cpu", "type": "local"})
    dana = api.principal("dana", ("Reader", "/workspaces/dev"))

    def listed(path: str, headers: dict[str, str], **params: str) -> list[Any]:
        answer = api.http.get(path, headers=headers, params=params)
        assert answer.status_code == 200, (path, answer.text)
        return list(answer.json())

    assert [w["name"] for w in listed("/workspaces", dana)] == ["dev"]
    assert [w["name"] for w in listed("/workspaces", api.owner)] == ["dev", "prod"]
    events = listed("/events", dana, limit="500")
    assert events and {e["workspace"] for e in events} == {"dev"}
    assert {e["workspace"] for e in listed("/events", api.owner, limit="500")} >= {
        "dev", "prod", None
    }  # fmt: skip
    records = listed("/audit", dana, limit="1000")
    assert records and all(r["scope"].startswith("/workspaces/dev") for r in records)
    assert any(r["scope"] == "/" for r in listed("/audit", api.owner, limit="1000"))
    assert [s["name"] for s in listed("/event-subscriptions", dana)] == ["dev-hook"]
    for hidden in ("prod-hook", "all-hook"):
        answer = api.http.get(f"/event-subscriptions/{hidden}", headers=dana)
        assert "does not cover" in _denied(answer, "event-subscriptions/read")
    # The same holds for a token scoped to one workspace, whoever its principal is.
    dev_token = api.as_owner("POST", "/tokens", {"principal": "admin", "workspace": "dev"})
    scoped = {"authorization": f"Bearer {dev_token['token']}"}
    assert [w["name"] for w in listed("/workspaces", scoped)] == ["dev"]
    assert {e["workspace"] for e in listed("/events", scoped, limit="500")} == {"dev"}


def test_a_workspace_owner_administers_its_workspace_not_the_platforms_identities(
    api: Api,
) -> None:
    owen = api.principal("owen", ("Owner", "/workspaces/dev"))
    api.principal("prue", ("Reader", "/workspaces/prod"))
    for path in ("/principals", "/principals/prue", "/groups", "/tokens"):
        answer = api.http.get(path, headers=owen)
        assert answer.status_code == 403, (path, answer.text)
        assert "holds Owner at /workspaces/dev" in answer.json()["reason"]
    # A token acts as its principal: making one for another takes a platform role, even
    # one scoped to the owner's own workspace.
    minted = api.http.post("/tokens", json={"principal": "admin", "workspace": "dev"}, headers=owen)
    assert "principals/tokens/write at /" in _denied(minted, "principals/tokens/write")
    assigned = api.http.post(
        "/role-assignments",
        json={"principal": "prue", "role": "Reader", "scope": "/workspaces/dev"},
        headers=owen,
    )
    assert assigned.status_code == 201, assigned.text
    seen = api.http.get("/role-assignments", headers=owen).json()
    assert sorted((a["principal"], a["scope"]) for a in seen) == [
        ("owen", "/workspaces/dev"),
        ("prue", "/workspaces/dev"),
    ]  # neither the platform owner's Owner at / nor prue's Reader at prod
    everything = api.http.get("/role-assignments", headers=api.owner).json()
    assert ("admin", "/") in {(a["principal"], a["scope"]) for a in everything}
    check = {"principal": "prue", "action": "jobs/read", "resource": "/workspaces/dev"}
    assert api.http.get("/access/check", params=check, headers=owen).json()["allowed"]
    for elsewhere in ("/workspaces/prod", "/"):
        refused = api.http.get(
            "/access/check", params={**check, "resource": elsewhere}, headers=owen
        )
        assert elsewhere in _denied(refused, "role-assignments/read")


def test_a_role_on_one_resource_shows_its_workspace_but_not_the_workspaces_events(
    api: Api,
) -> None:
    kim = api.principal("kim", ("Reader", "/workspaces/dev/online-endpoints/ep"))
    assert [w["name"] for w in api.http.get("/workspaces", headers=kim).json()] == ["dev"]
    assert api.http.get("/events", headers=kim).json() == []
    records = api.http.get("/audit", headers=kim).json()
    assert records and {r["resource"] for r in records} == {"online-endpoint:ep"}
