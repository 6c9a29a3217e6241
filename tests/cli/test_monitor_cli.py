"""`opsloop monitor` as a user runs it: create from an Azure ML schedule file, run, show the
latest run as a table with breaches marked, list, delete."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from starlette.testclient import TestClient

from helpers import opsloop, serving_runtime, write
from opsloop import Client

SCHEDULE = """\
name: watch
trigger:
  type: recurrence
  frequency: hour
  interval: 1
create_monitor:
  compute:
    instance_type: standard_e4s_v3
  monitoring_target:
    ml_task: regression
    endpoint_deployment_id: azureml:ep:blue
  monitoring_signals:
    drift:
      type: data_drift
      reference_data:
        input_data:
          path: azureml:train:1
          type: uri_file
        data_column_names:
          target_column: y
"""


def _serve_drifted_traffic(home: Path, model: Path, data: Path) -> None:
    with Client(home=home, workspace="dev") as client:
        client.workspaces.create(name="dev")
        client.data.create(name="train", type="uri_file", path=str(data))
        client.models.create(name="lin", path=str(model))
        client.online_endpoints.create(name="ep")
        client.online_deployments.create(
            name="blue", endpoint_name="ep", model="lin:1", all_traffic=True,
            overrides=["data_collector.collections.model_inputs.enabled=true"],
        )  # fmt: skip
        key = client.online_endpoints.get_credentials("ep").primary_key
        rng = np.random.default_rng(7)
        with TestClient(
            serving_runtime(client), headers={"authorization": f"Bearer {key}"}
        ) as http:
            for _ in range(10):
                rows = rng.normal(size=(100, 3))
                rows[:, 1] += 4.0  # b drifts
                body = {"input_data": {"columns": ["a", "b", "c"], "data": rows.tolist()}}
                assert http.post("/score", json=body).status_code == 200


def test_create_run_show_list_delete(tmp_path: Path, model_dirs: dict[str, Path]) -> None:
    home = tmp_path / "home"
    rng = np.random.default_rng(0)
    train = pd.DataFrame(rng.normal(size=(2000, 3)), columns=["a", "b", "c"])
    train["y"] = train.sum(axis=1)
    train.to_parquet(tmp_path / "train.parquet")
    _serve_drifted_traffic(home, model_dirs["v1"], tmp_path / "train.parquet")
    spec = write(tmp_path / "schedule.yml", SCHEDULE)

    created = opsloop("monitor", "create", "-f", str(spec), home=home)
    assert "watch" in created.stdout
    assert f"opsloop schedule create -w dev -f {spec}" in created.stderr  # the trigger's way
    assert "compute: monitors run in the opsloop process" in created.stderr

    ran = opsloop("monitor", "run", "watch", home=home)
    assert "Run 1: 1 breach(es); features: b" in ran.stdout
    report = ran.stdout.split("Report: ", 1)[1].strip()
    assert Path(report).is_file() and report.endswith("report.html")

    shown = opsloop("monitor", "show", "watch", "--run", "latest", home=home).stdout
    lines = {line.split("│")[2].strip(): line for line in shown.splitlines() if line.count("│") > 5}
    assert "BREACH" in lines["b"] and "BREACH" not in lines["a"], shown
    assert "normalized_wasserst" in lines["b"]

    as_json = json.loads(
        opsloop("monitor", "show", "watch", "--run", "1", "-o", "json", home=home).stdout
    )
    assert {r["feature"] for r in as_json["results"] if r["breached"]} == {"b"}
    listed = json.loads(opsloop("monitor", "list", "-o", "json", home=home).stdout)
    assert [(m["name"], m["endpoint"], m["deployment"], m["last_run"]) for m in listed] == [
        ("watch", "ep", "blue", "1")
    ]
    opsloop("monitor", "delete", "watch", "-y", home=home)
    missing = opsloop("monitor", "show", "watch", home=home, check=False)
    assert missing.returncode != 0 and "no monitor 'watch'" in missing.stderr
