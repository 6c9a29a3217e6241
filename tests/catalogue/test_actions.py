"""The catalogue of actions: every action described, every API route mapped to one, and
the services authorise the action their route declares."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from opsloop.api.app import create_app
from opsloop.api.authentication import LocalUser
from opsloop.api.route_actions import PUBLIC_ROUTES, ROUTE_ACTIONS, SELF_ROUTES, api_routes
from opsloop.catalogue.actions import Action, describe_action
from opsloop.config import Settings
from opsloop.security.actor import Actor
from opsloop.services.context import Platform


class RecordingAuthorizer:
    def __init__(self) -> None:
        self.seen: list[Action] = []

    def authorize(
        self,
        session: Session,
        actor: Actor,
        action: Action,
        workspace: str | None,
        target: str | None = None,
    ) -> None:
        self.seen.append(action)

    def readable_scopes(
        self, session: Session, actor: Actor, action: Action
    ) -> tuple[str, ...] | None:
        return None


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[TestClient, RecordingAuthorizer]:
    authorizer = RecordingAuthorizer()
    platform = Platform(Settings(home=tmp_path / "home"), authorizer=authorizer)
    app = create_app(platform, launch_jobs=False, authenticator=LocalUser())
    return TestClient(app), authorizer


def test_every_action_is_named_resource_slash_verb_and_described() -> None:
    for action in Action:
        assert action.value.count("/") >= 1 and action.value == action.value.lower()
        assert action.resource_type and action.verb
        assert describe_action(action)


def test_every_api_route_maps_to_exactly_one_declared_action(tmp_path: Path) -> None:
    app = create_app(Platform(Settings(home=tmp_path / "home")), launch_jobs=False)
    served = api_routes(app)
    assert len(served) == len(set(served))
    unmapped = [
        r for r in served if r not in ROUTE_ACTIONS and r not in PUBLIC_ROUTES | SELF_ROUTES
    ]
    stale = [r for r in ROUTE_ACTIONS if r not in served]
    assert unmapped == [] and stale == []
    assert not set(ROUTE_ACTIONS) & (PUBLIC_ROUTES | SELF_ROUTES)
    operation = app.openapi()["paths"]["/api/v1/workspaces/{workspace}/jobs"]["post"]
    assert operation["x-opsloop-action"] == "jobs/write"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/workspaces", {"name": "dev"}),
        ("GET", "/api/v1/workspaces/dev", None),
        ("GET", "/api/v1/workspaces/dev/jobs", None),
        ("GET", "/api/v1/workspaces/dev/models", None),
        ("GET", "/api/v1/workspaces/dev/secrets", None),
        ("POST", "/api/v1/registries", {"name": "shared"}),
        ("GET", "/api/v1/events", None),
        ("GET", "/api/v1/event-subscriptions", None),
        ("DELETE", "/api/v1/workspaces/dev", None),
    ],
)
def test_the_service_authorises_the_action_its_route_declares(
    recorded: tuple[TestClient, RecordingAuthorizer], method: str, path: str, body: object
) -> None:
    http, authorizer = recorded
    if path != "/api/v1/workspaces":
        assert http.post("/api/v1/workspaces", json={"name": "dev"}).status_code == 201
    authorizer.seen.clear()
    answer = http.request(method, path, json=body)
    assert answer.status_code < 300, answer.text
    route = path.replace("/dev", "/{workspace}") if "/workspaces/dev" in path else path
    assert set(authorizer.seen) == {ROUTE_ACTIONS[(method, route)]}


def test_archive_restore_and_job_download_authorise_their_declared_actions(
    recorded: tuple[TestClient, RecordingAuthorizer],
) -> None:
    http, authorizer = recorded
    ws = "/api/v1/workspaces/dev"
    assert http.post("/api/v1/workspaces", json={"name": "dev"}).status_code == 201
    assert (
        http.post(f"{ws}/environments", json={"name": "env", "image": "python:3.11"}).status_code
        == 201
    )
    job = http.post(f"{ws}/jobs", json={"command": "echo hi"}).json()["name"]
    for method, path, route in (
        ("POST", f"{ws}/environments/env/archive", "environments/{name}/archive"),
        ("POST", f"{ws}/environments/env/restore", "environments/{name}/restore"),
        ("GET", f"{ws}/jobs/{job}/download", "jobs/{name}/download"),
    ):
        authorizer.seen.clear()
        http.request(method, path)  # the job has stored nothing: refused, once authorised
        action = ROUTE_ACTIONS[(method, f"/api/v1/workspaces/{{workspace}}/{route}")]
        assert set(authorizer.seen) == {action}
    assert {a.value for a in Action if a.verb == "archive"} == {
        "data/archive",
        "environments/archive",
        "components/archive",
        "models/archive",
    }
