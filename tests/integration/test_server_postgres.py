"""The same pipeline YAML, embedded on SQLite and via the SDK against a real
`opsloop server` on the real PostgreSQL: same statuses, metrics and registered model."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import EXAMPLE
from opsloop import Client
from opsloop.quickstart import _generate_data

TRAIN = EXAMPLE / "mlops" / "azureml" / "train"
pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(postgres_url: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "OPSLOOP_DATABASE_URL": postgres_url,
        "OPSLOOP_HOME": str(tmp_path / "server-home"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "opsloop.cli.main", "server", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            process.kill()
            raise AssertionError(
                process.stdout.read().decode() if process.stdout else "server did not start"
            )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _run_pipeline(client: Client, data_file: Path) -> dict[str, object]:
    client.workspaces.create(name="dev")
    client.environments.create(file=TRAIN / "train-env.yml")
    client.data.create(file=TRAIN / "data.yml", overrides=[f"path={data_file}"])
    job = client.jobs.create(file=TRAIN / "pipeline.yml", overrides=["inputs.n_estimators=10"])
    job = client.jobs.wait(job.name, timeout=300)
    assert job.status == "Completed", job.error
    model = client.models.get("taxi-fare-model@latest")
    evaluate = next(s for s in job.steps if s.step_name == "evaluate_model")
    return {
        "statuses": [(s.step_name, s.status) for s in job.steps],
        "rmse": round(evaluate.metrics["rmse"], 6),
        "metric_names": {s.step_name: sorted(s.metrics) for s in job.steps},
        "model": (model.name, model.version, model.lineage.step, model.lineage.data, model.flavors),
        "lineage_job": model.lineage.job == job.name,
    }


def test_same_pipeline_embedded_and_remote_on_postgres(server: str, tmp_path: Path) -> None:
    data_file = _generate_data(EXAMPLE, tmp_path / "taxi.csv", rows=1500)
    with Client(home=tmp_path / "embedded", workspace="dev") as embedded:
        local = _run_pipeline(embedded, data_file)
    with Client(server, workspace="dev") as remote:
        assert remote.is_remote
        served = _run_pipeline(remote, data_file)
        openapi = remote.request("GET", "/openapi.json")
        loaded = remote.models.load("taxi-fare-model@latest")
    assert served == local
    assert local["model"] == (
        "taxi-fare-model",
        "1",
        "train_model",
        ["taxi-data:1"],
        ["python_function", "sklearn"],
    )
    assert "/api/v1/workspaces/{workspace}/jobs" in openapi["paths"]
    assert loaded.metadata.flavors.get("sklearn") is not None
