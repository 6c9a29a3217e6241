"""Runner liveness through the jobs service: real runner processes, real kill -9, real
process groups; the sweep and the cancel judged by what is left running afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import job_row, wait_until, write
from opsloop import Client
from opsloop.config import Settings
from opsloop.execution.processes import group_members, this_host
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import job_runs, jobs
from opsloop.services.context import Platform
from opsloop.services.workspaces import create_workspace
from opsloop.specs.job import CommandJobSpec
from opsloop.specs.workspace import WorkspaceSpec
from opsloop.store.tables import JobRow, OutboxEventRow

LOST_AFTER_S = 2.0

# The step starts a second sleeper in the background: ending the group must end both.
PIPELINE = """
type: pipeline
jobs:
  slow:
    command: sleep 60 & sleep 60; echo ${{outputs.out}}
    outputs:
      out: {type: uri_folder}
  after:
    command: echo ${{inputs.x}}
    inputs:
      x: ${{parent.jobs.slow.outputs.out}}
"""


@pytest.fixture
def client(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    # The runner inherits these: it heartbeats twice a second and is lost after 2 s.
    monkeypatch.setenv("OPSLOOP_RUNNER_HEARTBEAT_INTERVAL_S", "0.3")
    monkeypatch.setenv("OPSLOOP_RUNNER_LOST_AFTER_S", str(LOST_AFTER_S))
    with Client(home=home, workspace="dev") as embedded:
        embedded.workspaces.create(name="dev")
        yield embedded


def _running_step(platform: Platform, name: str) -> JobRow:
    """Wait for the row's step process to be recorded, and return the row."""
    wait_until(lambda: job_row(platform, name).step_pgid, 90, f"{name} to start its process")
    row = job_row(platform, name)
    assert row.step_host == this_host() and group_members(row.step_pgid or 0)
    return row


def _kill_runner(platform: Platform, job: str) -> None:
    pid = job_row(platform, job).runner_pid
    assert pid
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not _alive(pid), 10, "the runner to die")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _sweep(platform: Platform, now: datetime | None = None) -> list[str]:
    with platform.context(SYSTEM_ACTOR) as ctx:
        return jobs.sweep_lost_runners(ctx, now)


def _events(platform: Platform, subject: str, kind: str) -> int:
    with platform.database.transaction() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboxEventRow)
                .where(OutboxEventRow.subject == f"job:{subject}", OutboxEventRow.type == kind)
            )
            or 0
        )


