"""Schedules over the REST API with a server's token, on SQLite and PostgreSQL: the
routes, their problem bodies naming the field, and a schedule created by a principal whose
ticks act as that principal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from helpers import assert_invalid, fire_schedules

SCHEDULES = "/workspaces/dev/schedules"


def _spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "hourly",
        "trigger": {"type": "cron", "expression": "0 * * * *", "time_zone": "Europe/Berlin"},
        "create_job": {"type": "command", "command": "python -c pass"},
    }
    spec.update(changes)
    return spec


def test_create_show_list_enable_disable_delete(api: TestClient) -> None:
    created = api.post(SCHEDULES, json=_spec())
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["enabled"] and schedule["next_fire_at"].endswith(":00:00Z")
    assert schedule["run_as"] == schedule["created_by"]
    assert api.post(SCHEDULES, json=_spec()).status_code == 409
    shown = api.get(f"{SCHEDULES}/hourly").json()
    assert (
        len(shown["upcoming"]) == 5
        and shown["trigger_text"] == "At the start of every hour (Europe/Berlin)"
    )
    assert [s["name"] for s in api.get(SCHEDULES).json()] == ["hourly"]
    assert api.post(f"{SCHEDULES}/hourly/disable").json()["next_fire_at"] is None
    assert api.post(f"{SCHEDULES}/hourly/enable").json()["next_fire_at"] == schedule["next_fire_at"]
    assert api.delete(f"{SCHEDULES}/hourly").status_code == 204
    assert api.get(f"{SCHEDULES}/hourly").status_code == 404
    assert api.post(f"{SCHEDULES}/hourly/enable").status_code == 404
    types = [e["type"] for e in api.get("/events").json() if e["type"].startswith("schedule.")]
    assert types == [
        "schedule.created",
        "schedule.disabled",
        "schedule.enabled",
        "schedule.deleted",
    ]


def test_bad_bodies_name_the_field(api: TestClient) -> None:
    cron = {"type": "cron", "expression": "0 * * *"}
    assert_invalid(api.post(SCHEDULES, json=_spec(trigger=cron)), "trigger.expression")
    zone = {"type": "cron", "expression": "0 * * * *", "time_zone": "Nowhere/Town"}
    assert_invalid(api.post(SCHEDULES, json=_spec(trigger=zone)), "trigger.time_zone")
    weekly = {"type": "recurrence", "frequency": "day", "interval": 1,
              "schedule": {"month_days": [1]}}  # fmt: skip
    assert_invalid(api.post(SCHEDULES, json=_spec(trigger=weekly)), "trigger.schedule.month_days")
    job_file = _spec(create_job="./job.yml")
    assert (
        "client reads it"
        in assert_invalid(api.post(SCHEDULES, json=job_file), "create_job")["detail"]
    )
    bad_job = _spec(create_job={"type": "command", "comand": "x"})
    assert_invalid(api.post(SCHEDULES, json=bad_job), "create_job.comand")
    monitor = _spec(create_job=None, create_monitor={"monitoring_target": {}})
    problem = api.post(SCHEDULES, json=monitor)
    assert problem.status_code == 422
    assert problem.json()["field"].startswith("create_monitor.monitoring_target"), problem.text
    assert api.get(SCHEDULES).json() == []


def _principal(api: TestClient, name: str, role: str) -> tuple[dict[str, str], str]:
    """A new user holding ``role`` on workspace dev: its token's header and the assignment."""
    assert api.post("/principals", json={"name": name}).status_code == 201
    body = {"principal": name, "role": role, "scope": "/workspaces/dev"}
    assignment = api.post("/role-assignments", json=body)
    assert assignment.status_code == 201, assignment.text
    token = api.post("/tokens", json={"principal": name}).json()["token"]
    return {"authorization": f"Bearer {token}"}, assignment.json()["id"]


def test_ticks_act_as_the_creator_with_the_roles_held_at_each_tick(api: TestClient) -> None:
    reader, _ = _principal(api, "rita", "Reader")
    denied = api.post(SCHEDULES, json=_spec(), headers=reader)
    assert denied.status_code == 403 and "schedules/write" in denied.text
    dana, assignment = _principal(api, "dana", "Data Scientist")
    created = api.post(SCHEDULES, json=_spec(), headers=dana)
    assert created.status_code == 201, created.text
    assert created.json()["run_as"] == "dana"
    due = datetime.fromisoformat(created.json()["next_fire_at"])

    first = fire_schedules(api.app.state.platform, due)
    assert [f.error for f in first] == [None]
    job = api.get(f"/workspaces/dev/jobs/{first[0].created}").json()
    assert job["created_by"] == "dana"

    assert api.delete(f"/role-assignments/{assignment}").status_code == 204
    second = fire_schedules(api.app.state.platform, due + timedelta(hours=1))
    assert second[0].created is None and "dana may not jobs/write" in (second[0].error or "")
    assert len(api.get("/workspaces/dev/jobs").json()) == 1
