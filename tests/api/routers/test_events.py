"""Bad query parameters on /events answer 4xx naming the parameter, on both stores."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient


@pytest.mark.parametrize("bound", ["since", "until"])
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_moment_with_no_utc_equivalent_is_a_422(api: TestClient, bound: str, moment: str) -> None:
    answer = api.get("/events", params={bound: moment})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == bound


@pytest.mark.parametrize("limit", ["0", "-5", "10001", "9223372036854775808"])
def test_a_limit_out_of_bounds_is_a_422(api: TestClient, limit: str) -> None:
    answer = api.get("/events", params={"limit": limit})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "limit"


def test_events_in_range_are_listed(api: TestClient) -> None:
    answer = api.get("/events", params={"since": "0001-01-01T00:00:00", "limit": 10000})
    assert answer.status_code == 200
    # The owner's bootstrap (principal, role, token) comes first, then the fixture's store.
    assert [e["type"] for e in answer.json()] == [
        "principal.created",
        "role.assigned",
        "token.created",
        "workspace.created",
        "online_endpoint.created",
    ]
