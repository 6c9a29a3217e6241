"""Jobs routes refuse bad parameters and bodies with a 422 naming the field, never a 500."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from helpers import assert_invalid

JOBS = "/workspaces/dev/jobs"


@pytest.mark.parametrize("limit", ["9223372036854775808", "-5", "0", "10001"])
def test_a_list_limit_out_of_bounds_is_refused(api: TestClient, limit: str) -> None:
    problem = assert_invalid(api.get(JOBS, params={"limit": limit}), "limit")
    assert "10000" in problem["detail"] or "1" in problem["detail"]


def test_a_list_limit_within_bounds_lists(api: TestClient) -> None:
    answer = api.get(JOBS, params={"limit": 10000})
    assert answer.status_code == 200 and answer.json() == []


def test_an_unknown_inline_input_type_names_the_input(api: TestClient) -> None:
    body = {"command": "echo ${{inputs.a}}", "inputs": {"a": {"type": "bogus"}}}
    problem = assert_invalid(api.post(JOBS, json=body), "inputs.a.type")
    assert "'uri_folder'" in problem["detail"]
    assert api.get(JOBS).json() == []  # nothing half-applied


def test_a_field_named_like_a_job_kind_is_still_named(api: TestClient) -> None:
    assert_invalid(api.post(JOBS, json={"command": 5}), "command")


def test_a_pipeline_literal_input_is_coerced_to_its_type(api: TestClient) -> None:
    body = {
        "type": "pipeline",
        "inputs": {"n": {"type": "integer", "value": "seven"}},
        "jobs": {
            "step": {"command": "echo ${{inputs.n}}", "inputs": {"n": "${{parent.inputs.n}}"}}
        },
    }
    problem = assert_invalid(api.post(JOBS, json=body), "inputs.n")
    assert "'seven' is not a valid integer" in problem["detail"]


@pytest.mark.parametrize("offsets", ['{"x": -1}', '{"x": 1e400}', '{"x": 9223372036854775808}'])
def test_log_offsets_out_of_range_are_refused(api: TestClient, offsets: str) -> None:
    job = api.post(JOBS, json={"command": "echo hi"})
    assert job.status_code == 201, job.text
    answer = api.get(f"{JOBS}/{job.json()['name']}/logs", params={"offsets": offsets})
    assert_invalid(answer, "offsets")


def test_validate_answers_the_plan_and_stores_no_job(api: TestClient) -> None:
    body = {"command": "echo ${{inputs.n}}", "inputs": {"n": 2}, "name": "later"}
    answer = api.post(f"{JOBS}/validate", json=body)
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["type"] == "command" and plan["name"] == "later"
    [step] = plan["steps"]
    assert step["inputs"]["n"]["value"] == 2 and step["reuse"] == "runs"
    assert api.get(JOBS).json() == []
    assert api.post(JOBS, json=body).status_code == 201
    taken = api.post(f"{JOBS}/validate", json=body)  # the name is now taken
    assert taken.status_code == 409 and "later" in taken.json()["detail"]


def test_validate_names_an_unknown_data_version(api: TestClient) -> None:
    body = {
        "command": "ls ${{inputs.d}}",
        "inputs": {"d": {"type": "uri_folder", "path": "azureml:iris:9"}},
    }
    problem = assert_invalid(api.post(f"{JOBS}/validate", json=body), "inputs.d")
    assert "iris" in problem["detail"]
