"""Runners started ahead of their job: handed the next job launched on their store, or gone
once the process that started them is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import job_row, wait_until, write
from opsloop import Client
from opsloop.config import Settings
from opsloop.execution import launcher


def test_a_runner_started_ahead_runs_the_next_job(client: Client, tmp_path: Path) -> None:
    launcher.start_standby_runner(client.settings)
    standby = launcher._standby[launcher._store_key(client.settings)]
    launcher.start_standby_runner(client.settings)  # one per store: still the same
    assert launcher._standby[launcher._store_key(client.settings)] is standby
    spec = write(tmp_path / "job.yml", 'type: command\ncommand: echo "from the standby"\n')
    job = client.jobs.wait(client.jobs.create(file=spec).name, timeout=300)
    assert job.status == "Completed", job.error
    assert job_row(client._transport.platform, job.name).runner_pid == standby.pid
    assert "from the standby" in client.jobs.logs(job.name).text
    log = (client.settings.resolved_home() / "jobs" / "dev" / job.name / "runner.log").read_text()
    assert "runner started ahead of job" in log and "finished: Completed" in log
    assert launcher._store_key(client.settings) not in launcher._standby  # handed over
    assert standby.wait(timeout=60) == 0


def test_a_runner_started_on_a_new_home_creates_it_private(home: Path) -> None:
    assert not home.exists()
    launcher.start_standby_runner(Settings(home=home))
    standby = launcher._standby.pop(launcher._store_key(Settings(home=home)))
    assert standby.stdin is not None
    standby.stdin.close()  # no job: it ends
    assert home.stat().st_mode & 0o777 == 0o700
    assert standby.wait(timeout=300) == 0


def test_a_runner_handed_no_job_ends_with_the_process_that_started_it(home: Path) -> None:
    script = (
        "from opsloop.config import Settings\n"
        "from opsloop.execution import launcher\n"
        "launcher.start_standby_runner(Settings())\n"
        "print(launcher._standby[launcher._store_key(Settings())].pid)\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    pid = int(started.stdout)
    # It loads, reads the end of its input and exits: no process is left behind (a zombie
    # counts as gone: its reaping is up to whoever adopted it).
    wait_until(lambda: _gone(pid), timeout=300, what=f"standby runner {pid} to end")


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2] in "ZX"
