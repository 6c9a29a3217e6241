"""``${{secrets.NAME}}`` in a deployment's environment variables: the scoring script gets
the value, the stored deployment keeps the reference, and the deployment's log masks it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from helpers import bearer, serving_runtime
from opsloop import Client
from opsloop.errors import ValidationError

VALUE = "api-key-6b1d0c9e8f7a"
SCRIPT = """
import hashlib, logging, os

def init():
    logging.getLogger("opsloop.deployments.ep.script").info("init with %s", os.environ["API_KEY"])

def run(raw_data):
    if "fail" in raw_data:
        raise RuntimeError("upstream refused " + os.environ["API_KEY"])
    return {"sha256": hashlib.sha256(os.environ["API_KEY"].encode()).hexdigest(),
            "header": os.environ["HEADER"].replace(os.environ["API_KEY"], "<key>")}
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "score.py").write_text(SCRIPT)
    return folder


def _deploy(client: Client, code: Path, variables: dict[str, str]) -> None:
    client.online_deployments.create(
        name="script", endpoint_name="ep", model="lin:1", all_traffic=True,
        code_configuration={"code": str(code), "scoring_script": "score.py"},
        environment_variables=variables,
    )  # fmt: skip


def test_a_deployment_gets_its_secret_and_its_log_masks_it(
    serving_client: Client, code: Path
) -> None:
    serving_client.secrets.set("API_KEY", VALUE)
    variables = {"API_KEY": "${{secrets.API_KEY}}", "HEADER": "Key ${{secrets.API_KEY}}"}
    _deploy(serving_client, code, variables)
    stored = serving_client.online_deployments.get("script", endpoint_name="ep")
    assert stored.spec["environment_variables"] == variables
    with TestClient(serving_runtime(serving_client), headers=bearer(serving_client)) as http:
        answer = http.post("/score", json={"data": [1]})
        assert answer.json() == {
            "sha256": hashlib.sha256(VALUE.encode()).hexdigest(),
            "header": "Key <key>",
        }
        failed = http.post("/score", json={"fail": True})
        assert failed.status_code == 424
    logs = serving_client.online_deployments.get_logs("script", endpoint_name="ep")
    assert "init with ***" in logs and "upstream refused ***" in logs
    assert VALUE not in logs
    events = [e.model_dump(mode="json") for e in serving_client.events.list(limit=1000)]
    assert VALUE not in json.dumps(events)


def test_an_export_takes_vault_variables_from_the_kubernetes_secret(
    serving_client: Client, code: Path, tmp_path: Path
) -> None:
    serving_client.secrets.set("API_KEY", VALUE)
    _deploy(serving_client, code, {"API_KEY": "${{secrets.API_KEY}}", "MODE": "fast"})
    out = serving_client.online_endpoints.export("ep", "k8s", tmp_path / "export").destination
    (secret,) = [d for d in yaml.safe_load_all((out / "secret.yaml").read_text()) if d]
    assert secret["stringData"]["API_KEY"] == ""  # for the user to fill in
    manifests = [d for d in yaml.safe_load_all((out / "manifests.yaml").read_text()) if d]
    (deployment,) = [d for d in manifests if d["kind"] == "Deployment"]
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["MODE"] == {"name": "MODE", "value": "fast"}
    assert env["API_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "API_KEY"
    bundle = json.loads((out / "script" / "bundle" / "endpoint.json").read_text())
    assert "API_KEY" not in bundle["deployments"]["script"]["spec"]["environment_variables"]
    for path in out.rglob("*"):
        assert not path.is_file() or VALUE.encode() not in path.read_bytes(), path


def test_an_unknown_secret_is_refused_naming_the_file_and_line(
    serving_client: Client, code: Path
) -> None:
    spec = code.parent / "deployment.yml"
    spec.write_text(
        "name: script\nendpoint_name: ep\nmodel: lin:1\ncode_configuration:\n"
        "  code: ./code\n  scoring_script: score.py\nenvironment_variables:\n"
        "  API_KEY: ${{secrets.MISSING}}\n"
    )
    with pytest.raises(ValidationError) as refused:
        serving_client.online_deployments.create(file=spec)
    assert str(refused.value).startswith(f"{spec}:8: environment_variables.API_KEY: ")
    assert "${{secrets.MISSING}} names no secret of workspace 'dev'" in str(refused.value)


BATCH_SCRIPT = """
import hashlib, os
import pandas as pd

def init():
    print("batch init with", os.environ["API_KEY"], flush=True)

def run(mini_batch):
    digest = hashlib.sha256(os.environ["API_KEY"].encode()).hexdigest()
    return pd.DataFrame({"file": [os.path.basename(p) for p in mini_batch], "digest": digest})
"""


def test_a_batch_deployment_gets_its_secret_in_its_job(
    serving_client: Client, tmp_path: Path
) -> None:
    serving_client.secrets.set("API_KEY", VALUE)
    code = tmp_path / "batch-code"
    code.mkdir()
    (code / "score.py").write_text(BATCH_SCRIPT)
    folder = tmp_path / "to-score"
    folder.mkdir()
    (folder / "one.txt").write_text("1")
    serving_client.batch_endpoints.create(name="lin-batch")
    serving_client.batch_deployments.create(
        name="d1", endpoint_name="lin-batch", model="lin:1",
        code_configuration={"code": str(code), "scoring_script": "score.py"},
        environment_variables={"API_KEY": "${{secrets.API_KEY}}"},
    )  # fmt: skip
    job = serving_client.batch_endpoints.invoke("lin-batch", input=str(folder))
    job = serving_client.jobs.wait(job.name, timeout=300)
    assert job.status == "Completed", job.error
    output = Path(job.outputs["predictions"]["url"].removeprefix("file://"))
    assert hashlib.sha256(VALUE.encode()).hexdigest() in (output / "predictions.csv").read_text()
    logs = serving_client.jobs.logs(job.name).text
    assert "batch init with ***" in logs and VALUE not in logs
