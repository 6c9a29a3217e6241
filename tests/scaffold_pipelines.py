"""Read generated CI/CD files the way their systems do: the shell steps of a GitHub workflow
or an Azure DevOps pipeline, and the opsloop command lines inside them."""

from __future__ import annotations

import re
import shlex
import subprocess
import time
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
            if (script := azure_script(step)) is not None:
                steps.append(Step(path.stem, job_name, step.get("displayName", ""),
                                  script, step.get("env", {})))  # fmt: skip
    return steps


def azure_script(step: dict[str, Any]) -> str | None:
    """A step's inline script: `script:` or `bash:` (both run in bash on Linux)."""
    script = step.get("script", step.get("bash"))
    return None if script is None else str(script)


def azure_jobs(pipeline: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(job, steps) of a pipeline with stages, jobs or only steps; a deployment job's steps
    are its runOnce strategy's."""
    return [
        (job.get("job") or job["deployment"], job_steps(job))
        for stage in azure_stages(pipeline)
        for job in stage["jobs"]
    ]


def azure_stages(pipeline: dict[str, Any]) -> list[dict[str, Any]]:
    """A pipeline's stages; one without stages is one stage of its jobs (or of one job of
    its steps)."""
    if "stages" in pipeline:
        return list(pipeline["stages"])
    jobs = pipeline.get("jobs") or [{"job": "job", "steps": pipeline["steps"]}]
    return [{"stage": "__default", "jobs": jobs}]


def job_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    if "deployment" in job:
        return list(job["strategy"]["runOnce"]["deploy"]["steps"])
    return list(job["steps"])


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


def run_step(
    script: str, *, shell: list[str], cwd: Path, env: dict[str, str], title: str, logs: list[str]
) -> str:
    """Run one shell step as a CI runner does; its output appended to ``logs`` (all of them
    raised when it fails). Returns its stdout."""
    started = time.monotonic()
    done = subprocess.run(
        [*shell, script], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    took = time.monotonic() - started
    logs.append(f"## {title} ({took:.1f}s)\n{done.stdout}{done.stderr}")
    if done.returncode != 0:
        raise AssertionError("\n".join(logs))
    return done.stdout


def installs(script: str) -> bool:
    """An install step: skipped, as this environment already has opsloop and the tools."""
    return "pip install" in script


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
    logs: list[str] = []
    for job_name, job in workflow["jobs"].items():
        steps: dict[str, dict[str, str]] = {}
        scope = {**context, "needs": needs, "steps": steps}
        for index, step in enumerate(job["steps"]):
            if "run" not in step or installs(step["run"]):
                continue
            outputs = cwd.parent / f"{path.stem}-{job_name}-{index}.out"
            outputs.write_text("")
            step_env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            run_step(
                step["run"],
                shell=["bash", "-e", "-o", "pipefail", "-c"],
                cwd=cwd,
                env=env
                | {k: _resolve(str(v), scope) for k, v in step_env.items()}
                | {"GITHUB_OUTPUT": str(outputs)},
                title=f"{job_name}: {step.get('name')}",
                logs=logs,
            )
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


# Azure Pipelines: `$(NAME)` macros (an undefined one stays as written, for the shell), the
# `$[ stageDependencies.STAGE.JOB.outputs['STEP.NAME'] ]` and `dependencies.JOB...` runtime
# expressions, and the logging command that sets a variable from a script's output.
_MACRO = re.compile(r"\$\(([A-Za-z_][\w.\-]*)\)")
_RUNTIME = re.compile(
    r"^\$\[\s*(?:stageDependencies\.(\w+)\.|dependencies\.)(\w+)\.outputs\['([\w.]+)'\]\s*\]$"
)
_SET_VARIABLE = re.compile(r"^##vso\[task\.setvariable variable=([\w.]+)((?:;[^\]]*)?)\](.*)$")


@dataclass
class AzureVariables:
    """The variables a step sees: values by name, and which are secret (a secret reaches a
    script only through its env mapping, never as an environment variable of its own)."""

    values: dict[str, str] = field(default_factory=dict)
    secret: set[str] = field(default_factory=set)

    def expand(self, text: str) -> str:
        return _MACRO.sub(lambda m: self.values.get(m.group(1), m.group(0)), text)

    def environment(self) -> dict[str, str]:
        """As the agent maps variables to a script's environment: upper case, '.' as '_'."""
        return {
            name.upper().replace(".", "_"): value
            for name, value in self.values.items()
            if name not in self.secret
        }


@dataclass
class AzureRun:
    """One run of a pipeline: the library's variable groups, the output variables of the
    jobs done so far by (stage, job), and each step's output."""

    cwd: Path
    env: dict[str, str]
    groups: dict[str, dict[str, str]]
    outputs: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)

    def declare(self, outer: AzureVariables, declared: Any, stage: str) -> AzureVariables:
        """``outer`` with a pipeline's, stage's or job's ``variables:`` on top: a list of
        groups and name/value pairs, or a mapping."""
        scoped = AzureVariables(dict(outer.values), set(outer.secret))
        if isinstance(declared, dict):
            declared = [{"name": k, "value": v} for k, v in declared.items()]
        for entry in declared or []:
            if "group" in entry:
                scoped.values.update(self.groups[entry["group"]])
            else:
                scoped.values[entry["name"]] = self.runtime(str(entry["value"]), stage)
        return scoped

    def runtime(self, value: str, stage: str) -> str:
        found = _RUNTIME.match(value)
        if not found:
            return value
        return self.outputs[(found.group(1) or stage, found.group(2))][found.group(3)]

    def job(self, steps: list[dict[str, Any]], variables: AzureVariables, title: str) -> None:
        """Run one job's script steps; its output variables kept as ``STEP.NAME``."""
        outputs: dict[str, str] = {}
        for step in steps:
            _no_condition(step)
            script = azure_script(step)
            if script is None or installs(script):
                continue
            mapped = {k: variables.expand(str(v)) for k, v in step.get("env", {}).items()}
            stdout = run_step(
                variables.expand(script),
                shell=["bash", "--noprofile", "--norc", "-c"],
                cwd=self.cwd,
                env=self.env | variables.environment() | mapped,
                title=f"{title}: {step.get('displayName')}",
                logs=self.logs,
            )
            for line in stdout.splitlines():
                if found := _SET_VARIABLE.match(line):
                    name, flags, value = found.groups()
                    if "isoutput=true" in flags.lower():
                        name = f"{step['name']}.{name}"
                        outputs[name] = value
                    variables.values[name] = value
        stage, job = title.split(".", 1)
        self.outputs[(stage, job)] = outputs


def run_azure_pipeline(
    path: Path,
    *,
    cwd: Path,
    groups: dict[str, dict[str, str]],
    secrets: set[str],
    env: dict[str, str],
) -> list[str]:
    """Run a pipeline's stages and jobs in order, as the agent would: each `script:` or
    `bash:` step in bash (no -e: the script's own exit status decides, as on the agent),
    macros expanded, the variables of the pipeline, stage and job (``groups``: the
    library's variable groups, the names in ``secrets`` secret) mapped to its env, output
    variables set with ``##vso[task.setvariable ...;isOutput=true]`` passed on to later
    jobs. A stage waits for those it depends on; conditions are refused, as the generated
    pipelines have none. Install steps are skipped. Returns each step's output."""
    pipeline = yaml.safe_load(path.read_text())
    run = AzureRun(cwd, env, groups)
    top = run.declare(AzureVariables(secret=set(secrets)), pipeline.get("variables"), "")
    done: list[str] = []
    for index, stage in enumerate(azure_stages(pipeline)):
        _no_condition(stage)
        needed = stage.get("dependsOn", done[-1:] if index else [])
        missing = ({needed} if isinstance(needed, str) else set(needed)) - set(done)
        assert not missing, f"stage {stage['stage']} runs before {missing}"
        in_stage = run.declare(top, stage.get("variables"), stage["stage"])
        for job in stage["jobs"]:
            _no_condition(job)
            name = job.get("job") or job["deployment"]
            scoped = run.declare(in_stage, job.get("variables"), stage["stage"])
            run.job(job_steps(job), scoped, f"{stage['stage']}.{name}")
        done.append(stage["stage"])
    return run.logs


def _no_condition(item: dict[str, Any]) -> None:
    if "condition" in item:
        raise NotImplementedError(f"conditions are not run here: {item['condition']!r}")


def run_pipeline(
    root: Path, ci: str, name: str, *, uri: str, token: str, env: dict[str, str]
) -> list[str]:
    """Run the project's pipeline ``name`` (train-deploy, pull-request, retrain) on its CI
    system, the platform's URI and the CI/CD service principal's token stored as the
    project's README says: a repository variable and secret on GitHub, the variable group
    `opsloop` (the token secret) on Azure DevOps."""
    if ci == "github":
        context = {"vars": {"OPSLOOP_URI": uri}, "secrets": {"OPSLOOP_TOKEN": token}}
        workflow = root / ".github" / "workflows" / f"{name}.yml"
        return run_github_workflow(workflow, cwd=root, context=context, env=env)
    group = {"OPSLOOP_URI": uri, "OPSLOOP_TOKEN": token}
    return run_azure_pipeline(root / ".azuredevops" / f"{name}.yml", cwd=root,
                              groups={"opsloop": group}, secrets={"OPSLOOP_TOKEN"}, env=env)  # fmt: skip
