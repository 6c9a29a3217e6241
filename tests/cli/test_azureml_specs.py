"""Specs in the shapes Azure ML's CLI v2 documents run unchanged, end to end, as a user
runs them: embedded, and against an `opsloop server`. (Our own specs, not Azure ML's files.)

A command job with an inline image environment writes ./outputs and ./logs; a later job
reads that file through azureml://jobs/<job>/outputs/artifacts/paths/...; a pipeline names
its components by relative path, its compute as azureml:cpu-cluster and its environments
as a curated registry URI, a curated name and an inline conda environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from helpers import bootstrap_token, free_port, opsloop, wait_healthy, write
from opsloop.file_urls import local_path_of

CURATED = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"

HELLO = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: >-
  echo "hello from ./outputs" > ./outputs/greeting.txt
  && echo "a note" > ./logs/note.txt
  && python -c "import sys; print(sys.executable)"
environment:
  image: library/python:latest
services:
  lab:
    type: jupyter_lab
"""

READER = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: cat ${{inputs.greeting}}
inputs:
  greeting:
    type: uri_file
    path: azureml://jobs/JOB/outputs/artifacts/paths/outputs/greeting.txt
    mode: download
environment: azureml:AzureML-sklearn-1.5@latest
"""

PIPELINE = f"""\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: words
settings:
  default_compute: azureml:cpu-cluster
  default_datestore: azureml:workspaceblobstore
inputs:
  words: 3
jobs:
  make:
    type: command
    component: ./make.yml
    inputs:
      count: ${{{{parent.inputs.words}}}}
  count:
    type: command
    component: ./count.yml
    compute: azureml:cpu-cluster
    inputs:
      text: ${{{{parent.jobs.make.outputs.text}}}}
  other:
    command: echo other
    environment: {CURATED}
"""

MAKE = f"""\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: make_words
version: 1
inputs:
  count:
    type: integer
outputs:
  text:
    type: uri_folder
code: ./src
environment: {CURATED}
command: python make.py --count ${{{{inputs.count}}}} --out ${{{{outputs.text}}}}
"""

MAKE_PY = """\
import argparse
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--count", type=int)
parser.add_argument("--out")
args = parser.parse_args()
Path(args.out, "words.txt").write_text(" ".join(["word"] * args.count))
"""

COUNT = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: count_words
inputs:
  text:
    type: uri_folder
    mode: ro_mount
environment:
  image: python
  conda_file: ./conda.yml
command: wc -w ${{inputs.text}}/words.txt
"""


