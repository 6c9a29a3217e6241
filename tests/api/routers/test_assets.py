"""Data and model paths that are empty or cannot be read are the caller's error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from helpers import assert_invalid


@pytest.mark.parametrize("kind", ["data", "models"])
def test_an_empty_path_is_refused(api: TestClient, kind: str) -> None:
    # Once read as the server's current folder, hashed whole.
    assert_invalid(api.post(f"/workspaces/dev/{kind}", json={"name": "x", "path": " "}), "path")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_a_path_that_cannot_be_read_is_refused(api: TestClient) -> None:
    # Readable by name, not by content (the process's memory): any user, root too.
    body = {"name": "x", "type": "uri_file", "path": "/proc/self/mem"}
    problem = assert_invalid(api.post("/workspaces/dev/data", json=body), "path")
    assert "cannot be read" in problem["detail"]


def test_a_missing_path_is_refused(api: TestClient, tmp_path: Path) -> None:
    body = {"name": "x", "path": str(tmp_path / "nowhere")}
    problem = assert_invalid(api.post("/workspaces/dev/data", json=body), "path")
    assert "does not exist" in problem["detail"]
