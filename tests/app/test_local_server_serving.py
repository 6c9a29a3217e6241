"""Scoring through the home's local server: the endpoint stays loaded between calls, and
each call still answers, logs and collects what a call in process would, changes included."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from opsloop import Client
from opsloop.app.local_server import (
    find_local_server,
    socket_path,
    start_local_server,
    stop_local_server,
)
from opsloop.serving.collection.collector import read_collected

ROW = {"input_data": {"columns": ["a", "b", "c"], "data": [[1.0, 1.0, 1.0]]}}
COLLECT = [
    "data_collector.collections.model_inputs.enabled=true",
    "data_collector.collections.model_outputs.enabled=true",
    "data_collector.flush_interval_s=600",  # only what each call writes before it returns
]
SCRIPT = """
import hashlib, os

def init():
    pass

def run(raw_data):
    return {"sha256": hashlib.sha256(os.environ["API_KEY"].encode()).hexdigest()}
"""


@pytest.fixture
def through_server(
    monkeypatch: pytest.MonkeyPatch, home: Path, tmp_path: Path, model_dirs: dict[str, Path]
) -> Iterator[Client]:
    """Endpoint ``ep`` with model ``lin`` v1 and v2, and a client whose calls go to the home's
    local server (the in-process client beside it made the workspace and the models)."""
    monkeypatch.delenv("OPSLOOP_LOCAL_SERVER")
    monkeypatch.chdir(tmp_path)  # the server's folder must be the calls' folder
    home.mkdir(mode=0o700)
    with Client(home=home, workspace="dev") as setup:
        setup.workspaces.create(name="dev")
        setup.models.create(name="lin", path=str(model_dirs["v1"]))
        setup.models.create(name="lin", path=str(model_dirs["v2"]))
        setup.online_endpoints.create(name="ep")
    start_local_server(home)
    try:
        deadline = time.monotonic() + 90
        while find_local_server(home) is None:
            assert time.monotonic() < deadline, (home / "local-server.log").read_text()
            time.sleep(0.1)
        with Client(home=home, workspace="dev", local_server=True) as client:
            assert client.via_local_server
            yield client
    finally:
        stop_local_server(home)


def _loads(client: Client, deployment: str) -> int:
    """How many times the deployment's model was loaded (each load writes one log line)."""
    logs = client.online_deployments.get_logs(deployment, endpoint_name="ep", lines=1000)
    return sum(f"loaded {deployment} " in line for line in logs.splitlines())


def _collected(client: Client, collection: str) -> int:
    store = client.datastores.get("workspaceblobstore")
    root = f"{store.url.rstrip('/')}/modelDataCollector"
    try:
        return len(read_collected(root, "ep", "blue", collection))
    except FileNotFoundError:
        return 0


def test_the_model_stays_loaded_and_each_call_writes_what_it_collected(
    through_server: Client, home: Path
) -> None:
    client = through_server
    client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True, overrides=COLLECT
    )
    for calls in (1, 2, 3):
        assert client.online_endpoints.invoke("ep", body=ROW) == [pytest.approx(6.0)]
        # Written before the answer came back, not at the collector's next flush.
        assert _collected(client, "model_inputs") == calls
        assert _collected(client, "model_outputs") == calls
        assert len(client.online_endpoints.request_logs("ep")) == calls
    assert _loads(client, "blue") == 1  # in process, each call loads it again

    # A change is served by the very next call: the new model, then the endpoint gone.
    client.online_deployments.update(
        name="blue", endpoint_name="ep", model="lin:2", overrides=COLLECT
    )
    assert client.online_endpoints.invoke("ep", body=ROW) == [pytest.approx(10.0)]
    assert _loads(client, "blue") == 2
    key = client.online_endpoints.get_credentials("ep").primary_key
    client.online_endpoints.delete("ep")
    socket = socket_path(home)
    assert socket is not None
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(socket))) as http:
        gone = http.post(
            "http://local/endpoints/ep/score", json=ROW, headers={"authorization": f"Bearer {key}"}
        )
    assert gone.status_code == 404, gone.text  # its old key no longer scores anything


def test_mirrored_copies_and_traffic_changes_are_done_before_the_answer(
    through_server: Client,
) -> None:
    client = through_server
    client.online_deployments.create(name="blue", endpoint_name="ep", model="lin:1")
    client.online_deployments.create(name="green", endpoint_name="ep", model="lin:2")
    client.online_endpoints.update("ep", traffic={"blue": 100}, mirror_traffic={"green": 50})
    for calls in range(1, 21):  # about half the calls are mirrored: 20 to see one surely
        assert client.online_endpoints.invoke("ep", body=ROW) == [pytest.approx(6.0)]
        logged = client.online_endpoints.request_logs("ep", limit=1000)
        live = {e.request_id for e in logged if e.deployment == "blue" and not e.mirrored}
        mirrored = {e.request_id for e in logged if e.deployment == "green" and e.mirrored}
        assert len(live) == calls and mirrored <= live
        if mirrored and max(logged, key=lambda e: e.at).deployment == "green":
            break  # this call's copy was scored and logged before the call returned
    else:
        raise AssertionError("no call was mirrored")

    client.online_endpoints.update("ep", traffic={"green": 100}, mirror_traffic={})
    assert client.online_endpoints.invoke("ep", body=ROW) == [pytest.approx(10.0)]
    assert client.online_endpoints.invoke("ep", body=ROW, deployment_name="blue") == [
        pytest.approx(6.0)
    ]
    assert (_loads(client, "blue"), _loads(client, "green")) == (1, 1)


def test_a_changed_secret_reaches_the_next_call(through_server: Client, tmp_path: Path) -> None:
    client = through_server
    code = tmp_path / "code"
    code.mkdir()
    (code / "score.py").write_text(SCRIPT)
    client.secrets.set("API_KEY", "first")
    client.online_deployments.create(
        name="script", endpoint_name="ep", model="lin:1", all_traffic=True,
        code_configuration={"code": str(code), "scoring_script": "score.py"},
        environment_variables={"API_KEY": "${{secrets.API_KEY}}"},
    )  # fmt: skip
    for value in ("first", "second"):
        client.secrets.set("API_KEY", value)
        answer = client.online_endpoints.invoke("ep", body={"data": [1]})
        assert answer == {"sha256": hashlib.sha256(value.encode()).hexdigest()}
