"""Schedules end to end on an embedded home: created from Azure ML-shaped YAML through the
SDK, fired by the scheduler with a clock the test sets, creating real jobs that run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import fire_schedules, write
from opsloop import Client
from opsloop.errors import ValidationError
from opsloop.services.context import Platform
from opsloop.store.schedule_tables import ScheduleFireRow

JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
command: python -c "print('scheduled run')"
experiment_name: nightly
tags:
  team: ml
"""
NIGHTLY = """\
$schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
name: nightly
display_name: Nightly training
description: retrain every night
tags:
  owner: data-science
trigger:
  type: cron
  expression: "0 3 * * *"
  time_zone: "W. Europe Standard Time"
create_job: ./job.yml
"""


def fires(platform: Platform) -> list[ScheduleFireRow]:
    with platform.database.transaction() as session:
        rows = list(session.scalars(select(ScheduleFireRow).order_by(ScheduleFireRow.tick_at)))
        session.expunge_all()
        return rows


@pytest.fixture
def platform(client: Client) -> Platform:
    found: Platform = client._transport.platform
    return found


@pytest.fixture
def nightly(client: Client, tmp_path: Path) -> Callable[..., object]:
    write(tmp_path / "job.yml", JOB)

    def create(text: str = NIGHTLY) -> object:
        return client.schedules.create(file=write(tmp_path / "schedule.yml", text))

    return create


def test_a_fired_schedule_creates_a_job_that_runs_as_its_creator(
    client: Client, platform: Platform, nightly: Callable[..., object]
) -> None:
    created = nightly()
    schedule = client.schedules.get("nightly")
    assert [s.name for s in client.schedules.list()] == ["nightly"]
    assert created is not None and schedule.enabled and schedule.creates == "job"
    # Stored inline: the job file's command, not its path.
    assert schedule.action["command"] == "python -c \"print('scheduled run')\""
    assert schedule.trigger["start_time"]  # the creation time, filled in
    due = schedule.next_fire_at
    assert due is not None and due > datetime.now(UTC)
    # 03:00 in Berlin: 02:00 UTC in winter, 01:00 in summer.
    assert due.astimezone(UTC).hour in (1, 2) and due.minute == 0
    assert len(schedule.upcoming) == 5 and schedule.upcoming[0] == due

    fired = fire_schedules(platform, due + timedelta(seconds=2))
    assert [f.created for f in fired] == [f"nightly-{due:%Y%m%d-%H%M%S}"]
    job = client.jobs.wait(fired[0].created or "", timeout=180)
    assert job.status == "Completed", job.error
    assert "scheduled run" in client.jobs.logs(job.name).text
    assert job.created_by == client.schedules.get("nightly").run_as
    assert job.experiment_name == "nightly"
    assert job.spec["tags"] == {
        "team": "ml",
        "opsloop.schedule": "nightly",
        "opsloop.schedule_tick": due.isoformat(),
    }
    after = client.schedules.get("nightly")
    assert after.last_fired_at is not None and after.next_fire_at == schedule.upcoming[1]
    assert [(f.tick_at, f.created) for f in after.fires] == [(due, job.name)]
    assert fire_schedules(platform, due + timedelta(seconds=3)) == []  # a tick fires once
    events = [e.type for e in client.events.list(type="schedule.*")]
    assert events == ["schedule.created", "schedule.fired"]


def test_after_downtime_it_fires_once_for_the_latest_tick(
    client: Client, platform: Platform, nightly: Callable[..., object]
) -> None:
    platform.launch_jobs = False  # the rows are what this test reads
    nightly(NIGHTLY.replace("W. Europe Standard Time", "UTC"))  # days of 24 hours
    due = client.schedules.get("nightly").next_fire_at
    assert due is not None
    # Down from before the tick `due` until 5 hours after the tick three days later.
    fires_made = fire_schedules(platform, due + timedelta(days=3, hours=5))
    assert [(f.tick_at, f.missed_ticks) for f in fires_made] == [(due + timedelta(days=3), 3)]
    assert fire_schedules(platform, due + timedelta(days=3, hours=6)) == []
    assert client.schedules.get("nightly").next_fire_at == due + timedelta(days=4)


