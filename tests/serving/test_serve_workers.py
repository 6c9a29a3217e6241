"""``online-endpoint serve --workers 2``: both processes answer, /metrics adds them up, and
the traffic log has every request after a stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from helpers import free_port
from opsloop import Client


def test_two_workers_share_the_port_and_the_metrics(serving_client: Client, home: Path) -> None:
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True,
        overrides=["instance_count=2"],
    )  # fmt: skip
    key = serving_client.online_endpoints.get_credentials("ep").primary_key
    port = free_port()
    env = {**os.environ, "OPSLOOP_HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "opsloop.cli.main", "online-endpoint", "serve", "-w", "dev",
         "-n", "ep", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/v2/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        headers = {"authorization": f"Bearer {key}"}
        for _ in range(30):
            # A new connection each time, so the kernel spreads them over both workers.
            answer = httpx.post(f"{base}/score", json={"data": [[1, 1, 1]]}, headers=headers)
            assert answer.status_code == 200
        # Each worker counts its own requests within a second; a scrape adds them up.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            metrics = httpx.get(f"{base}/metrics").text
            if _served(metrics) == 30.0:
                break
            time.sleep(0.3)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert "2 worker(s)" in output
    assert _served(metrics) == 30.0
    # Each worker's traffic-log writer process wrote its rows, the last ones at the stop
    # (the SIGTERM above went to the whole process group, writers included).
    entries = serving_client.online_endpoints.request_logs("ep", limit=100)
    assert len(entries) == 30 and {entry.status_code for entry in entries} == {200}


def _served(metrics: str) -> float | None:
    counted = re.search(
        r'opsloop_endpoint_requests_total\{deployment="blue",endpoint="ep",status_code="200"\} (\S+)',
        metrics,
    )
    return float(counted.group(1)) if counted else None
