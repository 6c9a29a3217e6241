"""Read generated CI/CD files the way their systems do: the shell steps of a GitHub workflow
or an Azure DevOps pipeline, and the opsloop command lines inside them."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from typer import TyperException
from typer.main import get_command

from opsloop.cli.main import app

_OPSLOOP = re.compile(r"(?:^|\|\||&&|\$\(|;)\s*(opsloop\s[^|&;)<>]*)")
_VARIABLE = re.compile(r"\$\{?(\w+)\}?")


@dataclass
class Step:
    """One shell step: its pipeline, job and name, its script and its env mapping."""

    pipeline: str
    job: str
    name: str
    script: str
    env: dict[str, Any] = field(default_factory=dict)


def github_steps(path: Path) -> list[Step]:
    workflow = yaml.safe_load(path.read_text())
    steps = []
    for job_name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if "run" in step:
                env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
                steps.append(Step(path.stem, job_name, step.get("name", ""), step["run"], env))
    return steps


def azure_steps(path: Path) -> list[Step]:
    pipeline = yaml.safe_load(path.read_text())
    steps = []
    for job_name, job_steps in azure_jobs(pipeline):
        for step in job_steps:
            if "script" in step:
                steps.append(Step(path.stem, job_name, step.get("displayName", ""),
                                  step["script"], step.get("env", {})))  # fmt: skip
    return steps


def azure_jobs(pipeline: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(job, steps) of a pipeline with stages, jobs or only steps; a deployment job's steps
    are its runOnce strategy's."""
    if "steps" in pipeline:
        return [("job", pipeline["steps"])]
    jobs = pipeline.get("jobs") or [j for stage in pipeline["stages"] for j in stage["jobs"]]
    found = []
    for job in jobs:
        if "deployment" in job:
            found.append((job["deployment"], job["strategy"]["runOnce"]["deploy"]["steps"]))
        else:
            found.append((job["job"], job["steps"]))
    return found


def pipeline_steps(root: Path) -> list[Step]:
    steps = []
    for path in sorted((root / ".github" / "workflows").glob("*.yml")):
        steps += github_steps(path)
    for path in sorted((root / ".azuredevops").glob("*.yml")):
        steps += azure_steps(path)
    return steps


def opsloop_commands(script: str) -> list[list[str]]:
    """The argument lists of every opsloop call in ``script`` (after ||, &&, in $(...)),
    shell variables replaced by a word."""
    commands = []
    for line in script.splitlines():
        for call in _OPSLOOP.findall(line):
            commands.append(shlex.split(_VARIABLE.sub(r"\1", call))[1:])
    return commands


class UnknownCommand(TyperException):
    """No such opsloop command."""


def parse(args: list[str]) -> Any:
    """Parse ``opsloop ARGS`` with the real CLI's parser (nothing runs): the command's context
    with its parameters. A bad option or argument raises the CLI's usage error (a
    TyperException, as typer's click is its own)."""
    command: Any = get_command(app)
    path: list[str] = []
    rest = list(args)
    while hasattr(command, "commands"):  # a group: the next word names the command
        name = rest.pop(0)
        path.append(name)
        if name not in command.commands:
            raise UnknownCommand(f"no command opsloop {' '.join(path)}")
        command = command.commands[name]
    return command.make_context(f"opsloop {' '.join(path)}", rest)


_EXPRESSION = re.compile(r"\$\{\{\s*([\w.\-]+)\s*\}\}")


def run_github_workflow(
    path: Path, *, cwd: Path, context: dict[str, dict[str, str]], env: dict[str, str]
) -> list[str]:
    """Run a workflow's jobs in order, as a runner would: each `run:` step in bash with its
    env (the ``${{ vars.X }}``, ``secrets.X``, ``steps.ID.outputs.K`` and
    ``needs.JOB.outputs.K`` expressions resolved), step outputs read from $GITHUB_OUTPUT.
    Install steps are skipped (this environment has opsloop). Returns each step's output."""
    workflow = yaml.safe_load(path.read_text())
    needs: dict[str, dict[str, dict[str, str]]] = {}
    logs = []
    for job_name, job in workflow["jobs"].items():
        steps: dict[str, dict[str, str]] = {}
        scope = {**context, "needs": needs, "steps": steps}
        for index, step in enumerate(job["steps"]):
            if "run" not in step or "pip install" in step["run"]:
                continue
            outputs = cwd.parent / f"{path.stem}-{job_name}-{index}.out"
            outputs.write_text("")
            step_env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
                cwd=cwd,
                env=env
                | {k: _resolve(str(v), scope) for k, v in step_env.items()}
                | {"GITHUB_OUTPUT": str(outputs)},
                capture_output=True,
                text=True,
                timeout=900,
            )
            logs.append(f"## {job_name}: {step.get('name')}\n{done.stdout}{done.stderr}")
            if done.returncode != 0:
                raise AssertionError("\n".join(logs))
            if "id" in step:
                pairs = [line.split("=", 1) for line in outputs.read_text().splitlines() if line]
                steps[step["id"]] = {"outputs": dict(pairs)}  # type: ignore[dict-item]
        needs[job_name] = {"outputs": {k: _resolve(v, scope) for k, v in
                                       job.get("outputs", {}).items()}}  # fmt: skip
    return logs


def _resolve(value: str, scope: dict[str, Any]) -> str:
    def lookup(match: re.Match[str]) -> str:
        found: Any = scope
        for part in match.group(1).split("."):
            found = found[part]
        return str(found)

    return _EXPRESSION.sub(lookup, value)
