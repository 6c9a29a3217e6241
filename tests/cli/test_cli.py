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


def _monitoring_closed_the_loop(home: Path, stdout: str) -> None:
    """Step 8: drifted trips alerted the monitor, the alert's one delivery retrained in dev,
    and the new version waits for promotion with a command that runs as printed."""
    lines = stdout.splitlines()
    alert = next(line for line in lines if "[cicd] monitor run" in line)
    assert "ALERT on" in alert and "taxi_data_drift" in alert.split(";")[0], alert
    drifted = next(line for line in lines if "drifted features:" in line)
    assert "distance (normalized_wasserstein_distance" in drifted, drifted
    assert "vendor (jensen_shannon_distance" in drifted, drifted
    report = Path(next(line for line in lines if "report: " in line).split("report: ")[1])
    assert report.is_file() and report.read_text().lstrip().lower().startswith("<!doctype html")
    (delivery,) = json.loads(
        opsloop("subscription", "deliveries", "retrain-on-drift", "-o", "json", home=home).stdout
    )
    assert delivery["status"] == "delivered" and delivery["event_type"] == "monitor.alerted"
    retraining = delivery["effect"].removeprefix("job:dev/")
    job = json.loads(opsloop("job", "show", "-n", retraining, "-o", "json", home=home).stdout)
    assert job["status"] == "Completed" and job["type"] == "pipeline"
    jobs = json.loads(opsloop("job", "list", "-w", "dev", "-o", "json", home=home).stdout)
    assert [j["name"] for j in jobs if j["name"].startswith("retrain-on-drift")] == [retraining]
    model = json.loads(
        opsloop("model", "show", "-n", "taxi-fare-model@latest", "-o", "json", home=home).stdout
    )
    assert (model["version"], model["lineage"]["job"]) == ("2", retraining)
    assert model["lineage"]["data"] == ["taxi-data:2"]
    command = lines[lines.index(next(line for line in lines if "waits for promotion" in line)) + 1]
    assert "model promote -w dev -n taxi-fare-model:2 --to staging" in command
    promoted = subprocess.run(command.strip(), shell=True, text=True, capture_output=True,
                              timeout=600)  # fmt: skip
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert "Succeeded" in promoted.stdout, promoted.stdout


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
        opsloop("model", "show", "-n", "taxi-fare-model:1", "-o", "json", home=home).stdout
    )
    assert model["lineage"]["data"] == ["taxi-data:1"]
    assert model["lineage"]["step"] == "train_model"
    job = json.loads(
        opsloop("job", "show", "-n", model["lineage"]["job"], "-o", "json", home=home).stdout
    )
    assert job["status"] == "Completed" and job["type"] == "pipeline"
    _monitoring_closed_the_loop(home, result.stdout)
    # Re-running the pipeline unchanged (on taxi-data@latest, the week the alert retrained
    # on) reuses prep and train of the retraining; evaluate and register read the registry
    # (is_deterministic: false), so they run again and compare with the champion now
    # registered: the same model, not strictly better, so nothing new is registered.
    retrained = json.loads(
        opsloop("model", "show", "-n", "taxi-fare-model:2", "-o", "json", home=home).stdout
    )
    first = {
        step["step_name"]: step["name"]
        for step in json.loads(
            opsloop("job", "show", "-n", retrained["lineage"]["job"], "-o", "json",
                    home=home).stdout
        )["steps"]
    }  # fmt: skip
    rerun = json.loads(
        opsloop(
            "job", "create", "-f", str(TRAIN / "pipeline.yml"), "--stream", "-o", "json", home=home
        ).stdout
    )
    assert rerun["status"] == "Completed"
    reuse = {step["step_name"]: step["reuse_reason"] for step in rerun["steps"]}
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
    assert json.loads(latest.stdout)["version"] == "2"
    table = opsloop("job", "show", "-n", rerun["name"], home=home).stdout
    assert "ran: not deterministic" in table and "reused from" in table
