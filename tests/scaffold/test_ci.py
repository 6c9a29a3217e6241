"""The generated CI/CD files are valid for their systems (actionlint; the Azure Pipelines
schema), have the shape the issue asks for, and every opsloop command line in them parses
with the real CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer import TyperException

from opsloop.scaffold import SCENARIOS, scaffold
from scaffold_pipelines import azure_jobs, opsloop_commands, parse, pipeline_steps

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[dev]'"
    return found


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_github_workflows_pass_actionlint_and_have_the_stages(
    tmp_path: Path, scenario: str
) -> None:
    root = scaffold(tmp_path / "proj", scenario, "github").root
    workflows = sorted((root / ".github" / "workflows").glob("*.yml"))
    assert [p.name for p in workflows] == ["pull-request.yml", "retrain.yml", "train-deploy.yml"]
    lint = subprocess.run([tool("actionlint"), "-no-color", *map(str, workflows)],
                          capture_output=True, text=True, cwd=root)  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr

    loaded = {p.stem: yaml.safe_load(p.read_text()) for p in workflows}
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    assert "pull_request" in loaded["pull-request"][True]
    assert loaded["train-deploy"][True]["push"] == {"branches": ["main"]}
    assert loaded["retrain"][True]["schedule"] == [{"cron": "30 2 * * *"}]
    jobs = loaded["train-deploy"]["jobs"]
    assert list(jobs) == ["train", "staging", "production"]
    assert jobs["production"]["environment"] == "production"
    assert jobs["production"]["needs"] == ["train", "staging"]
    for workflow in loaded.values():
        tokens = [job.get("env", {}).get("OPSLOOP_TOKEN") for job in workflow["jobs"].values()]
        assert workflow.get("env", {}).get("OPSLOOP_TOKEN") == "${{ secrets.OPSLOOP_TOKEN }}" or (
            set(tokens) == {"${{ secrets.OPSLOOP_TOKEN }}"}
        )


def test_broken_workflow_fails_actionlint(tmp_path: Path) -> None:
    root = scaffold(tmp_path / "proj", "nlp", "github").root
    workflow = root / ".github" / "workflows" / "retrain.yml"
    workflow.write_text(workflow.read_text().replace("runs-on: ubuntu-latest", "runs-on: [1, 2"))
    lint = subprocess.run([tool("actionlint"), "-no-color", str(workflow)], capture_output=True)
    assert lint.returncode != 0


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_azure_pipelines_match_the_schema_and_have_the_stages(
    tmp_path: Path, scenario: str
) -> None:
    root = scaffold(tmp_path / "proj", scenario, "azure-devops").root
    files = sorted((root / ".azuredevops").glob("*.yml"))
    assert [p.name for p in files] == ["pull-request.yml", "retrain.yml", "train-deploy.yml"]
    # The vendored schema (offline); its patterns are Python regexes, not ECMA ones.
    check = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.azure-pipelines",
         "--regex-variant", "python", *map(str, files)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr

    loaded = {p.stem: yaml.safe_load(p.read_text()) for p in files}
    assert loaded["pull-request"]["pr"] == {"branches": {"include": ["main"]}}
    assert loaded["pull-request"]["trigger"] == "none"
    assert loaded["retrain"]["schedules"][0]["cron"] == "30 2 * * *"
    stages = loaded["train-deploy"]["stages"]
    assert [s["stage"] for s in stages] == ["Train", "Staging", "Production"]
    production = stages[2]["jobs"][0]
    assert production["deployment"] == "production"
    assert production["environment"] == f"{root.name}-production"
    assert production["strategy"]["runOnce"]["deploy"]["steps"][0] == {"checkout": "self"}
    for pipeline in loaded.values():
        assert {"group": "opsloop"} in pipeline["variables"]
        for _job, steps in azure_jobs(pipeline):
            for step in steps:
                assert set(step) & {"script", "task", "checkout"}, step
                # Secrets reach a script only through its env mapping.
                if "opsloop " in step.get("script", ""):
                    assert step["env"]["OPSLOOP_TOKEN"] == "$(OPSLOOP_TOKEN)", step


def test_the_schema_check_catches_a_misplaced_key(tmp_path: Path) -> None:
    root = scaffold(tmp_path / "proj", "cv", "azure-devops").root
    pipeline = root / ".azuredevops" / "retrain.yml"
    pipeline.write_text(pipeline.read_text().replace("  - script:", "  - scirpt:", 1))
    check = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.azure-pipelines",
         "--regex-variant", "python", str(pipeline)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 1


@pytest.mark.parametrize("ci", ["github", "azure-devops"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_opsloop_command_parses_with_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str, ci: str
) -> None:
    root = scaffold(tmp_path / "proj", scenario, ci).root
    monkeypatch.chdir(root)  # file options resolve from the repository's root, as in CI
    commands = [c for step in pipeline_steps(root) for c in opsloop_commands(step.script)]
    verbs = {tuple(c[:2]) for c in commands}
    assert {("job", "create"), ("job", "validate"), ("model", "share"),
            ("model", "promote"), ("data", "create")} <= verbs  # fmt: skip
    promotions = [c for c in commands if c[:2] == ["model", "promote"]]
    assert {c[c.index("--to") + 1] for c in promotions} == {"staging", "prod"}
    parsed = [parse(command) for command in commands]  # a bad option or argument raises
    policies = {Path(c.params["policy"]) for c in parsed if "policy" in c.params}
    assert {p.name for p in policies} == {"to-staging.yml", "to-prod.yml"}
    assert all((root / p).is_file() for p in policies)


def test_a_wrong_option_does_not_parse() -> None:
    with pytest.raises(TyperException, match="No such option: --polcy"):
        parse(["model", "promote", "-n", "m:1", "--to", "prod", "--polcy", "p.yml"])
    with pytest.raises(TyperException, match="no command opsloop model promte"):
        parse(["model", "promte", "-n", "m:1"])
    assert parse(["job", "validate", "-f", "pipeline.yml"]).params["file"] == Path("pipeline.yml")
