"""``?dry_run=true`` over the REST API: 200 (nothing was created, unlike a create's 201)
with ``X-Opsloop-Dry-Run: true``, as the OpenAPI document says; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from opsloop.api.deps import DRY_RUN_HEADER

CREATES = [
    ("/workspaces/dev/datastores", {"name": "lake", "url": "file:///tmp/lake"}),
    ("/workspaces/dev/computes", {"name": "cpu", "type": "local"}),
    ("/workspaces/dev/batch-endpoints", {"name": "batch"}),
    ("/workspaces/dev/online-endpoints", {"name": "ep2"}),
    (
        "/event-subscriptions",
        {"name": "ci", "types": ["job.failed"],
         "action": {"type": "webhook", "url": "https://ci.example.com/hook"}},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body"), CREATES)
def test_a_dry_run_says_so_and_a_create_then_creates(
    api: TestClient, path: str, body: dict[str, object]
) -> None:
    dry = api.post(path, json=body, params={"dry_run": "true"})
    assert dry.status_code == 200, dry.text
    assert dry.headers[DRY_RUN_HEADER] == "true"
    assert dry.json()["name"] == body["name"]
    assert api.get(f"{path}/{body['name']}").status_code == 404  # nothing was written
    created = api.post(path, json=body)
    assert created.status_code == 201, created.text
    assert DRY_RUN_HEADER not in created.headers
    again = api.post(path, json=body, params={"dry_run": "true"})
    assert again.status_code == 409  # a dry run meets the create's checks


def test_the_openapi_document_declares_the_dry_run_answer(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path, _ in CREATES:
        operation = paths["/api/v1" + path.replace("/dev/", "/{workspace}/")]["post"]
        assert {"201", "200"} <= set(operation["responses"]), path
        assert DRY_RUN_HEADER in operation["responses"]["200"]["headers"], path
        assert any(p["name"] == "dry_run" for p in operation["parameters"]), path
    persona = paths["/api/v1/personas/{name}/assignments"]["post"]
    assert DRY_RUN_HEADER in persona["responses"]["200"]["headers"]
