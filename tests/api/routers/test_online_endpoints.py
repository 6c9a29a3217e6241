"""Online endpoint routes refuse out-of-range parameters with a 422 naming the field."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from helpers import assert_invalid

LOGS = "/workspaces/dev/online-endpoints/ep/request-logs"


@pytest.mark.parametrize("status_code", ["9223372036854775808", "99", "600"])
def test_a_status_code_out_of_range_is_refused(api: TestClient, status_code: str) -> None:
    assert_invalid(api.get(LOGS, params={"status_code": status_code}), "status_code")


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_moment_with_no_utc_equivalent_is_refused(api: TestClient, since: str) -> None:
    problem = assert_invalid(api.get(LOGS, params={"since": since}), "since")
    assert "out of range" in problem["detail"]


def test_parameters_within_range_list(api: TestClient) -> None:
    params = {"status_code": 200, "since": "0001-01-01T00:00:00", "limit": 10000}
    answer = api.get(LOGS, params=params)
    assert answer.status_code == 200 and answer.json() == []


@pytest.mark.parametrize("limit", ["0", "10001", "9223372036854775808"])
def test_a_request_log_limit_out_of_bounds_is_refused(api: TestClient, limit: str) -> None:
    assert_invalid(api.get(LOGS, params={"limit": limit}), "limit")


def test_deployment_revision_and_log_lines_are_bounded(api: TestClient) -> None:
    endpoint = "/workspaces/dev/online-endpoints/ep"
    answer = api.put(
        f"{endpoint}/deployments/blue",
        params={"endpoint_revision": "9223372036854775808"},
        json={"name": "blue", "endpoint_name": "ep", "model": "m:1"},
    )
    assert_invalid(answer, "endpoint_revision")
    assert_invalid(api.get(f"{endpoint}/deployments/blue/logs", params={"lines": 0}), "lines")