def test_a_disabled_schedule_does_not_fire_and_enabling_skips_what_it_missed(
    client: Client, platform: Platform, nightly: Callable[..., object]
) -> None:
    platform.launch_jobs = False
    nightly()
    due = client.schedules.get("nightly").next_fire_at
    assert due is not None
    disabled = client.schedules.disable("nightly")
    assert not disabled.enabled and disabled.next_fire_at is None
    assert fire_schedules(platform, due + timedelta(days=2)) == []
    enabled = client.schedules.enable("nightly")
    assert enabled.enabled and enabled.next_fire_at == due  # the next tick after now
    assert fires(platform) == []
    assert [e.type for e in client.events.list(type="schedule.*")] == [
        "schedule.created",
        "schedule.disabled",
        "schedule.enabled",
    ]


def test_end_time_stops_a_recurrence(client: Client, platform: Platform, tmp_path: Path) -> None:
    platform.launch_jobs = False
    start = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    spec = f"""\
name: twice
trigger:
  type: recurrence
  frequency: minute
  interval: 1
  start_time: "{start.isoformat()}"
  end_time: "{(start + timedelta(seconds=90)).isoformat()}"
create_job:
  type: command
  command: python -c pass
"""
    client.schedules.create(file=write(tmp_path / "twice.yml", spec))
    assert client.schedules.get("twice").upcoming == [start, start + timedelta(minutes=1)]
    fire_schedules(platform, start + timedelta(seconds=1))
    fire_schedules(platform, start + timedelta(seconds=61))
    fire_schedules(platform, start + timedelta(days=1))
    assert [f.tick_at for f in fires(platform)] == [start, start + timedelta(minutes=1)]
    assert client.schedules.get("twice").next_fire_at is None


def test_a_tick_that_cannot_create_its_job_records_why_and_moves_on(
    client: Client, platform: Platform, tmp_path: Path
) -> None:
    spec = """\
name: broken
trigger: {type: cron, expression: "*/5 * * * *"}
create_job: azureml:no-such-component:1
"""
    client.schedules.create(file=write(tmp_path / "broken.yml", spec))
    due = client.schedules.get("broken").next_fire_at
    assert due is not None
    fired = fire_schedules(platform, due)
    assert len(fired) == 1 and fired[0].created is None
    assert "no-such-component" in (fired[0].error or "")
    after = client.schedules.get("broken")
    assert after.next_fire_at == due + timedelta(minutes=5)
    assert after.fires[0].error == fired[0].error
    event = client.events.list(type="schedule.fired")[0]
    assert event.data["error"] == fired[0].error and event.data["created"] is None
    assert client.jobs.list() == []


def test_delete_keeps_the_jobs(
    client: Client, platform: Platform, nightly: Callable[..., object]
) -> None:
    platform.launch_jobs = False
    nightly()
    due = client.schedules.get("nightly").next_fire_at
    assert due is not None
    fire_schedules(platform, due)
    client.schedules.delete("nightly")
    assert client.schedules.list() == [] and fires(platform) == []
    assert len(client.jobs.list()) == 1
    with pytest.raises(Exception, match="not found"):
        client.schedules.get("nightly")


def test_a_monitor_schedules_bad_definition_names_its_line(client: Client, tmp_path: Path) -> None:
    spec = """\
name: drift
trigger:
  type: recurrence
  frequency: day
  interval: 1
  schedule: {hours: [3], minutes: [15]}
create_monitor:
  compute: {instance_type: standard_e4s_v3, runtime_version: "3.4"}
  monitoring_target:
    ml_task: clasification
    endpoint_deployment_id: azureml:credit-default:main
"""
    with pytest.raises(ValidationError) as caught:
        client.schedules.create(file=write(tmp_path / "drift.yml", spec))
    assert caught.value.field == "create_monitor.monitoring_target.ml_task"
    assert caught.value.line == 10
    assert client.schedules.list() == []
