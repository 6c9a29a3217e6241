"""Validate a job without running it: resolve the spec against the store exactly as
submission does (``job_resolution``), then predict, step by step, whether each would be
reused or would run, with the step cache key the runner computes (``execution.step_hash``).

Nothing is written: no job row, no event, no upload. Local code and data the client has
not uploaded arrive as stand-ins naming their content hash (``specs.pending_uploads``);
they become the URLs their uploads would get, and their hashes are the ones the runner
would compute from the uploaded copies.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from opsloop.catalogue.actions import Action
from opsloop.errors import ConflictError, NotFoundError
from opsloop.execution.plan import (
    AssetBinding,
    CommandStepPlan,
    InputBinding,
    LiteralBinding,
    StepOutputBinding,
    SweepPlan,
)
from opsloop.execution.step_hash import direct_hash, literal_hash, step_hash
from opsloop.file_urls import local_path_of
from opsloop.schemas.job_plans import JobPlan, PlannedInput, PlannedStep
from opsloop.services import assets, job_runs
from opsloop.services.context import ServiceContext
from opsloop.services.job_resolution import (
    resolve_command_job,
    resolve_pipeline_job,
    resolve_sweep_job,
)
from opsloop.services.jobs import require_job_row
from opsloop.services.pending_uploads import with_upload_urls
from opsloop.services.step_bindings import JOB_NAME
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.azureml_keys import job_warnings
from opsloop.specs.component import ComponentSpec
from opsloop.specs.job import CommandJobSpec, PipelineJobSpec, SweepJobSpec
from opsloop.store.artifacts import hash_path, materialize
from opsloop.store.tables import WorkspaceRow

# Why a step would run; docs/jobs.md lists them.
UPSTREAM_RUNS = "an upstream step runs"
NOT_DETERMINISTIC = "is_deterministic: false"
NO_EARLIER_RUN = "no earlier run with these inputs"
FORCE_RERUN = "force_rerun"
COMMAND_JOB = "a command job always runs (steps of pipelines are reused)"
SWEEP = "a sweep's trials always run"


def plan_job(
    ctx: ServiceContext, workspace: str, spec: CommandJobSpec | PipelineJobSpec | SweepJobSpec
) -> JobPlan:
    """The plan ``create_job`` would store for ``spec``, and which steps would be reused;
    raises the error submission would (a field, and the file and line through the client)."""
    # The permission to submit, not to read: a validation says whether a submission would pass.
    ctx.authorize(Action.JOBS_WRITE, workspace, f"job:{spec.name or '(new)'}")
    ws = require_workspace_row(ctx, workspace)
    if spec.name and _job_exists(ctx, ws, spec.name):
        raise ConflictError(f"job {spec.name!r} already exists in workspace {workspace!r}")
    digests: dict[str, str] = {}
    spec = with_upload_urls(ctx.artifacts, spec, digests)
    job_name = spec.name or JOB_NAME
    predictor = _Predictor(ctx, ws, digests)
    plan = JobPlan(
        workspace=workspace,
        name=spec.name,
        type="command",
        experiment_name=spec.experiment_name or "Default",
        warnings=job_warnings(spec),
    )
    label = spec.name or "(job)"
    if isinstance(spec, PipelineJobSpec):
        resolved = resolve_pipeline_job(ctx, ws, spec, job_name)
        plan.type = "pipeline"
        force = FORCE_RERUN if resolved.plan.settings.force_rerun else None
        for name in resolved.plan.order:
            component = _component_label(ctx, ws, spec.jobs[name])
            plan.steps.append(predictor.step(name, resolved.steps[name], component, force))
    elif isinstance(spec, SweepJobSpec):
        plan.type = "sweep"
        sweep = resolve_sweep_job(ctx, ws, spec, job_name)
        plan.steps.append(predictor.step(label, sweep, _component_label(ctx, ws, spec), SWEEP))
    else:
        command = resolve_command_job(ctx, ws, spec, job_name)
        component = _component_label(ctx, ws, spec)
        plan.steps.append(predictor.step(label, command, component, COMMAND_JOB))
    return plan


class _Predictor:
    """Walks the steps in order, keeping what each reused step would hand downstream."""

    def __init__(self, ctx: ServiceContext, ws: WorkspaceRow, digests: dict[str, str]):
        self.ctx, self.ws, self.digests = ctx, ws, digests
        self.reused: dict[str, job_runs.StepView] = {}  # step name -> the step it reuses

    def step(
        self,
        name: str,
        unit: CommandStepPlan | SweepPlan,
        component: str,
        always_runs: str | None,
    ) -> PlannedStep:
        """``always_runs``: why the step runs whatever ran before (force_rerun, a sweep)."""
        command = unit.trial if isinstance(unit, SweepPlan) else unit
        environment = command.component.environment
        planned = PlannedStep(
            name=name,
            type="sweep" if isinstance(unit, SweepPlan) else "command",
            component=component,
            compute=command.compute.name,
            environment=(environment.reference or f"inline:{(environment.hash or '')[:12]}")
            if environment
            else None,
            inputs={k: _planned_input(v) for k, v in command.inputs.items()},
            outputs={k: o.path or o.type for k, o in command.outputs.items()},
            depends_on=unit.depends_on,
            reuse="runs",
            reason="",
        )
        if isinstance(unit, SweepPlan):
            always_runs = SWEEP
        reason = always_runs or self._why_it_runs(name, command)
        if reason is not None:
            planned.reason = reason
            return planned
        found = self.reused[name]
        job, _, step = found.producer.rpartition(".")
        planned.reuse, planned.reused_from = "reused", found.producer
        planned.reason = f"reused (job {job} step {step})" if job else f"reused (job {step})"
        return planned

    def _why_it_runs(self, name: str, command: CommandStepPlan) -> str | None:
        """The runner's order of checks (``StepRun.execute``); None when it would be reused."""
        if not command.component.is_deterministic:
            return NOT_DETERMINISTIC
        hashes: dict[str, str | None] = {}
        for input_name, binding in command.inputs.items():
            if isinstance(binding, StepOutputBinding) and binding.step not in self.reused:
                return f"{UPSTREAM_RUNS} ({binding.step})"
            try:
                hashes[input_name] = self._input_hash(binding)
            except Exception as exc:  # any file system's error: the step's own, when it starts
                return f"input {input_name} cannot be read now: {exc}"
        try:
            code_hash = self._content_hash(command.component.code)
        except Exception as exc:
            return f"its code cannot be read now: {exc}"
        key = step_hash(command, hashes, code_hash)
        for candidate in job_runs.completed_with_hash(self.ctx, self.ws.id, key):
            if job_runs.outputs_still_stored(self.ctx.artifacts, candidate):
                self.reused[name] = candidate
                return None
        return NO_EARLIER_RUN

    def _input_hash(self, binding: InputBinding) -> str | None:
        """What ``runner.step_files.materialize_inputs`` would hash for this input."""
        if isinstance(binding, LiteralBinding):
            return literal_hash(binding.value)
        if isinstance(binding, AssetBinding):
            if binding.mode == "direct":
                return direct_hash(binding.url, binding.hash)
            return binding.hash or self._content_hash(binding.url)
        if isinstance(binding, StepOutputBinding):
            stored = self.reused[binding.step].outputs.get(binding.output)
            if stored is None:
                raise FileNotFoundError(f"step {binding.step!r} left no output {binding.output!r}")
            return stored.hash or self._content_hash(stored.url)
        return None

    def _content_hash(self, url: str | None) -> str | None:
        """The hash of what ``url`` holds, as the runner would compute it once it has the
        files: a stand-in's own digest, a local path's hash, or a remote copy's (fetched
        into a scratch folder, never into the store)."""
        if url is None:
            return None
        if url in self.digests:
            return self.digests[url]
        local = local_path_of(url)
        if local is not None:
            if not local.exists():
                raise FileNotFoundError(url)
            return hash_path(local)
        with tempfile.TemporaryDirectory(prefix="opsloop-validate-") as scratch:
            return hash_path(materialize(url, Path(scratch)))


def _planned_input(binding: InputBinding) -> PlannedInput:
    if isinstance(binding, LiteralBinding):
        return PlannedInput(kind="literal", value=binding.value)
    if isinstance(binding, AssetBinding):
        return PlannedInput(kind="asset", asset=binding.asset, url=binding.url)
    if isinstance(binding, StepOutputBinding):
        return PlannedInput(kind="step_output", step=binding.step, output=binding.output)
    return PlannedInput(kind="unbound")


def _component_label(ctx: ServiceContext, ws: WorkspaceRow, spec: Any) -> str:
    """name:version of the component a step runs, as the user would reference it."""
    component = spec.trial if isinstance(spec, SweepJobSpec) else spec.component
    if isinstance(component, str):  # resolved already: this finds the same version
        row = assets.resolve(ctx, ws, "component", component)
        return f"{row.name}:{row.version}"
    if isinstance(component, ComponentSpec):
        return f"{component.name}:{component.version or '(inline)'}"
    return "(inline command)"


def _job_exists(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> bool:
    try:
        require_job_row(ctx, ws, name)
    except NotFoundError:
        return False
    return True