def test_killed_runner_is_swept_once_and_its_step_processes_end(
    client: Client, tmp_path: Path
) -> None:
    platform = Platform(client.settings)
    job = client.jobs.create(file=write(tmp_path / "p.yml", PIPELINE))
    step = _running_step(platform, f"{job.name}.slow")
    assert not _sweep(platform)  # alive and heartbeating: nothing to do
    _kill_runner(platform, job.name)
    killed = time.monotonic()
    assert group_members(step.step_pgid or 0), "the step outlives its runner until swept"

    # Several sweepers at once (threads, each with its own transaction): one fails the job.
    swept: list[str] = []
    lock = threading.Lock()

    def sweeper() -> None:
        while time.monotonic() - killed < 3 * LOST_AFTER_S + 10 and job.name not in swept:
            found = _sweep(Platform(client.settings))
            with lock:
                swept.extend(found)
            time.sleep(0.1)

    threads = [threading.Thread(target=sweeper) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert swept == [job.name]
    assert time.monotonic() - killed < LOST_AFTER_S + 10

    failed = client.jobs.get(job.name)
    assert (failed.status, failed.error) == ("Failed", "runner lost")
    slow, after = failed.steps
    assert (slow.status, slow.error) == ("Failed", "runner lost")
    assert (after.status, after.error) == ("Canceled", "runner lost")
    assert group_members(step.step_pgid or 0) == []
    assert _events(platform, job.name, "job.failed") == 1
    assert _events(platform, f"{job.name}.slow", "job.failed") == 1
    assert _events(platform, f"{job.name}.after", "job.canceled") == 1
    assert not _sweep(platform, datetime.now(UTC) + timedelta(hours=1))


def test_cancel_ends_the_step_process_group(client: Client, tmp_path: Path) -> None:
    platform = Platform(client.settings)
    spec = write(tmp_path / "c.yml", "type: command\ncommand: sleep 60 & sleep 60\n")
    job = client.jobs.create(file=spec)
    pgid = _running_step(platform, job.name).step_pgid or 0
    client.jobs.cancel(job.name)  # the runner is alive: it ends the group itself
    ended = client.jobs.wait(job.name, timeout=30)
    assert (ended.status, ended.error) == ("Canceled", "canceled")
    assert group_members(pgid) == []
    assert job_row(platform, job.name).step_pgid is None

    orphaned = client.jobs.create(file=spec)
    pgid = _running_step(platform, orphaned.name).step_pgid or 0
    _kill_runner(platform, orphaned.name)
    time.sleep(LOST_AFTER_S + 0.5)
    started = time.monotonic()
    canceled = client.jobs.cancel(orphaned.name)  # no runner to ask: canceled at once
    assert (canceled.status, canceled.error) == ("Canceled", "canceled by user")
    assert group_members(pgid) == []
    assert time.monotonic() - started < 10


def test_a_healthy_long_job_is_not_swept(client: Client, tmp_path: Path) -> None:
    platform = Platform(client.settings)
    job = client.jobs.create(file=write(tmp_path / "s.yml", "type: command\ncommand: sleep 6\n"))
    _running_step(platform, job.name)
    first_beat = job_row(platform, job.name).heartbeat_at
    while job_row(platform, job.name).status == "Running":
        assert job.name not in _sweep(platform)
        time.sleep(0.25)
    finished = client.jobs.get(job.name)
    assert finished.status == "Completed", finished.error
    last_beat = job_row(platform, job.name).heartbeat_at
    assert first_beat and last_beat and last_beat - first_beat > timedelta(seconds=3)


def test_sweep_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """The store side of the sweep on PostgreSQL: claimed, then silent, then failed once
    even when several sweeps race (row locks), and a heartbeat keeps a job off the list."""
    settings = Settings(home=tmp_path / "pg", database_url=postgres_url, runner_lost_after_s=30)
    platform = Platform(settings)
    platform.launch_jobs = False  # the test plays the runner
    with platform.context(SYSTEM_ACTOR) as ctx:
        create_workspace(ctx, WorkspaceSpec(name="dev"))
        for name in ("one", "two"):
            jobs.create_job(ctx, "dev", CommandJobSpec(name=name, command="true"))
    ids = {}
    for name in ("one", "two"):
        claimed = job_runs.report(
            platform, job_runs.report_started, "dev", name, pid=1, host="elsewhere"
        )
        assert claimed is not None
        ids[name] = claimed.id
    later = datetime.now(UTC) + timedelta(seconds=31)
    results: list[list[str]] = []
    barrier = threading.Barrier(4)

    def sweeper() -> None:
        barrier.wait()
        results.append(_sweep(platform, later))

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(name for found in results for name in found) == ["one", "two"]
    assert _events(platform, "one", "job.failed") == 1

    with platform.context(SYSTEM_ACTOR) as ctx:
        jobs.create_job(ctx, "dev", CommandJobSpec(name="fresh", command="true"))
    claimed = job_runs.report(platform, job_runs.report_started, "dev", "fresh", pid=1, host="h")
    assert claimed is not None
    assert job_runs.report(platform, job_runs.report_heartbeat, claimed.id) is True
    assert _sweep(platform, datetime.now(UTC) + timedelta(seconds=20)) == []
    assert job_row(platform, "fresh").status == "Running"


def test_a_sweep_ends_only_the_processes_of_its_own_host(tmp_path: Path) -> None:
    """A job failed by a sweep on another host keeps its step's group on record until a
    sweep runs where the group lives (simulated by moving the record to this host)."""
    platform = Platform(Settings(home=tmp_path / "h", runner_lost_after_s=30))
    platform.launch_jobs = False  # the test plays the runner
    with platform.context(SYSTEM_ACTOR) as ctx:
        create_workspace(ctx, WorkspaceSpec(name="dev"))
        jobs.create_job(ctx, "dev", CommandJobSpec(name="far", command="sleep 60"))
    claimed = job_runs.report(platform, job_runs.report_started, "dev", "far", pid=1, host="a")
    assert claimed is not None
    step = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        job_runs.report(
            platform, job_runs.report_step_process, claimed.id, pgid=step.pid, host="other-host"
        )
        assert _sweep(platform, datetime.now(UTC) + timedelta(minutes=1)) == ["far"]
        assert group_members(step.pid) and job_row(platform, "far").step_pgid == step.pid
        with platform.database.transaction() as session:
            row = session.get(JobRow, claimed.id)
            assert row is not None
            row.step_host = this_host()
        assert _sweep(platform) == []
        step.wait(timeout=10)
        assert group_members(step.pid) == []
        assert job_row(platform, "far").step_pgid is None
    finally:
        step.kill()
        step.wait()


SWEEP_PIPELINE = """
type: pipeline
jobs:
  tune:
    type: sweep
    trial:
      command: sleep 60 & sleep 60; echo ${{search_space.x}}
    search_space:
      x: {type: choice, values: [1, 2]}
    sampling_algorithm: grid
    objective: {goal: minimize, primary_metric: loss}
    limits: {max_concurrent_trials: 1}
"""


def test_a_lost_runner_ends_the_trials_of_its_sweep_step(client: Client, tmp_path: Path) -> None:
    platform = Platform(client.settings)
    job = client.jobs.create(file=write(tmp_path / "p.yml", SWEEP_PIPELINE))
    wait_until(lambda: job_row(platform, f"{job.name}.tune").status == "Running", 90, "the sweep")
    trial = _running_step(platform, f"{job.name}.tune.trial_0")
    _kill_runner(platform, job.name)
    wait_until(lambda: job.name in _sweep(platform), LOST_AFTER_S + 20, "the sweep of the runner")
    failed = client.jobs.get(job.name)
    assert (failed.status, failed.error) == ("Failed", "runner lost")
    (tune,) = failed.steps
    assert (tune.status, tune.error) == ("Failed", "runner lost")
    (trial_0,) = tune.steps  # one at a time: the second trial was never made
    assert (trial_0.status, trial_0.error) == ("Failed", "runner lost")
    assert group_members(trial.step_pgid or 0) == []