@pytest.fixture(params=["embedded", "server"])
def mode(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    if request.param == "embedded":
        yield "embedded"
        return
    port = free_port()
    env = {**os.environ, "OPSLOOP_HOME": str(tmp_path / "server-home")}
    token = bootstrap_token(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "opsloop.cli.main", "server", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        monkeypatch.setenv("OPSLOOP_URI", url)
        # As a user would: log in once; every later command reads the saved profile.
        monkeypatch.setenv("OPSLOOP_PROFILE", str(tmp_path / "profile"))
        opsloop("login", "--token", token, home=tmp_path / "unused")
        yield "server"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _json(*args: str, home: Path, cwd: Path) -> Any:
    return json.loads(opsloop(*args, "-o", "json", home=home, cwd=cwd).stdout)


def _local(url: str) -> Path:
    path = local_path_of(url)
    assert path is not None, url
    return path


def test_azure_ml_shaped_specs_run_unchanged(mode: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)

    # A command job: inline image environment, ./outputs and ./logs, an unused key.
    hello = write(tmp_path / "hello.yml", HELLO)
    created = opsloop("job", "create", "-f", str(hello), "--stream", "-o", "json", home=home)
    job = json.loads(created.stdout)
    assert job["status"] == "Completed", job["error"]
    assert f"Warning: {hello}:8: services: interactive services" in created.stderr
    assert job["environment"].startswith("anonymous-environment:")
    assert job["interpreter"].startswith(sys.executable)
    artifacts = _local(job["outputs"]["artifacts"]["url"])
    assert (artifacts / "outputs" / "greeting.txt").read_text() == "hello from ./outputs\n"
    assert (artifacts / "logs" / "note.txt").read_text() == "a note\n"
    assert sys.executable in (artifacts / "user_logs" / "std_log.txt").read_text()
    opsloop(
        "job", "download", "-n", job["name"], "--output-name", "artifacts",
        "-p", str(tmp_path / "run"), home=home,
    )  # fmt: skip
    downloaded = tmp_path / "run" / job["name"] / "artifacts"
    assert (downloaded / "outputs" / "greeting.txt").read_text() == "hello from ./outputs\n"
    shown = opsloop("job", "show", "-n", job["name"], home=home).stdout
    assert "compute local, environment anonymous-environment:" in shown
    assert "interpreter: " in shown

    # Its artifacts, addressed as on Azure ML: as a job input, and as a model.
    reader = write(tmp_path / "reader.yml", READER.replace("JOB", job["name"]))
    read = _json("job", "create", "-f", str(reader), "--stream", home=home, cwd=tmp_path)
    assert read["status"] == "Completed", read["error"]
    assert "hello from ./outputs" in opsloop("job", "logs", "-n", read["name"], home=home).stdout
    assert read["environment"].startswith("azureml://registries/azureml/environments/sklearn-1.5")
    model = _json(
        "model", "create", "-n", "greeting", "--type", "custom_model", "--path",
        f"azureml://jobs/{job['name']}/outputs/artifacts/paths/outputs",
        home=home, cwd=tmp_path,
    )  # fmt: skip
    assert model["lineage"]["job"] == job["name"] and model["path"].endswith("/outputs")

    # A pipeline: relative component paths, a named compute, curated and inline environments.
    write(tmp_path / "make.yml", MAKE)
    write(tmp_path / "src" / "make.py", MAKE_PY)
    write(tmp_path / "count.yml", COUNT)
    write(tmp_path / "conda.yml", "name: count\ndependencies:\n  - python=3.11\n  - pip\n")
    pipeline = write(tmp_path / "pipeline.yml", PIPELINE)
    missing = opsloop("job", "create", "-f", str(pipeline), home=home, check=False)
    assert missing.returncode == 2
    assert f"{pipeline}:5: settings.default_compute: compute 'cpu-cluster' does not exist" in (
        missing.stderr
    )
    assert "`opsloop compute create -w dev --name cpu-cluster --type local`" in missing.stderr
    opsloop("compute", "create", "--name", "cpu-cluster", "--type", "local",
            "--max-instances", "1", home=home)  # fmt: skip
    created = opsloop("job", "create", "-f", str(pipeline), "--stream", "-o", "json", home=home)
    run = json.loads(created.stdout)
    assert run["status"] == "Completed", run["error"]
    assert f"Warning: {pipeline}:6: settings.default_datestore:" in created.stderr
    steps = {s["step_name"]: s for s in run["steps"]}
    assert {s["compute"] for s in steps.values()} == {"cpu-cluster"}
    assert steps["make"]["environment"] == CURATED
    assert steps["count"]["environment"].startswith("anonymous-environment:")
    assert "3" in opsloop("job", "logs", "-n", run["name"], home=home).stdout
    # max_instances 1: the two independent steps ran one after the other.
    make, other = (
        (
            datetime.fromisoformat(steps[s]["started_at"]),
            datetime.fromisoformat(steps[s]["ended_at"]),
        )
        for s in ("make", "other")
    )
    assert make[1] <= other[0] or other[1] <= make[0], (make, other)


SWEEP = f"""\
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
display_name: greet-sweep
experiment_name: greet-sweep
trial:
  code: src
  command: >-
    python greet.py --scale ${{{{inputs.scale}}}}
    --word ${{{{search_space.word}}}} --weight ${{{{search_space.weight}}}}
  environment: {CURATED}
  resources:
    instance_count: 1
inputs:
  scale: 2
compute: azureml:cpu-cluster
sampling_algorithm:
  type: random
  seed: 11
  rule: sobol
search_space:
  word:
    type: choice
    values: ["hi", "hello"]
  weight:
    type: loguniform
    min_value: -1
    max_value: 1
objective:
  goal: maximize
  primary_metric: score
early_termination:
  type: median_stopping
  evaluation_interval: 1
  delay_evaluation: 5
limits:
  max_total_trials: 2
  max_concurrent_trials: 2
  timeout: 600
"""

GREET_PY = """\
import argparse

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--scale", type=float)
parser.add_argument("--word")
parser.add_argument("--weight", type=float)
args = parser.parse_args()
print(f"{args.word} x {args.weight}")
mlflow.log_metric("score", args.scale * args.weight * len(args.word))
"""


def test_azure_ml_shaped_sweep_runs_unchanged(mode: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    opsloop("compute", "create", "--name", "cpu-cluster", "--type", "local", home=home)
    write(tmp_path / "src" / "greet.py", GREET_PY)
    spec = write(tmp_path / "sweep.yml", SWEEP)
    created = opsloop("job", "create", "-f", str(spec), "--stream", "-o", "json", home=home)
    sweep = json.loads(created.stdout)
    assert sweep["status"] == "Completed", sweep["error"]
    assert f"Warning: {spec}:11: trial.resources:" in created.stderr
    trials = sweep["steps"]
    assert len(trials) == 2 and {t["compute"] for t in trials} == {"cpu-cluster"}
    scores = {t["name"]: t["metrics"]["score"] for t in trials}
    assert sweep["best_trial"] == max(scores, key=lambda name: scores[name])
    for trial in trials:
        weight = float(trial["params"]["weight"])
        assert 1 / 2.72 < weight < 2.72  # loguniform: e**-1 .. e**1
        assert trial["metrics"]["score"] == pytest.approx(2 * weight * len(trial["params"]["word"]))
    shown = opsloop("job", "show", "-n", sweep["name"], home=home).stdout
    assert f"best trial: {sweep['best_trial']} (score = " in shown
    assert "goal maximize" in shown and "trial_1" in shown
