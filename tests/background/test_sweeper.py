"""The worker's sweeper, as it runs in `opsloop server` or `opsloop worker`: a kill -9 of a
job's runner ends with the job Failed "runner lost" within the sweep bound and no step
process left."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from helpers import job_row, wait_until, write
from opsloop import Client
from opsloop.background.sweeper import JobSweeper
from opsloop.background.worker import Worker
from opsloop.execution.processes import group_members
from opsloop.services.context import Platform

LOST_AFTER_S = 2.0
SWEEP_INTERVAL_S = 0.5


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
            wait_until(lambda: job_row(platform, job.name).step_pgid, 90, "the step to start")
            row = job_row(platform, job.name)
            pgid, runner = row.step_pgid or 0, row.runner_pid or 0
            assert group_members(pgid)
            os.kill(runner, signal.SIGKILL)
            killed = time.monotonic()
            wait_until(lambda: job_row(platform, job.name).status == "Failed", 60, "the sweep")
            took = time.monotonic() - killed
        finally:
            worker.stop()
        failed = client.jobs.get(job.name)
        failed_events = client.events.list(type="job.failed")
    assert failed.error == "runner lost"
    assert took < LOST_AFTER_S + SWEEP_INTERVAL_S + 5, took
    wait_until(lambda: group_members(pgid) == [], 10, "the step's processes to end")
    assert [e.subject for e in failed_events] == [f"job:{job.name}"]
