"""Start a job's runner as a detached process, so the job outlives the CLI call that made it
(and Ctrl-C on ``--stream`` only stops following)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from opsloop.config import Settings
from opsloop.security.private_files import make_private_dir

RUNNER = "opsloop.runner.runner"
STANDBY = "--standby"  # the runner's argument: wait for a job on standard input
_standby: dict[str, subprocess.Popen[bytes]] = {}
_standby_lock = threading.Lock()
# A long-lived process that hands jobs to standby runners (the home's local server) starts
# the next one this long after handing one over, so its loading does not compete with the
# job just started for the CPU.
REPLENISH_AFTER_S = 3.0
_replenish: Settings | None = None


def store_environment(settings: Settings) -> dict[str, str]:
    """The variables that point a process at this exact store, resolved to absolute values."""
    return {
        "OPSLOOP_HOME": str(settings.resolved_home()),
        "OPSLOOP_DATABASE_URL": settings.resolved_database_url(),
        "OPSLOOP_ARTIFACT_URI": settings.resolved_artifact_uri(),
        "OPSLOOP_MLFLOW_TRACKING_URI": settings.resolved_mlflow_tracking_uri(),
        "OPSLOOP_MAX_PARALLEL_STEPS": str(settings.max_parallel_steps),
        "OPSLOOP_RUNNER_HEARTBEAT_INTERVAL_S": str(settings.runner_heartbeat_interval_s),
        "OPSLOOP_RUNNER_LOST_AFTER_S": str(settings.runner_lost_after_s),
    }


def job_folder(settings: Settings, workspace: str, job_name: str) -> Path:
    return settings.resolved_home() / "jobs" / workspace / job_name


def launch_runner(settings: Settings, workspace: str, job_name: str) -> int:
    folder = job_folder(settings, workspace, job_name)
    folder.mkdir(parents=True, exist_ok=True)
    standby = _hand_to_standby(settings, workspace, job_name)
    if standby is not None:
        if _replenish is not None:
            timer = threading.Timer(REPLENISH_AFTER_S, start_standby_runner, [_replenish])
            timer.daemon = True
            timer.start()
        return standby
    return launch_detached(settings, RUNNER, [workspace, job_name], folder, log="runner.log")


def launch_detached(
    settings: Settings, module: str, args: list[str], folder: Path, *, log: str = "driver.log"
) -> int:
    """Run ``python -m module args`` detached, against this store, in ``folder`` (its
    output in ``log`` there): for runners and drivers (a promotion's) that must outlive
    the call that started them."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / log).open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=_runner_environment(settings),
            cwd=folder,
            start_new_session=True,
        )
    _reap(process)
    return process.pid


def start_standby_runner(settings: Settings) -> None:
    """Start a runner before its job exists: it loads what every job needs (its imports,
    the store, MLflow: a second or more) and waits for ``launch_runner`` to hand it one.

    A command-line call about to submit a job starts one first, so that work overlaps the
    call's own start-up instead of following the submission. Handed no job, it ends when
    this process does (its end of the pipe closes)."""
    key = _store_key(settings)
    with _standby_lock:
        running = _standby.get(key)
        if running is not None and running.poll() is None:
            return
        # This may be the first thing to touch the home: create it for its owner only, as
        # the platform does (a folder that exists keeps its mode).
        make_private_dir(settings.resolved_home())
        folder = settings.resolved_home() / "jobs"
        folder.mkdir(exist_ok=True)
        _standby[key] = subprocess.Popen(
            [sys.executable, "-m", RUNNER, STANDBY],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,  # until it has a job, whose runner.log it then writes
            stderr=subprocess.DEVNULL,
            env=_runner_environment(settings),
            cwd=folder,
            start_new_session=True,
        )


def keep_standby_runner(settings: Settings) -> None:
    """Keep a runner loaded ahead for this process's jobs from now on: one now, and the
    next each time one is handed a job."""
    global _replenish
    _replenish = settings
    start_standby_runner(settings)


def _hand_to_standby(settings: Settings, workspace: str, job_name: str) -> int | None:
    """Give the job to this process's standby runner for the store; its pid, or None."""
    with _standby_lock:
        process = _standby.pop(_store_key(settings), None)
    if process is None or process.stdin is None or process.poll() is not None:
        return None
    try:
        process.stdin.write(f"{workspace}\n{job_name}\n".encode())
        process.stdin.close()
    except OSError:  # it ended meanwhile: start a runner as usual
        return None
    _reap(process)
    return process.pid


def _runner_environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPSLOOP_URI"}
    env.update(store_environment(settings))
    return env


def _store_key(settings: Settings) -> str:
    return repr(sorted(store_environment(settings).items()))


def _reap(process: subprocess.Popen[bytes]) -> None:
    # Reap the child when it ends so a long-lived server leaves no zombies.
    threading.Thread(target=process.wait, daemon=True).start()
