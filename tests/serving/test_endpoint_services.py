"""Endpoint and deployment rules: bad input is refused with the field named, nothing stored."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from helpers import serving_runtime
from opsloop import Client
from opsloop.errors import ConflictError, NotFoundError, OpsloopError, ValidationError
from opsloop.store.tables import AuditRow, OutboxEventRow


def test_traffic_rules(serving_client: Client) -> None:
    for name in ("blue", "green"):
        serving_client.online_deployments.create(name=name, endpoint_name="ep", model="lin:1")
    with pytest.raises(ValidationError, match="add up to 0 or 100"):
        serving_client.online_endpoints.update("ep", traffic={"blue": 50, "green": 40})
    with pytest.raises(ValidationError, match="no deployment 'ghost'") as caught:
        serving_client.online_endpoints.update("ep", traffic={"ghost": 100})
    assert caught.value.field == "traffic"
    with pytest.raises(ValidationError, match="between 0 and 100") as caught:
        serving_client.online_endpoints.update(
            "ep", traffic={"blue": 100}, mirror_traffic={"green": -5}
        )
    assert caught.value.field == "mirror_traffic"
    with pytest.raises(ValidationError, match="cannot also take mirror"):
        serving_client.online_endpoints.update(
            "ep", traffic={"blue": 100}, mirror_traffic={"blue": 10}
        )
    with pytest.raises(ValidationError, match="at most 50") as caught:
        serving_client.online_endpoints.update(
            "ep", traffic={"blue": 100}, mirror_traffic={"green": 60}
        )
    assert caught.value.field == "mirror_traffic"
    assert serving_client.online_endpoints.get("ep").traffic == {}  # nothing half-applied
    serving_client.online_endpoints.update(
        "ep", traffic={"blue": 100}, mirror_traffic={"green": 10}
    )
    with pytest.raises(ConflictError, match="takes 100%"):
        serving_client.online_deployments.delete("blue", endpoint_name="ep")
    with pytest.raises(ConflictError, match=r"mirror traffic.*--mirror-traffic"):
        serving_client.online_deployments.delete("green", endpoint_name="ep")


def test_names_and_references(serving_client: Client) -> None:
    serving_client.workspaces.create(name="other")
    with pytest.raises(ConflictError):  # endpoint names are unique across workspaces
        serving_client.online_endpoints.create(name="ep", workspace="other")
    with pytest.raises(ValidationError) as caught:
        serving_client.online_deployments.create(name="blue", endpoint_name="ep", model="lin:9")
    assert caught.value.field == "model"
    with pytest.raises(NotFoundError):
        serving_client.online_deployments.create(name="blue", endpoint_name="nope", model="lin:1")
    with pytest.raises(ValidationError, match="needs a model, a code_configuration"):
        serving_client.online_deployments.create(name="blue", endpoint_name="ep")
    assert serving_client.online_deployments.list(endpoint_name="ep") == []
    body = {"name": "green", "endpoint_name": "ep", "model": "lin:1"}
    with pytest.raises(ValidationError, match="the body names deployment 'green'") as caught:
        serving_client.request(
            "PUT", "/workspaces/dev/online-endpoints/ep/deployments/blue", json=body
        )
    assert caught.value.field == "name"
    with pytest.raises(ValidationError, match="the body names endpoint 'ep'"):
        serving_client.request(
            "POST", "/workspaces/dev/batch-endpoints/other/deployments", json=body
        )


def test_yaml_errors_name_file_and_line(serving_client: Client, tmp_path: Path) -> None:
    spec = tmp_path / "deployment.yml"
    spec.write_text("name: blue\nendpoint_name: ep\nmodel: lin:1\ninstance_count: 0\n")
    with pytest.raises(ValidationError) as caught:
        serving_client.online_deployments.create(file=spec)
    assert caught.value.line == 4 and caught.value.field == "instance_count"


def test_scoring_script_problems_are_refused(serving_client: Client, script_dir: Path) -> None:
    (script_dir / "broken.py").write_text(
        "def init():\n    raise RuntimeError('no GPU')\n\ndef run(raw):\n    return raw\n"
    )
    with pytest.raises(ValidationError, match="init\\(\\) failed: RuntimeError: no GPU"):
        serving_client.online_deployments.create(
            name="blue", endpoint_name="ep", model="lin:1",
            code_configuration={"code": str(script_dir), "scoring_script": "broken.py"},
        )  # fmt: skip
    with pytest.raises(ValidationError, match="not in the code folder"):
        serving_client.online_deployments.create(
            name="blue", endpoint_name="ep", model="lin:1",
            code_configuration={"code": str(script_dir), "scoring_script": "missing.py"},
        )  # fmt: skip
    assert serving_client.online_deployments.list(endpoint_name="ep") == []
    # The refused deployment was never stored, but its log says why.
    logs = serving_client.online_deployments.get_logs("blue", endpoint_name="ep")
    assert "no GPU" in logs
    with pytest.raises(NotFoundError, match="no deployment 'ghost' and no log"):
        serving_client.online_deployments.get_logs("ghost", endpoint_name="ep")


def test_provisioning_holds_no_database_lock_and_its_failure_is_audited(
    serving_client: Client, script_dir: Path, home: Path
) -> None:
    marker = script_dir / "init-started"
    (script_dir / "slow.py").write_text(
        "import os, pathlib, time\n"
        "def init():\n    pathlib.Path(os.environ['MARKER']).touch()\n    time.sleep(4)\n"
        "    raise RuntimeError('gave up')\n"
        "def run(raw):\n    return raw\n"
    )
    failure: list[BaseException] = []

    def create() -> None:
        try:
            serving_client.online_deployments.create(
                name="slow", endpoint_name="ep", model="lin:1",
                code_configuration={"code": str(script_dir), "scoring_script": "slow.py"},
                environment_variables={"MARKER": str(marker)},
            )  # fmt: skip
        except BaseException as exc:
            failure.append(exc)

    provisioning = threading.Thread(target=create)
    provisioning.start()
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "init() never started"
    with Client(home=home, workspace="dev") as other:
        other.workspaces.create(name="meanwhile")  # a write while init() is still running
    assert provisioning.is_alive()  # the write did not wait for provisioning to finish
    provisioning.join(timeout=60)
    assert len(failure) == 1 and "gave up" in str(failure[0])
    assert serving_client.online_deployments.list(endpoint_name="ep") == []
    platform = serving_client._transport.platform
    with platform.database.transaction() as session:
        outcomes = session.scalars(
            select(AuditRow.outcome).where(AuditRow.target == "online-deployment:ep/slow")
        ).all()
    assert outcomes == ["failed"]


def test_deployment_events_name_the_models(serving_client: Client) -> None:
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True
    )
    serving_client.online_deployments.update(name="blue", endpoint_name="ep", model="lin:2")
    platform = serving_client._transport.platform
    with platform.database.transaction() as session:
        events = session.execute(
            select(OutboxEventRow.type, OutboxEventRow.subject, OutboxEventRow.payload)
            .where(OutboxEventRow.type.like("online_deployment.%"))
            .order_by(OutboxEventRow.id)
        ).all()
    assert [(kind, subject) for kind, subject, _ in events] == [
        ("online_deployment.created", "online-deployment:ep/blue"),
        ("online_deployment.updated", "online-deployment:ep/blue"),
    ]
    created, updated = (payload for _, _, payload in events)
    assert (created["model"], created["all_traffic"]) == ("lin:1", True)
    assert (updated["model"], updated["previous_model"]) == ("lin:2", "lin:1")


def test_update_without_a_spec_changes_only_what_it_names(serving_client: Client) -> None:
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True,
        environment_variables={"MODE": "strict"},
        overrides=[
            "request_settings.max_concurrent_requests_per_instance=8",
            "data_collector.collections.model_inputs.enabled=true",
        ],
    )  # fmt: skip
    rolled = serving_client.online_deployments.update(
        name="blue", endpoint_name="ep", model="lin:2",
        overrides=["request_settings.request_timeout_ms=2000"],
    )  # fmt: skip
    assert rolled.model == "lin:2"
    spec = serving_client.online_deployments.get("blue", endpoint_name="ep").spec
    assert spec["request_settings"]["max_concurrent_requests_per_instance"] == 8
    assert spec["request_settings"]["request_timeout_ms"] == 2000
    assert spec["data_collector"]["collections"]["model_inputs"]["enabled"] is True
    assert spec["environment_variables"] == {"MODE": "strict"}
    with pytest.raises(OpsloopError, match="name the deployment to update"):
        serving_client.online_deployments.update(model="lin:1")
    with pytest.raises(NotFoundError, match="no deployment 'green'"):
        serving_client.online_deployments.update(name="green", endpoint_name="ep", model="lin:1")


def test_an_update_worked_out_from_a_stale_read_is_refused(serving_client: Client) -> None:
    """Flag-only updates read, change and write back; a change in between is a conflict
    (409), never a silently lost update."""
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True
    )
    read = serving_client.online_endpoints.get("ep").revision
    serving_client.online_endpoints.update("ep", description="someone else's change")
    with pytest.raises(ConflictError, match=f"changed since it was read \\(revision {read},"):
        serving_client.request(
            "PATCH", "/workspaces/dev/online-endpoints/ep",
            json={"traffic": {"blue": 100}, "revision": read},
        )  # fmt: skip
    spec = serving_client.online_deployments.get("blue", endpoint_name="ep").spec
    with pytest.raises(ConflictError, match="changed since it was read"):
        serving_client.request(
            "PUT", "/workspaces/dev/online-endpoints/ep/deployments/blue",
            json={**spec, "model": "lin:2"}, params={"endpoint_revision": read},
        )  # fmt: skip
    assert serving_client.online_deployments.get("blue", endpoint_name="ep").model == "lin:1"
    current = serving_client.online_endpoints.get("ep").revision
    serving_client.request(
        "PUT", "/workspaces/dev/online-endpoints/ep/deployments/blue",
        json={**spec, "model": "lin:2"}, params={"endpoint_revision": current},
    )  # fmt: skip
    assert serving_client.online_deployments.get("blue", endpoint_name="ep").model == "lin:2"


def test_onnx_runtime_is_verified_and_matches(serving_client: Client) -> None:
    from starlette.testclient import TestClient

    deployment = serving_client.online_deployments.create(
        name="fast", endpoint_name="ep", model="lin:1", all_traffic=True,
        overrides=["inference_runtime=onnx"],
    )  # fmt: skip
    assert deployment.spec["inference_runtime"] == "onnx"
    logs = serving_client.online_deployments.get_logs("fast", endpoint_name="ep")
    assert "inference runtime onnx (onnx: converted to ONNX, same predictions" in logs
    key = serving_client.online_endpoints.get_credentials("ep").primary_key
    app = serving_runtime(serving_client)
    with TestClient(app, headers={"authorization": f"Bearer {key}"}) as http:
        answer = http.post("/score", json={"data": [[1.0, 2.0, 3.0]]})
        assert answer.json() == [pytest.approx(14.0, rel=1e-4)]
        assert http.get("/v2/models/fast").json()["platform"] == "onnx"


def test_batch_endpoint_scores_a_folder(serving_client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "to-score"
    folder.mkdir()
    for index in range(4):
        pd.DataFrame({"a": [index, 1.0], "b": [0.0, 1.0], "c": [0.0, 1.0]}).to_csv(
            folder / f"part-{index}.csv", index=False
        )
    serving_client.batch_endpoints.create(name="lin-batch")
    serving_client.batch_deployments.create(
        name="d1", endpoint_name="lin-batch", model="lin:1", mini_batch_size=3
    )
    assert serving_client.batch_endpoints.get("lin-batch").default_deployment == "d1"
    job = serving_client.batch_endpoints.invoke("lin-batch", input=str(folder))
    job = serving_client.jobs.wait(job.name, timeout=300)
    assert job.status == "Completed", job.error
    assert job.metrics["succeeded_items"] == 4 and job.metrics["failed_items"] == 0
    output = Path(job.outputs["predictions"]["url"].removeprefix("file://"))
    predictions = pd.read_csv(output / "predictions.csv")
    assert len(predictions) == 8
    assert sorted(predictions["prediction"].round(6)) == sorted([0.0, 1.0, 2.0, 3.0] + [6.0] * 4)
    assert [j.name for j in serving_client.batch_endpoints.list_jobs("lin-batch")] == [job.name]
    with pytest.raises(ValidationError, match="no deployment 'ghost'"):
        serving_client.batch_endpoints.invoke(
            "lin-batch", input=str(folder), deployment_name="ghost"
        )


def test_deployments_take_inline_and_curated_environments_as_azure_ml_writes_them(
    serving_client: Client, tmp_path: Path
) -> None:
    (tmp_path / "conda.yml").write_text("dependencies:\n  - python=3.11\n  - pip: [scikit-learn]\n")
    spec = tmp_path / "green.yml"
    spec.write_text(
        "name: green\nendpoint_name: ep\nmodel: azureml:lin:1\n"
        "environment:\n  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"
        "  conda_file: conda.yml\n"
    )
    green = serving_client.online_deployments.create(file=spec)
    assert green.spec["environment"]["conda_file"]["dependencies"][1] == {"pip": ["scikit-learn"]}
    curated = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"
    blue = serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", environment=curated
    )
    assert blue.spec["environment"] == curated
