"""The same pipeline YAML, embedded on SQLite and via the SDK against a real
`opsloop server` on the real PostgreSQL: same statuses, metrics and registered model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from helpers import EXAMPLE, postgres_server
from opsloop import Client
from opsloop.quickstart import generate_taxi_data

TRAIN = EXAMPLE / "mlops" / "azureml" / "train"
pytestmark = pytest.mark.postgres


@pytest.fixture
def server(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with postgres_server(postgres_url, tmp_path) as (url, owner):
        # The remote clients below send the owner's token, as a user's would.
        monkeypatch.setenv("OPSLOOP_TOKEN", owner)
        yield url


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
    data_file = generate_taxi_data(EXAMPLE, tmp_path / "taxi.csv", rows=1500)
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


def _deploy_and_score(client: Client, model_dir: Path) -> list[object]:
    """The same endpoint flow embedded and remote: deploy, score, split, read the traffic log."""
    client.workspaces.create(name="serve")
    client.models.create(name="lin", path=str(model_dir), workspace="serve")
    client.online_endpoints.create(name="lin-ep", workspace="serve")
    for name in ("blue", "green"):
        client.online_deployments.create(
            name=name, endpoint_name="lin-ep", model="lin:1", workspace="serve"
        )
    client.online_endpoints.update("lin-ep", traffic={"blue": 50, "green": 50}, workspace="serve")
    body = {"input_data": {"columns": ["a", "b", "c"], "data": [[1.0, 1.0, 1.0]]}}
    answers = [
        round(client.online_endpoints.invoke("lin-ep", body=body, workspace="serve")[0], 6)
        for _ in range(3)
    ]
    return answers


def test_endpoints_embedded_and_served_on_postgres(
    server: str, tmp_path: Path, model_dirs: dict[str, Path]
) -> None:
    with Client(home=tmp_path / "embedded") as embedded:
        local = _deploy_and_score(embedded, model_dirs["v1"])
    with Client(server) as remote:
        served = _deploy_and_score(remote, model_dirs["v1"])
        deadline = time.monotonic() + 10
        logs: list[object] = []
        while time.monotonic() < deadline and len(logs) < 3:
            time.sleep(0.3)
            logs = remote.online_endpoints.request_logs("lin-ep", workspace="serve")
        key = remote.online_endpoints.get_credentials("lin-ep", workspace="serve").primary_key
        metrics = httpx.get(f"{server}/endpoints/lin-ep/metrics").text
        unauthorised = httpx.post(f"{server}/endpoints/lin-ep/score", json={"data": [[1, 1, 1]]})
        scored = httpx.post(
            f"{server}/endpoints/lin-ep/invocations",
            json={"instances": [[1, 1, 1]]},
            headers={"authorization": f"Bearer {key}"},
        )
        # The server builds the export from its store; this client has none.
        exported = remote.online_endpoints.export(
            "lin-ep", "k8s", tmp_path / "k8s", workspace="serve"
        )
        # An endpoint key scores and does nothing else: the platform API refuses it.
        with_key = httpx.get(
            f"{server}/api/v1/workspaces", headers={"authorization": f"Bearer {key}"}
        )
    assert with_key.status_code == 401, with_key.text
    assert served == local == [6.0, 6.0, 6.0]
    assert set(exported.images) == {"blue", "green"}
    kinds = [
        doc["kind"] for doc in yaml.safe_load_all((tmp_path / "k8s" / "manifests.yaml").read_text())
    ]
    assert kinds.count("Deployment") == 2 and "HTTPRoute" in kinds
    assert (tmp_path / "k8s" / "green" / "bundle" / "deployments" / "green" / "model").is_dir()
    assert len(logs) == 3 and {entry.status_code for entry in logs} == {200}  # type: ignore[attr-defined]
    assert "opsloop_endpoint_requests_total" in metrics
    assert unauthorised.status_code == 401
    assert scored.json() == {"predictions": [pytest.approx(6.0)]}
