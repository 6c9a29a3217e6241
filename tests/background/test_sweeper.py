"""The worker's sweeper, as it runs in `opsloop server` or `opsloop worker`: a kill -9 of a
job's runner ends with the job Failed "runner lost" within the sweep bound and no step
process left."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import write
from opsloop import Client
from opsloop.background.sweeper import JobSweeper
from opsloop.background.worker import Worker
from opsloop.execution.processes import group_members
from opsloop.services.context import Platform
from opsloop.store.tables import JobRow

LOST_AFTER_S = 2.0
SWEEP_INTERVAL_S = 0.5


def _until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _row(platform: Platform, name: str) -> JobRow:
    with platform.database.transaction() as session:
        row = session.scalar(select(JobRow).where(JobRow.name == name))
        assert row is not None
        session.expunge(row)
        return row


def test_worker_fails_a_job_whose_runner_was_killed_and_ends_its_step(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSLOOP_RUNNER_HEARTBEAT_INTERVAL_S", "0.3")
    monkeypatch.setenv("OPSLOOP_RUNNER_LOST_AFTER_S", str(LOST_AFTER_S))
    monkeypatch.setenv("OPSLOOP_SWEEP_INTERVAL_S", str(SWEEP_INTERVAL_S))
    with Client(home=home, workspace="dev") as client:
        client.workspaces.create(name="dev")
        platform = Platform(client.settings)
        worker = Worker(platform, tasks=[JobSweeper(platform)])
        worker.start()
        try:
            spec = write(tmp_path / "job.yml", "type: command\ncommand: sleep 60 & sleep 60\n")
            job = client.jobs.create(file=spec)
            _until(lambda: _row(platform, job.name).step_pgid, 90, "the step to start")
            row = _row(platform, job.name)
            pgid, runner = row.step_pgid or 0, row.runner_pid or 0
            assert group_members(pgid)
            os.kill(runner, signal.SIGKILL)
            killed = time.monotonic()
            _until(lambda: _row(platform, job.name).status == "Failed", 60, "the sweep")
            took = time.monotonic() - killed
        finally:
            worker.stop()
        failed = client.jobs.get(job.name)
        failed_events = client.events.list(type="job.failed")
    assert failed.error == "runner lost"
    assert took < LOST_AFTER_S + SWEEP_INTERVAL_S + 5, took
    _until(lambda: group_members(pgid) == [], 10, "the step's processes to end")
    assert [e.subject for e in failed_events] == [f"job:{job.name}"]
