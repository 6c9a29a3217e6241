"""The scheduler under its lease: a holder that lost its lease cannot fire (fencing), on
SQLite and PostgreSQL; and two scheduler processes on one PostgreSQL, the lease holder
killed half-way, fire each tick once, with every tick either fired or counted as missed."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import wait_until
from opsloop.background.leases import Lease, LeaseLostError, lease_holders
from opsloop.background.scheduler import Scheduler
from opsloop.config import Settings
from opsloop.security.actor import Actor
from opsloop.services.context import Platform
from opsloop.services.schedule_fires import due_schedules, fire_schedule
from opsloop.services.schedules import create_schedule
from opsloop.services.workspaces import create_workspace
from opsloop.specs.schedule import ScheduleSpec
from opsloop.specs.workspace import WorkspaceSpec
from opsloop.store.schedule_tables import ScheduleFireRow
from opsloop.store.tables import JobRow, OutboxEventRow

ALICE = Actor(name="alice")
BASE = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    found = Platform(Settings(home=tmp_path / "home", database_url=url))
    found.launch_jobs = False  # the rows are what these tests read
    yield found
    found.database.dispose()


def _every_minute(platform: Platform) -> None:
    spec = ScheduleSpec.model_validate(
        {
            "name": "minutely",
            "trigger": {
                "type": "recurrence",
                "frequency": "minute",
                "interval": 1,
                "start_time": BASE.isoformat(),
            },
            "create_job": {"type": "command", "command": "python -c pass"},
        }
    )
    with platform.context(ALICE) as ctx:
        create_workspace(ctx, WorkspaceSpec(name="dev"))
        create_schedule(ctx, "dev", spec, now=BASE - timedelta(hours=1))


def _counts(platform: Platform) -> tuple[int, int, int]:
    with platform.database.transaction() as session:
        fires = session.scalar(select(func.count()).select_from(ScheduleFireRow)) or 0
        jobs = session.scalar(select(func.count()).select_from(JobRow)) or 0
        events = session.scalar(
            select(func.count())
            .select_from(OutboxEventRow)
            .where(OutboxEventRow.type == "schedule.fired")
        )
        return fires, jobs, events or 0


def test_a_holder_that_lost_its_lease_cannot_fire(platform: Platform) -> None:
    _every_minute(platform)
    now = BASE + timedelta(seconds=30)
    stale = Lease(platform.database, Scheduler.lease_name, "stale", ttl_s=0.3)
    fresh = Lease(platform.database, Scheduler.lease_name, "fresh", ttl_s=30)
    assert stale.acquire()
    due = due_schedules(platform, now)  # the stale holder read what is due, then paused
    assert len(due) == 1 and not fresh.acquire()
    time.sleep(0.4)
    assert fresh.acquire()
    assert fire_schedule(platform, due[0], now, fresh.guard) is not None
    with pytest.raises(LeaseLostError):
        fire_schedule(platform, due[0], now, stale.guard)
    assert _counts(platform) == (1, 1, 1)
    # Even under a valid lease, a tick already fired is not due any more.
    assert fire_schedule(platform, due[0], now, fresh.guard) is None
    assert _counts(platform) == (1, 1, 1)


SCHEDULER = """
import logging, os, time
from datetime import datetime, timedelta
from opsloop.background.scheduler import Scheduler
from opsloop.background.worker import Worker
from opsloop.services.context import Platform

logging.basicConfig(level=logging.WARNING)
base = datetime.fromisoformat(os.environ["T_BASE"])
zero = float(os.environ["T_ZERO"])
# One real second is one minute of the schedule's time: a tick a second.
clock = lambda: base + timedelta(seconds=(time.time() - zero) * 60)
platform = Platform()
platform.launch_jobs = False
worker = Worker(platform, tasks=[Scheduler(platform, clock=clock)])
worker.start()
print("holder", worker.holder, flush=True)
time.sleep(float(os.environ["T_RUN_S"]))
worker.stop()
"""


@pytest.mark.postgres
def test_two_scheduler_processes_fire_each_tick_once(postgres_url: str, tmp_path: Path) -> None:
    platform = Platform(Settings(home=tmp_path / "setup", database_url=postgres_url))
    _every_minute(platform)
    zero = time.time() + 2  # both start before the schedule's time begins to run
    processes = []
    for index in range(2):
        env = {
            **os.environ,
            "OPSLOOP_DATABASE_URL": postgres_url,
            "OPSLOOP_HOME": str(tmp_path / f"scheduler-{index}"),
            "OPSLOOP_LEASE_TTL_S": "1.0",
            "OPSLOOP_SCHEDULE_INTERVAL_S": "0.05",
            "T_BASE": BASE.isoformat(),
            "T_ZERO": str(zero),
            "T_RUN_S": "120",  # ended by the test
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", SCHEDULER],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        )
    try:
        wait_until(lambda: _counts(platform)[0] >= 4, 60, "four fires")
        holder, token, _ = lease_holders(platform.database)[Scheduler.lease_name]
        victim = next(p for p in processes if f":{p.pid}:" in holder)
        survivor = next(p for p in processes if p is not victim)
        os.killpg(victim.pid, signal.SIGKILL)
        fired_before = _counts(platform)[0]
        wait_until(lambda: _counts(platform)[0] >= fired_before + 4, 60, "a takeover")
        survivor.terminate()  # mid-pass or between passes: either way nothing half-done
        _, errors = survivor.communicate(timeout=60)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    new_holder, new_token, _ = lease_holders(platform.database)[Scheduler.lease_name]
    assert new_token > token and new_holder != holder
    assert "Traceback" not in errors, errors
    with platform.database.transaction() as session:
        rows = session.scalars(select(ScheduleFireRow).order_by(ScheduleFireRow.tick_at)).all()
        fired = [(r.tick_at, r.missed_ticks, r.created, r.error) for r in rows]
    fires, jobs, events = _counts(platform)
    assert fires == jobs == events >= 8
    assert all(created and error is None for _, _, created, error in fired)
    # Every minute from the first fired tick to the last was fired once or skipped once.
    for (earlier, _, _, _), (later, missed, _, _) in itertools.pairwise(fired):
        assert later - earlier == timedelta(minutes=missed + 1), (earlier, later, missed)
