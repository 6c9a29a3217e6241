"""Approvals against a server with access control on: the decider must hold the role the
request names, and never be the one who asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from helpers import promotion_id, server_platform
from opsloop.api.app import create_app
from opsloop.services.context import Platform
from opsloop.services.promotion_flow import drive_promotion


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    platform, owner = server_platform(tmp_path / "home")
    app = create_app(platform, launch_jobs=False)  # the test drives the promotion itself
    with TestClient(app, base_url="http://testserver/api/v1") as http:
        yield http, {"authorization": f"Bearer {owner}"}, platform
    platform.database.dispose()


def _ok(answer: Any) -> Any:
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def _person(http: TestClient, owner: dict[str, str], name: str, role: str) -> dict[str, str]:
    _ok(http.post("/principals", json={"name": name}, headers=owner))
    body = {"principal": name, "role": role, "scope": "/workspaces/prod"}
    _ok(http.post("/role-assignments", json=body, headers=owner))
    token = _ok(http.post("/tokens", json={"principal": name}, headers=owner))["token"]
    return {"authorization": f"Bearer {token}"}


def test_only_a_holder_of_the_named_role_approves(
    served: tuple[TestClient, dict[str, str], Any], model_dirs: dict[str, Path]
) -> None:
    http, owner, platform = served
    for name in ("dev", "prod"):
        _ok(http.post("/workspaces", json={"name": name}, headers=owner))
    _ok(http.post("/registries", json={"name": "shared"}, headers=owner))
    model = {"name": "lin", "path": model_dirs["v1"].as_uri()}
    _ok(http.post("/workspaces/dev/models", json=model, headers=owner))
    _ok(http.post("/workspaces/prod/online-endpoints", json={"name": "ep-prod"}, headers=owner))
    policy = {"name": "p", "registry": "shared", "deploy": {"endpoint": "ep-prod"},
              "gates": [{"type": "approval", "role": "Owner"}]}  # fmt: skip
    body = {"model": "lin:1", "source_workspace": "dev", "policy": policy}
    started = _ok(http.post("/workspaces/prod/promotions", json=body, headers=owner))
    # Driven as its driver process drives it: a platform of its own.
    driver = Platform(platform.settings)
    assert drive_promotion(driver, promotion_id(driver, started["name"])) == "AwaitingApproval"
    waiting = _ok(http.get(f"/workspaces/prod/promotions/{started['name']}", headers=owner))
    approve = f"/workspaces/prod/approvals/{waiting['approval']}/approve"

    scientist = _person(http, owner, "dana", "Data Scientist")
    denied = http.post(approve, json={}, headers=scientist)
    assert denied.status_code == 403
    assert "holding the Owner role on workspace 'prod'; dana does not" in denied.json()["detail"]
    assert http.post(approve, json={}, headers=owner).status_code == 403  # asked for it
    lead = _person(http, owner, "lee", "Owner")
    decided = _ok(http.post(approve, json={"comment": "ship it"}, headers=lead))
    assert (decided["status"], decided["decided_by"]) == ("Approved", "lee")
    driver.database.dispose()
