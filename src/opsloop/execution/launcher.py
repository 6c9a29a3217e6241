"""Start a job's runner as a detached process, so the job outlives the CLI call that made it
(and Ctrl-C on ``--stream`` only stops following)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from opsloop.config import Settings


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
    env = {k: v for k, v in os.environ.items() if k != "OPSLOOP_URI"}
    env.update(store_environment(settings))
    with (folder / "runner.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "opsloop.runner.runner", workspace, job_name],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
            start_new_session=True,
        )
    # Reap the child when it ends so a long-lived server leaves no zombies.
    threading.Thread(target=process.wait, daemon=True).start()
    return process.pid
