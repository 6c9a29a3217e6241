"""Scaffolded projects run: the pull-request pipeline's own checks (lint, unit tests, data
checks), read from its file, pass in a fresh scaffold; and the classical project trains to
a registered model by the commands `opsloop init` prints; and two projects share one
platform."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from opsloop.client import Client
from opsloop.project.apply import apply_plan, plan_file
from opsloop.scaffold import scaffold
from scaffold_pipelines import pipeline_steps

BIN = str(Path(sys.executable).parent)


def shell_env(**extra: str) -> dict[str, str]:
    """This interpreter's python, pytest, ruff and opsloop first on PATH, as CI installs them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSLOOP_", "PYTEST_"))}
    return env | {"PATH": f"{BIN}{os.pathsep}{env['PATH']}"} | extra


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([f"{BIN}/opsloop", *args], capture_output=True, text=True,
                          cwd=cwd, env=shell_env(), timeout=120)  # fmt: skip


@pytest.mark.parametrize(
    ("scenario", "ci"), [("classical", "github"), ("cv", "azure-devops"), ("nlp", "github")]
)
def test_the_pull_request_checks_pass_in_a_fresh_scaffold(
    tmp_path: Path, scenario: str, ci: str
) -> None:
    made = run_cli("init", "proj", "--scenario", scenario, "--ci", ci, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    root = tmp_path / "proj"
    steps = [s for s in pipeline_steps(root) if s.pipeline == "pull-request"]
    # What runs offline: not the install, not the opsloop calls (they need the platform).
    local = [s for s in steps if "pip install" not in s.script and "opsloop " not in s.script]
    assert [s.name for s in local] == ["Lint", "Unit tests", "Data checks"]
    for step in local:
        done = subprocess.run(["bash", "-e", "-c", step.script], cwd=root, env=shell_env(),
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, f"{step.name}:\n{done.stdout}\n{done.stderr}"
    assert (root / "data" / "proj-data.csv").is_file()


def test_a_data_check_fails_on_bad_data(tmp_path: Path) -> None:
    assert run_cli("init", "proj", "--scenario", "nlp", cwd=tmp_path).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n" + "fine words,positive\n" * 150 + " ,negative\n")
    done = subprocess.run([sys.executable, "data/check.py", str(bad)], cwd=tmp_path / "proj",
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert "column 'text': 1 empty texts" in done.stdout


@pytest.mark.slow
def test_the_classical_project_trains_by_the_printed_commands(tmp_path: Path) -> None:
    made = run_cli("init", "fares", "--scenario", "classical", "--ci", "github", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    printed = made.stdout.split("Next, train it locally (embedded, in ./.opsloop):\n")[1]
    commands = [line.strip() for line in printed.split("\n\n")[0].splitlines()]
    assert commands[0] == "cd fares"
    assert commands[-1] == "opsloop job create -w dev -f mlops/azureml/train/pipeline.yml --stream"
    home = tmp_path / "fares" / ".opsloop"
    done = subprocess.run(["bash", "-e", "-c", "\n".join(commands)], cwd=tmp_path,
                          env=shell_env(), capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with Client(home=home, workspace="dev") as client:
        jobs = client.jobs.list()
        assert [job.status for job in jobs] == ["Completed"]
        model = client.models.get("fares-model@latest")
    assert model.lineage.job == jobs[0].name


def test_two_projects_apply_to_one_platform_without_touching_each_other(
    home: Path, tmp_path: Path
) -> None:
    """The workspaces are the platform's, shared; what a project declares in them (its
    policies, schedule, subscription) is named after it, so a second project's apply leaves
    the first one's resources as they were."""
    fares = scaffold(tmp_path / "fares", "classical", "github").root
    digits = scaffold(tmp_path / "digits", "cv", "azure-devops").root
    with Client(home=home) as owner:
        for root in (fares, digits):
            applied = apply_plan(plan_file(owner, root / "project.yaml"))
            outcomes = {c.address: c.outcome for c in applied.pending}
            assert set(outcomes.values()) == {"applied"}, outcomes
        for root in (fares, digits):
            assert plan_file(owner, root / "project.yaml").pending == [], root.name
        policies = {p.name for p in owner.promotion_policies.list(workspace="staging")}
        assert policies == {"fares-to-staging", "digits-to-staging"}
        schedules = {s.name for s in owner.schedules.list(workspace="dev")}
        assert schedules == {"fares-nightly-retrain", "digits-nightly-retrain"}
