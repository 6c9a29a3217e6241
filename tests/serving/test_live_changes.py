"""Live changes under load lose nothing; collected data holds every scored row once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from helpers import free_port, serving_runtime
from opsloop import Client
from opsloop.serving.collection.collector import read_collected

ROW = {"input_data": {"columns": ["a", "b", "c"], "data": [[1.0, 1.0, 1.0]]}}
WIDE = ["request_settings.max_concurrent_requests_per_instance=16"]


@pytest.fixture
def served(serving_client: Client) -> Iterator[str]:
    """A real uvicorn server over the runtime, polling the store every 50 ms."""
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True, overrides=WIDE
    )
    app = serving_runtime(serving_client, poll_interval_s=0.05)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def test_traffic_changes_and_rollouts_drop_nothing(serving_client: Client, served: str) -> None:
    key = serving_client.online_endpoints.get_credentials("ep").primary_key
    stop = threading.Event()
    statuses: Counter[int] = Counter()
    answers: Counter[float] = Counter()
    after_live_roll: Counter[float] = Counter()
    rolled_live = threading.Event()
    lock = threading.Lock()

    def hammer() -> None:
        with httpx.Client(base_url=served, headers={"authorization": f"Bearer {key}"}) as http:
            while not stop.is_set():
                sent_after_roll = rolled_live.is_set()  # read before sending: no stale answer
                response = http.post("/score", json=ROW)
                with lock:
                    statuses[response.status_code] += 1
                    if response.status_code == 200:
                        answer = round(response.json()[0], 3)
                        answers[answer] += 1
                        if sent_after_roll:
                            after_live_roll[answer] += 1

    workers = [threading.Thread(target=hammer) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.3)
        serving_client.online_deployments.create(
            name="green", endpoint_name="ep", model="lin:2", overrides=WIDE
        )
        serving_client.online_endpoints.update("ep", traffic={"blue": 50, "green": 50})
        time.sleep(0.3)
        serving_client.online_endpoints.update("ep", traffic={"blue": 0, "green": 100})
        time.sleep(0.3)
        serving_client.online_deployments.update(
            name="blue", endpoint_name="ep", model="lin:2", overrides=WIDE
        )  # roll blue to the new version while it is idle
        serving_client.online_endpoints.update("ep", traffic={"blue": 100, "green": 0})
        time.sleep(0.3)
        serving_client.online_deployments.delete("green", endpoint_name="ep")
        time.sleep(0.3)
        # Roll blue back to version 1 while it takes all the traffic.
        with lock:
            seen_before = answers[6.0]
        serving_client.online_deployments.update(name="blue", endpoint_name="ep", model="lin:1")
        deadline = time.monotonic() + 15
        while answers[6.0] == seen_before and time.monotonic() < deadline:
            time.sleep(0.02)
        rolled_live.set()  # a 6.0 came back: the new snapshot takes every request from now
        time.sleep(0.3)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert set(statuses) == {200}, statuses
    assert sum(statuses.values()) > 100
    assert set(answers) == {6.0, 10.0}  # both model versions answered along the way
    assert set(after_live_roll) == {6.0}, after_live_roll  # the live roll took effect


def test_data_collector_keeps_every_scored_row_once(serving_client: Client) -> None:
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True,
        overrides=[
            "data_collector.collections.model_inputs.enabled=true",
            "data_collector.collections.model_outputs.enabled=true",
            "data_collector.flush_interval_s=0.05",
        ],
    )  # fmt: skip
    key = serving_client.online_endpoints.get_credentials("ep").primary_key
    app = serving_runtime(serving_client)
    sent: dict[str, int] = {}
    with TestClient(app, headers={"authorization": f"Bearer {key}"}) as http:
        for index in range(120):
            rows = [[float(index), float(r), 0.0] for r in range(1 + index % 3)]
            body = {"input_data": {"columns": ["a", "b", "c"], "data": rows}}
            response = http.post("/score", json=body, headers={"x-request-id": f"req-{index}"})
            assert response.status_code == 200
            sent[f"req-{index}"] = len(rows)
    assert app.live.endpoints == {}  # shut down: every collector closed and flushed
    root = _collector_root(serving_client)
    inputs = read_collected(root, "ep", "blue", "model_inputs")
    outputs = read_collected(root, "ep", "blue", "model_outputs")
    assert len(inputs) == sum(sent.values())
    assert not inputs.duplicated(["correlationid", "row_index"]).any()
    assert inputs.groupby("correlationid").size().to_dict() == sent
    joined = inputs.merge(outputs, on=["correlationid", "row_index"], validate="one_to_one")
    assert len(joined) == len(inputs)
    assert (
        joined["prediction"] - (joined["a"] + 2 * joined["b"] + 3 * joined["c"])
    ).abs().max() < 1e-6


def _collector_root(client: Client) -> str:
    store = client.datastores.get("workspaceblobstore")
    return f"{store.url.rstrip('/')}/modelDataCollector"
