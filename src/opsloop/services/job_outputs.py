"""What a job download fetches: a command job's outputs, a pipeline's pipeline-level
outputs, or one step's, as ``az ml job download`` does. Only what a job (or step) has
stored is offered: a step stores its outputs when it completes, a pipeline its own when
it ends."""

from __future__ import annotations

from dataclasses import dataclass

from opsloop.catalogue.actions import Action
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.services.context import ServiceContext
from opsloop.services.jobs import require_job_row, step_rows
from opsloop.services.workspaces import require_workspace_row
from opsloop.store.tables import JobRow


@dataclass(frozen=True)
class JobOutputs:
    job: str  # the job (or ``job.step``) the outputs belong to
    urls: dict[str, str]  # output name -> where it is stored


def outputs_to_download(
    ctx: ServiceContext,
    workspace: str,
    name: str,
    *,
    output_name: str | None = None,
    step: str | None = None,
) -> JobOutputs:
    """The stored outputs of job ``name`` (or of its step ``step``), or only
    ``output_name``; an unknown step or output is named in the error."""
    ctx.authorize(Action.JOBS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    job = require_job_row(ctx, ws, name)
    source = job if step is None else _step(ctx, job, step)
    declared = sorted((source.spec or {}).get("outputs") or {})
    stored = {key: value["url"] for key, value in (source.outputs or {}).items()}
    if output_name is not None:
        if output_name not in declared and output_name not in stored:
            raise ValidationError(
                f"job {source.name!r} has no output {output_name!r}; {_its_outputs(declared)}",
                field="output_name",
            )
        if output_name not in stored:
            raise ConflictError(
                f"job {source.name!r} has not stored output {output_name!r} "
                f"(status {source.status})"
            )
        return JobOutputs(job=source.name, urls={output_name: stored[output_name]})
    if stored:
        return JobOutputs(job=source.name, urls=stored)
    if declared:
        raise ConflictError(
            f"job {source.name!r} has stored no outputs yet (status {source.status})"
        )
    if job.type == "pipeline" and step is None:
        steps = ", ".join(s.step_name or s.name for s in step_rows(ctx, job))
        raise NotFoundError(
            f"pipeline job {name!r} declares no outputs of its own; name a step to download "
            f"its outputs (step=, --step): {steps}"
        )
    raise NotFoundError(f"job {source.name!r} declares no outputs")


def _step(ctx: ServiceContext, job: JobRow, step: str) -> JobRow:
    if job.type not in ("pipeline", "sweep"):  # a sweep's steps are its trials
        raise ValidationError(
            f"job {job.name!r} is a {job.type} job: it has no steps", field="step"
        )
    steps = step_rows(ctx, job)
    for row in steps:
        if row.step_name == step:
            return row
    names = ", ".join(s.step_name or s.name for s in steps)
    raise ValidationError(
        f"job {job.name!r} has no step {step!r}; its steps: {names}", field="step"
    )


def _its_outputs(declared: list[str]) -> str:
    return f"its outputs: {', '.join(declared)}" if declared else "it declares no outputs"
