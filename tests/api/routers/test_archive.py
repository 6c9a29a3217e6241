"""Archive and restore routes, and job output downloads, over REST on both stores."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from helpers import assert_invalid

ENVIRONMENTS = "/workspaces/dev/environments"
JOBS = "/workspaces/dev/jobs"


@pytest.fixture
def environments(api: TestClient) -> TestClient:
    """``env`` versions 1 and 2."""
    for image in ("python:3.11", "python:3.12"):
        assert api.post(ENVIRONMENTS, json={"name": "env", "image": image}).status_code == 201
    return api


def _versions(api: TestClient, **params: object) -> list[tuple[str, bool]]:
    answer = api.get(ENVIRONMENTS, params={"name": "env", **params})
    assert answer.status_code == 200, answer.text
    return [(v["version"], v["archived"]) for v in answer.json()]


def test_archive_one_version_then_restore_every_version(environments: TestClient) -> None:
    api = environments
    answer = api.post(f"{ENVIRONMENTS}/env/archive", params={"version": "2"})
    assert answer.status_code == 200, answer.text
    assert [(v["version"], v["archived"]) for v in answer.json()] == [("2", True)]
    assert _versions(api) == [("1", False)]
    assert _versions(api, include_archived="true") == [("2", True), ("1", False)]
    assert api.get(f"{ENVIRONMENTS}/env@latest").json()["version"] == "1"
    assert api.get(f"{ENVIRONMENTS}/env:2").json()["archived"] is True

    answer = api.post(f"{ENVIRONMENTS}/env/restore")
    assert [(v["version"], v["archived"]) for v in answer.json()] == [("1", False), ("2", False)]
    assert api.get(f"{ENVIRONMENTS}/env@latest").json()["version"] == "2"


def test_unknown_names_and_bad_versions_are_named(environments: TestClient) -> None:
    api = environments
    missing = api.post(f"{ENVIRONMENTS}/env/archive", params={"version": "9"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "environment env:9 not found" in missing.json()["detail"]
    assert api.post("/workspaces/dev/models/env/restore").status_code == 404
    assert api.post("/workspaces/nope/data/env/archive").status_code == 404
    # An empty version would otherwise mean "every version".
    assert_invalid(api.post(f"{ENVIRONMENTS}/env/archive", params={"version": ""}), "version")
    assert_invalid(api.post(f"{ENVIRONMENTS}/env/archive", params={"version": "9" * 65}), "version")
    assert _versions(api) == [("2", False), ("1", False)]


def test_jobs_reach_an_archived_version_only_by_its_version(environments: TestClient) -> None:
    api = environments
    assert api.post(f"{ENVIRONMENTS}/env/archive").status_code == 200
    latest = {"command": "echo hi", "environment": "azureml:env@latest"}
    problem = assert_invalid(api.post(JOBS, json=latest), "environment")
    assert "every version of env is archived" in problem["detail"]
    pinned = api.post(JOBS, json={"command": "echo hi", "environment": "azureml:env:2"})
    assert pinned.status_code == 201, pinned.text


def test_a_job_download_names_what_is_missing(api: TestClient) -> None:
    body = {"command": "echo ${{outputs.out}}", "outputs": {"out": {"type": "uri_folder"}}}
    job = api.post(JOBS, json=body)
    assert job.status_code == 201, job.text
    name = job.json()["name"]
    not_run = api.get(f"{JOBS}/{name}/download")  # recorded, never run: nothing stored
    assert not_run.status_code == 409 and "has stored no outputs yet" in not_run.json()["detail"]
    problem = assert_invalid(
        api.get(f"{JOBS}/{name}/download", params={"output_name": "other"}), "output_name"
    )
    assert "its outputs: out" in problem["detail"]
    assert_invalid(api.get(f"{JOBS}/{name}/download", params={"step": "s"}), "step")
    assert api.get(f"{JOBS}/nope/download").status_code == 404
