"""Path and query text that no store can hold is refused before any lookup, naming it."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from helpers import assert_invalid


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/workspaces/a%00b", "workspace"),
        ("/workspaces/dev/jobs/a%00b", "name"),
        ("/registries/a%00b", "name"),
        ("/workspaces/dev/data?name=a%00b", "name"),
    ],
)
def test_nul_in_a_path_or_query_parameter_is_refused(
    api: TestClient, path: str, field: str
) -> None:
    # PostgreSQL cannot compare text holding NUL: this was a 500 there, a 404 on SQLite.
    problem = assert_invalid(api.get(path), field)
    assert "NUL" in problem["detail"]
