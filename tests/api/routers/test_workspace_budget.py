"""A workspace's budget, cost, activity and checks over the REST API: the routes, and bad
bodies answered with a problem naming the field."""

from __future__ import annotations

from starlette.testclient import TestClient

from helpers import assert_invalid

WS = "/workspaces/dev"


def test_budget_cost_activity_and_checks(api: TestClient) -> None:
    assert api.get(f"{WS}/budget").json()["monthly"] is None
    body = {"monthly": 500, "currency": "eur", "rates": {"compute.local": 0.25}}
    budget = api.put(f"{WS}/budget", json=body)
    assert budget.status_code == 200, budget.text
    assert budget.json()["currency"] == "EUR" and budget.json()["thresholds"] == [50, 80, 100]
    assert budget.json()["rates"] == {
        "compute": 0.1,
        "compute.local": 0.25,
        "endpoint.instance": 0.1,
    }
    stale = api.put(f"{WS}/staleness", json={"stale_after_days": 14}).json()
    assert stale["stale_after_days"] == 14 and stale["monthly"] == 500
    report = api.get(f"{WS}/cost", params={"month": "2026-01"}).json()
    assert report["month"] == "2026-01" and report["total"] == 0 and report["budget"] == 500
    assert report["percent_of_budget"] == 0
    activity = api.get(f"{WS}/activity").json()
    assert activity["stale"] is False and activity["stale_after_days"] == 14
    assert api.post(f"{WS}/checks").json() == {"raised": []}
    types = [e["type"] for e in api.get("/events").json()]
    assert "workspace.budget_set" in types


def test_bad_bodies_name_the_field(api: TestClient) -> None:
    assert_invalid(api.put(f"{WS}/budget", json={"monthly": -1}), "monthly")
    assert_invalid(api.put(f"{WS}/budget", json={"monthly": 5, "thresholds": [0]}), "thresholds")
    assert_invalid(api.put(f"{WS}/staleness", json={"stale_after_days": 0}), "stale_after_days")
    assert_invalid(api.get(f"{WS}/cost", params={"month": "December"}), "month")
    assert api.get("/workspaces/nope/cost").status_code == 404
