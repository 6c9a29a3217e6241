"""The CLI as a user runs it: real processes, real files, JSON output parsed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import EXAMPLE, opsloop, write

TRAIN = EXAMPLE / "mlops" / "azureml" / "train"


def test_help_for_every_noun(tmp_path: Path) -> None:
    for noun in (
        "workspace",
        "registry",
        "datastore",
        "data",
        "environment",
        "component",
        "job",
        "model",
    ):
        result = opsloop(noun, "--help", home=tmp_path)
        assert ("Usage" in result.stdout and "create" in result.stdout) or noun == "job"


def test_bad_yaml_gets_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.delenv("PYTHONWARNINGS")  # Python's own defaults, as a user has them
    created = opsloop("workspace", "create", "--name", "dev", home=home)
    # An embedded call prints what the user asked for and nothing else (no library warnings).
    assert created.stderr.strip() == "", created.stderr
    spec = write(
        tmp_path / "job.yml",
        "type: command\ncommand: echo ${{inputs.n}}\ninputs:\n  n: 1\nlimits:\n  timeout: soon\n",
    )
    result = opsloop("job", "create", "-f", str(spec), home=home, check=False)
    assert result.returncode == 2
    assert f"{spec}:6: limits.timeout:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_typo_in_an_input_type_names_file_line_and_field(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    spec = write(
        tmp_path / "job.yml",
        "type: command\ncommand: echo ${{inputs.a}}\ninputs:\n  a:\n    type: integr\n"
        "    value: 3\n",
    )
    result = opsloop("job", "create", "-w", "dev", "-f", str(spec), home=home, check=False)
    assert result.returncode == 2, result.stderr
    assert f"{spec}:5: inputs.a.type: Input should be 'string', 'integer'" in result.stderr
    assert "Traceback" not in result.stderr


def test_autolog_command_job_metrics_in_job_show_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE / "data" / "generate.py"),
            "--rows",
            "800",
            "--out",
            str(tmp_path / "taxi.csv"),
        ],
        check=True,
    )
    assert data.returncode == 0
    opsloop("workspace", "create", "--name", "dev", home=home)
    opsloop("environment", "create", "-f", str(TRAIN / "train-env.yml"), home=home)
    opsloop(
        "data",
        "create",
        "-f",
        str(TRAIN / "data.yml"),
        "--set",
        f"path={tmp_path / 'taxi.csv'}",
        home=home,
    )
    created = opsloop(
        "job", "create", "-f", str(TRAIN / "autolog-job.yml"), "--stream", "-o", "json", home=home
    )
    job = json.loads(created.stdout)
    assert job["status"] == "Completed"
    shown = json.loads(opsloop("job", "show", "-n", job["name"], "-o", "json", home=home).stdout)
    assert any(name.startswith("training_") for name in shown["metrics"]), shown["metrics"]
    assert shown["params"], "autolog logs the estimator's parameters"


def test_quickstart_ends_with_a_model_whose_lineage_names_job_and_data(tmp_path: Path) -> None:
    home = tmp_path / "qs"
    result = opsloop("quickstart", "--home", str(home), "--rows", "1500", home=home)
    assert "Completed" in result.stdout
    # The outer loop, each step by its identity: cicd promoted, lead approved, and prod's
    # canary took all the traffic from the first release in analysed steps.
    assert "[lead] approved" in result.stdout
    approvals = json.loads(
        opsloop("approval", "list", "-w", "prod", "-o", "json", home=home).stdout
    )
    assert [(a["status"], a["requested_by"], a["decided_by"]) for a in approvals] == [
        ("Approved", "cicd", "lead")
    ]
    (promotion,) = json.loads(
        opsloop("promotion", "list", "-w", "prod", "-o", "json", home=home).stdout
    )
    assert promotion["state"] == "Succeeded", promotion["report"]
    assert [g["gate"] for g in promotion["gate_results"]] == [
        "metric_threshold", "champion_comparison", "approval"
    ]  # fmt: skip
    passed = [c["step"] for c in promotion["rollout"]["checks"] if c["verdict"] == "passed"]
    assert passed == [20, 50, 100]
    endpoint = json.loads(
        opsloop("online-endpoint", "show", "-w", "prod", "-n", "taxi-fare", "-o", "json",
                home=home).stdout
    )  # fmt: skip
    assert endpoint["traffic"] == {"first-release": 0, "taxi-fare-model-1": 100}
    audit = json.loads(opsloop("audit", "list", "--limit", "1000", "-o", "json", home=home).stdout)
    actors = {record["actor"] for record in audit}
    assert {"service_principal:cicd", "lead"} <= actors
    model = json.loads(
        opsloop("model", "show", "-n", "taxi-fare-model@latest", "-o", "json", home=home).stdout
    )
    assert model["version"] == "1"
    assert model["lineage"]["data"] == ["taxi-data:1"]
    assert model["lineage"]["step"] == "train_model"
    job = json.loads(
        opsloop("job", "show", "-n", model["lineage"]["job"], "-o", "json", home=home).stdout
    )
    assert job["status"] == "Completed" and job["type"] == "pipeline"
    # Re-running the pipeline unchanged reuses prep and train; evaluate and register read the
    # registry (is_deterministic: false), so they run again and compare with the champion now
    # registered: the same model, not strictly better, so nothing new is registered.
    rerun = json.loads(
        opsloop(
            "job", "create", "-f", str(TRAIN / "pipeline.yml"), "--stream", "-o", "json", home=home
        ).stdout
    )
    assert rerun["status"] == "Completed"
    reuse = {step["step_name"]: step["reuse_reason"] for step in rerun["steps"]}
    first = {step["step_name"]: step["name"] for step in job["steps"]}
    assert reuse == {
        "prep_data": f"reused from {first['prep_data']}",
        "train_model": f"reused from {first['train_model']}",
        "evaluate_model": "ran: not deterministic",
        "register_model": "ran: not deterministic",
    }
    shown = json.loads(opsloop("job", "show", "-n", rerun["name"], "-o", "json", home=home).stdout)
    evaluate = next(s for s in shown["steps"] if s["step_name"] == "evaluate_model")
    assert evaluate["metrics"]["deploy_flag"] == 0
    assert evaluate["metrics"]["champion_rmse"] == evaluate["metrics"]["rmse"]
    latest = opsloop("model", "show", "-n", "taxi-fare-model@latest", "-o", "json", home=home)
    assert json.loads(latest.stdout)["version"] == "1"
    table = opsloop("job", "show", "-n", rerun["name"], home=home).stdout
    assert "ran: not deterministic" in table and "reused from" in table
