"""``durability: durable`` under a real ``online-endpoint serve`` with two workers: a
``kill -9`` of the whole process group under traffic from two clients loses no answered
request's rows, and the next start writes each of them to Parquet exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pandas as pd

from helpers import free_port
from opsloop import Client
from opsloop.serving.collection.collector import read_collected
from opsloop.serving.collection.spool import SUFFIX

KILL_AFTER = 300  # answered requests, from both clients together
COLLECTOR = [
    "data_collector.collections.model_inputs.enabled=true",
    "data_collector.collections.model_outputs.enabled=true",
    "data_collector.collections.request.enabled=true",
    "data_collector.durability=durable",
    "data_collector.flush_interval_s=1",  # several rotations before the kill
    "request_settings.max_concurrent_requests_per_instance=4",  # both clients on one worker
]


def _serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "opsloop.cli.main", "online-endpoint", "serve", "-w", "dev",
         "-n", "ep", "--port", str(port)],
        env={**os.environ, "OPSLOOP_HOME": str(home)}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v2/health/ready").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError(f"the server did not start: {server.communicate()[0].decode()}")


def _traffic(base: str, key: str, answered: list[str], stop: threading.Event, name: str) -> None:
    """One client: requests one after another until the server is gone; keeps the ids of
    the answered ones (and, under ``failed``, any other answer)."""
    headers = {"authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        number = 0
        while not stop.is_set():
            request_id = f"{name}-{number}"
            body = {"input_data": {"columns": ["a", "b", "c"], "data": [[number, 1.0, 2.0]]}}
            try:
                reply = http.post("/score", json=body, headers={"x-request-id": request_id})
            except httpx.TransportError:
                return  # killed
            answered.append(request_id if reply.status_code == 200 else f"failed: {reply.text}")
            number += 1


def test_kill_9_under_traffic_loses_no_answered_row(serving_client: Client, home: Path) -> None:
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True,
        overrides=["instance_count=2", *COLLECTOR],
    )  # fmt: skip
    key = serving_client.online_endpoints.get_credentials("ep").primary_key
    assert key is not None
    store = serving_client.datastores.get("workspaceblobstore")
    root = f"{store.url.rstrip('/')}/modelDataCollector"
    port = free_port()
    server = _serve(home, port)
    answered: dict[str, list[str]] = {"a": [], "b": []}
    stop = threading.Event()
    clients = [
        threading.Thread(target=_traffic, args=(f"http://127.0.0.1:{port}", key, ids, stop, name))
        for name, ids in answered.items()
    ]
    try:
        for client in clients:
            client.start()
        deadline = time.monotonic() + 120
        while sum(map(len, answered.values())) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(server.pid, signal.SIGKILL)  # the supervisor and both workers, mid-traffic
        server.wait(timeout=30)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    acknowledged = {request_id for ids in answered.values() for request_id in ids}
    assert not [answer for answer in acknowledged if answer.startswith("failed")]
    assert len(acknowledged) >= KILL_AFTER and all(answered.values())
    spool = home / "collector-spool" / "ep" / "blue"
    assert list(spool.glob(f"*{SUFFIX}")), "the kill left no spooled rows: nothing was tested"
    before = read_collected(root, "ep", "blue", "model_inputs")
    assert not acknowledged <= set(before["correlationid"])  # missing until the restart

    server = _serve(home, free_port())  # the next start replays what the kill left
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            inputs = read_collected(root, "ep", "blue", "model_inputs")
            if acknowledged <= set(inputs["correlationid"]):
                break
            time.sleep(0.3)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=60)

    for collection in ("model_inputs", "model_outputs", "request"):
        frame = read_collected(root, "ep", "blue", collection)
        _assert_each_once(frame, acknowledged, collection)
    inputs = read_collected(root, "ep", "blue", "model_inputs")
    answered_inputs = inputs[inputs["correlationid"].isin(acknowledged)]
    numbers = answered_inputs["correlationid"].str.split("-").str[1].astype(float)
    assert (answered_inputs["a"].to_numpy() == numbers.to_numpy()).all()
    assert not list(spool.glob(f"*{SUFFIX}"))  # all replayed, and the clean stop wrote the rest


def _assert_each_once(frame: pd.DataFrame, acknowledged: set[str], collection: str) -> None:
    # A request killed after its append but before its answer may be there too; an
    # answered one must be there, once (one row each: single-row requests).
    counts = frame["correlationid"].value_counts()
    missing = acknowledged - set(counts.index)
    assert not missing, f"{collection}: {len(missing)} answered requests lost"
    twice = counts[counts > 1]
    assert twice.empty, f"{collection}: written more than once: {twice.to_dict()}"
