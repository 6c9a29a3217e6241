"""Request bodies whose text no store can hold are refused, naming the field."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from helpers import assert_invalid


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "w", "description": "a\u0000b"}, "description"),
        ({"name": "w", "tags": {"k": "a\u0000b"}}, "tags"),
        ({"name": "w", "tags": {"k\u0000": "b"}}, "tags"),
    ],
)
def test_nul_in_body_text_is_refused(api: TestClient, body: dict[str, object], field: str) -> None:
    assert_invalid(api.post("/workspaces", json=body), field)
    assert api.get("/workspaces/w").status_code == 404


def test_a_lone_surrogate_is_refused(api: TestClient) -> None:
    raw = json.dumps({"name": "w", "description": "\ud800"})  # escaped: valid JSON text
    answer = api.post("/workspaces", content=raw, headers={"content-type": "application/json"})
    assert_invalid(answer, "description")


def test_nested_spec_text_is_named_at_its_field(api: TestClient) -> None:
    body = {"command": "echo", "environment": {"name": "e", "image": "python\u0000"}}
    assert_invalid(api.post("/workspaces/dev/jobs", json=body), "environment.image")


def test_a_body_that_is_not_json_is_a_400(api: TestClient) -> None:
    answer = api.post(
        "/workspaces", content=b"name: dev", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == "the request body is not valid JSON"


def test_a_misspelt_field_is_named_before_the_missing_one(api: TestClient) -> None:
    answer = api.post("/workspaces", json={"nmae": "qa"})
    assert answer.status_code == 422
    assert answer.json()["detail"] == "nmae: unknown key (did you mean name?)"
