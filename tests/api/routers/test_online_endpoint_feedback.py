"""POST /workspaces/{ws}/online-endpoints/{name}/feedback as `opsloop server` serves it:
stored as Parquet beside the collected data, checked row by row, refused to a Reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from starlette.testclient import TestClient

from helpers import assert_invalid, server_platform
from opsloop.api.app import create_app
from opsloop.schemas.feedback import MAX_FEEDBACK_ROWS

FEEDBACK = "/workspaces/dev/online-endpoints/ep/feedback"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    platform, owner = server_platform(tmp_path / "home")
    with TestClient(create_app(platform, launch_jobs=False), base_url="http://t/api/v1") as http:
        header = {"authorization": f"Bearer {owner}"}
        for path, body in (
            ("/workspaces", {"name": "dev"}),
            ("/workspaces/dev/online-endpoints", {"name": "ep"}),
            ("/principals", {"name": "alice"}),
            ("/role-assignments", {"principal": "alice", "role": "Reader"}),
        ):
            assert http.post(path, json=body, headers=header).status_code == 201
        token = http.post("/tokens", json={"principal": "alice"}, headers=header).json()["token"]
        yield http, header, {"authorization": f"Bearer {token}"}
    platform.database.dispose()


def test_posted_ground_truth_is_stored_as_parquet_and_announced(served: Any) -> None:
    http, owner, _ = served
    rows = [
        {"correlation_id": "r-1", "ground_truth": 1},
        {"correlation_id": "r-2", "ground_truth": 0, "row_index": 3},
    ]
    answer = http.post(FEEDBACK, json=rows, headers=owner)
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert (
        receipt["rows"] == 2
        and "/modelDataCollector/ep/_feedback/ground_truth/" in receipt["location"]
    )
    stored = pd.read_parquet(receipt["location"].removeprefix("file://"))
    assert stored[["correlationid", "row_index", "ground_truth"]].values.tolist() == [
        ["r-1", 0, 1], ["r-2", 3, 0],
    ]  # fmt: skip
    events = http.get(
        "/events", params={"type": "online_endpoint.feedback_received"}, headers=owner
    )
    assert [e["data"]["rows"] for e in events.json()] == [2]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"correlation_id": "r", "ground_truth": {"a": 1}}], "0.ground_truth"),
        ([{"correlation_id": "r", "ground_truth": 1}, {"ground_truth": 1}], "1.correlation_id"),
        ([{"correlation_id": "", "ground_truth": 1}], "0.correlation_id"),
        ([{"correlation_id": "r", "ground_truth": 1, "row_index": -1}], "0.row_index"),
        ([{"correlation_id": "r", "ground_truth": 1, "label": 1}], "0.label"),
        ([{"correlation_id": "r", "ground_truth": 1}, {"correlation_id": "s", "ground_truth": "x"}],
         "1.ground_truth"),
    ],
)  # fmt: skip
def test_a_bad_row_is_refused_naming_its_field(served: Any, body: Any, field: str) -> None:
    http, owner, _ = served
    assert_invalid(http.post(FEEDBACK, json=body, headers=owner), field)


def test_an_empty_or_too_large_post_is_refused(served: Any) -> None:
    http, owner, _ = served
    assert http.post(FEEDBACK, json=[], headers=owner).status_code == 422
    rows = [{"correlation_id": str(i), "ground_truth": 1} for i in range(MAX_FEEDBACK_ROWS + 1)]
    assert http.post(FEEDBACK, json=rows, headers=owner).status_code == 422


def test_a_reader_may_not_post_feedback_and_an_unknown_endpoint_is_404(served: Any) -> None:
    http, owner, reader = served
    rows = [{"correlation_id": "r", "ground_truth": 1}]
    assert http.post(FEEDBACK, json=rows, headers=reader).status_code == 403
    missing = "/workspaces/dev/online-endpoints/nope/feedback"
    assert http.post(missing, json=rows, headers=owner).status_code == 404
