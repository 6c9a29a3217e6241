"""Computes over the REST API, and jobs that name them, curated environments, inline
environments and registry URIs: the shapes Azure ML's CLI v2 specs use, on SQLite and
PostgreSQL. Jobs are recorded, never run."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from helpers import assert_invalid

COMPUTES = "/workspaces/dev/computes"
JOBS = "/workspaces/dev/jobs"
CURATED = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"


def _pipeline(**settings: Any) -> dict[str, Any]:
    return {
        "type": "pipeline",
        "settings": settings,
        "jobs": {
            "hello": {"command": "echo hello", "environment": CURATED},
            "world": {"command": "echo world", "compute": "azureml:serverless"},
        },
    }


def test_create_show_list_delete_a_compute(api: TestClient) -> None:
    body = {"name": "cpu-cluster", "type": "amlcompute", "max_instances": 2, "size": "Large"}
    created = api.post(COMPUTES, json=body)
    assert created.status_code == 201, created.text
    compute = created.json()
    assert (compute["type"], compute["max_instances"]) == ("amlcompute", 2)
    assert compute["properties"] == {"size": "Large"}
    assert [w["field"] for w in compute["warnings"]] == ["type", "size"]
    shown = api.get(f"{COMPUTES}/azureml:cpu-cluster").json()
    assert shown["name"] == "cpu-cluster" and shown["warnings"] == []
    assert [c["name"] for c in api.get(COMPUTES).json()] == ["cpu-cluster"]
    assert api.post(COMPUTES, json=body).status_code == 409
    assert api.delete(f"{COMPUTES}/cpu-cluster").status_code == 204
    assert api.get(f"{COMPUTES}/cpu-cluster").status_code == 404
    events = [e["type"] for e in api.get("/events").json()]
    assert "compute.created" in events and "compute.deleted" in events


@pytest.mark.parametrize("name", ["serverless", "local"])
def test_the_default_compute_names_are_taken(api: TestClient, name: str) -> None:
    problem = assert_invalid(api.post(COMPUTES, json={"name": name}), "name")
    assert "default local compute" in problem["detail"]


def test_min_instances_above_max_is_refused(api: TestClient) -> None:
    body = {"name": "c", "max_instances": 1, "min_instances": 2}
    assert_invalid(api.post(COMPUTES, json=body), "min_instances")


def test_a_job_naming_a_missing_compute_says_how_to_create_it(api: TestClient) -> None:
    body = {"command": "echo hi", "compute": "azureml:cpu-cluster"}
    problem = assert_invalid(api.post(JOBS, json=body), "compute")
    assert "opsloop compute create -w dev --name cpu-cluster --type local" in problem["detail"]
    problem = assert_invalid(
        api.post(JOBS, json=_pipeline(default_compute="azureml:cpu-cluster")),
        "settings.default_compute",
    )
    assert "'cpu-cluster' does not exist" in problem["detail"]
    assert api.get(JOBS).json() == []


def test_jobs_run_on_the_compute_they_name(api: TestClient) -> None:
    api.post(COMPUTES, json={"name": "cpu-cluster", "max_instances": 1})
    answer = api.post(JOBS, json=_pipeline(default_compute="azureml:cpu-cluster"))
    assert answer.status_code == 201, answer.text
    steps = {s["step_name"]: s for s in answer.json()["steps"]}
    assert steps["hello"]["compute"] == "cpu-cluster"
    assert steps["hello"]["spec"]["compute"] == {
        "name": "cpu-cluster",
        "type": "local",
        "max_instances": 1,
    }
    assert steps["world"]["compute"] == "local"  # serverless: the default local compute
    assert steps["hello"]["environment"] == CURATED
    component = steps["hello"]["spec"]["component"]["environment"]
    assert "scikit-learn==1.5.*" in component["content"]["requirements"]


def test_unused_azure_ml_keys_come_back_as_warnings(api: TestClient) -> None:
    body = _pipeline(default_datestore="azureml:workspaceblobstore")
    body["jobs"]["hello"]["services"] = {"lab": {"type": "jupyter_lab"}}
    job = api.post(JOBS, json=body).json()
    assert {w["field"] for w in job["warnings"]} == {
        "settings.default_datestore",
        "jobs.hello.services",
    }
    assert api.get(f"{JOBS}/{job['name']}").json()["warnings"] == []


def test_an_inline_environment_is_stored_once_per_content(api: TestClient) -> None:
    inline = {"image": "library/python:latest"}
    for _ in range(2):
        assert api.post(JOBS, json={"command": "echo", "environment": inline}).status_code == 201
    other = {"command": "echo", "environment": {"image": "python:3.12"}}
    job = api.post(JOBS, json=other).json()
    versions = api.get("/workspaces/dev/environments", params={"name": "anonymous-environment"})
    assert len(versions.json()) == 2
    assert job["environment"].startswith("anonymous-environment:")
    # A named inline environment becomes a version of that name, once per content.
    named = {"command": "echo", "environment": {"name": "slim", "image": "python:3.11-slim"}}
    for _ in range(2):
        assert api.post(JOBS, json=named).json()["environment"] == "slim:1"


@pytest.mark.parametrize(
    "environment", ["azureml:AzureML-sklearn-1.5@latest", "azureml:AzureML-sklearn-1.5:7"]
)
def test_a_curated_name_written_as_a_reference_resolves(api: TestClient, environment: str) -> None:
    job = api.post(JOBS, json={"command": "echo", "environment": environment}).json()
    assert job["environment"].startswith("azureml://registries/azureml/environments/sklearn-1.5/")


def test_a_workspace_environment_wins_over_a_curated_name(api: TestClient) -> None:
    env = {"name": "AzureML-sklearn-1.5", "image": "mine:1"}
    assert api.post("/workspaces/dev/environments", json=env).status_code == 201
    job = api.post(
        JOBS, json={"command": "echo", "environment": "azureml:AzureML-sklearn-1.5@latest"}
    )
    assert job.json()["environment"] == "AzureML-sklearn-1.5:1"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {
                "command": "echo",
                "environment": "azureml://registries/azureml/environments/r-4.2/labels/latest",
            },
            "environment",
            "not available offline",
        ),
        (
            {"component": "azureml://registries/shared/components/train/versions/1"},
            "component",
            "registry 'shared' not found",
        ),
        (
            {
                "component": "azureml://registries/azureml/components/compute_metrics/versions/0.0.26"
            },
            "component",
            "curated environments only",
        ),
        ({"component": "./train.yml"}, "component", "loaded by the client"),
        (
            {
                "command": "cat ${{inputs.m}}",
                "inputs": {
                    "m": {
                        "type": "mlflow_model",
                        "path": "azureml://registries/shared/models/m/versions/1",
                    }
                },
            },
            "inputs.m",
            "registry 'shared' not found",
        ),
        (
            {
                "command": "cat ${{inputs.d}}",
                "inputs": {
                    "d": {"type": "uri_file", "path": "wasbs://c@a.blob.core.windows.net/x.csv"}
                },
            },
            "inputs.d",
            "not a protocol opsloop can read",
        ),
        (
            {
                "command": "cat ${{inputs.d}}",
                "inputs": {
                    "d": {
                        "type": "uri_file",
                        "path": "azureml://jobs/nope/outputs/artifacts/paths/x",
                    }
                },
            },
            "inputs.d",
            "job 'nope' not found",
        ),
    ],
)
def test_references_that_name_nothing_here_are_refused_in_words(
    api: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    problem = assert_invalid(api.post(JOBS, json=body), field)
    assert words in problem["detail"]
