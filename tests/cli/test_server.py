"""``opsloop server --no-launch-jobs``: a real server process records jobs and runs none."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from helpers import bootstrap_token, free_port


def test_no_launch_jobs_records_a_job_and_runs_nothing(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    marker = tmp_path / "ran"
    token = bootstrap_token({**os.environ, "OPSLOOP_HOME": str(home)})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "opsloop.cli.main",
            "server",
            "--port",
            str(port),
            "--no-launch-jobs",
        ],
        env={**os.environ, "OPSLOOP_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{port}/api/v1",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if api.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.3)
        assert api.post("/workspaces", json={"name": "dev"}).status_code == 201
        job = api.post("/workspaces/dev/jobs", json={"command": f"touch {marker}"})
        assert job.status_code == 201, job.text
        time.sleep(3)  # a launched runner would have started the step by now
        assert api.get(f"/workspaces/dev/jobs/{job.json()['name']}").json()["status"] == "Queued"
        assert not marker.exists()
        assert not (home / "jobs" / "dev" / job.json()["name"] / "runner.log").exists()
    finally:
        process.terminate()
        process.wait(timeout=30)
