"""Jobs: create (resolve + plan, nothing runs yet), read, list, cancel, follow logs.

Execution itself lives in ``opsloop.execution``; the status changes it makes go through
``set_status`` here so the state machine is enforced in one place.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import JOB_STATUS_EVENTS, JobCancelRequested, JobCreated
from opsloop.errors import ConflictError, NotFoundError
from opsloop.execution.states import JobStatus, check_transition, is_terminal
from opsloop.schemas.entities import Job
from opsloop.services.context import ServiceContext
from opsloop.services.job_resolution import resolve_command_job, resolve_pipeline_job
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.job import CommandJobSpec, PipelineJobSpec
from opsloop.store.tables import JobRow, WorkspaceRow

_ADJECTIVES = (
    "amber",
    "brave",
    "calm",
    "eager",
    "frank",
    "gentle",
    "keen",
    "lucid",
    "quiet",
    "swift",
)
_NOUNS = ("river", "cloud", "lamp", "key", "maple", "orbit", "pebble", "quill", "sail", "tiger")


def create_job(ctx: ServiceContext, workspace: str, spec: CommandJobSpec | PipelineJobSpec) -> Job:
    ctx.begin_mutation(Action.JOBS_WRITE, workspace, f"job:{spec.name or '(new)'}")
    ws = require_workspace_row(ctx, workspace)
    name = spec.name or _new_job_name()
    if _find(ctx, ws, name) is not None:
        raise ConflictError(f"job {name!r} already exists in workspace {workspace!r}")
    experiment = spec.experiment_name or "Default"
    common = {
        "workspace_id": ws.id,
        "experiment_name": experiment,
        "created_by": str(ctx.actor),
    }
    if isinstance(spec, PipelineJobSpec):
        plan = resolve_pipeline_job(ctx, ws, spec)
        job = JobRow(
            name=name,
            type="pipeline",
            display_name=spec.display_name,
            status=JobStatus.QUEUED,
            spec={
                "settings": plan["settings"],
                "order": plan["order"],
                "outputs": plan["outputs"],
                "timeout": spec.limits.timeout if spec.limits else None,
                "description": spec.description,
                "tags": spec.tags,
            },
            inputs=plan["inputs"],
            **common,
        )
        ctx.session.add(job)
        ctx.session.flush()
        for step_name in plan["order"]:
            step = plan["steps"][step_name]
            ctx.session.add(
                JobRow(
                    name=f"{name}.{step_name}",
                    parent_id=job.id,
                    step_name=step_name,
                    type="command",
                    display_name=step["component"].get("display_name"),
                    status=JobStatus.NOT_STARTED,
                    spec=step,
                    inputs=step["inputs"],
                    **common,
                )
            )
    else:
        step = resolve_command_job(ctx, ws, spec)
        step["description"] = spec.description
        job = JobRow(
            name=name,
            type="command",
            display_name=spec.display_name,
            status=JobStatus.QUEUED,
            spec=step,
            inputs=step["inputs"],
            **common,
        )
        ctx.session.add(job)
    ctx.session.flush()
    ctx.attempted[-1] = (Action.JOBS_WRITE, workspace, f"job:{name}")
    ctx.record(
        Action.JOBS_WRITE,
        workspace=workspace,
        target=f"job:{name}",
        event=JobCreated(type=job.type, experiment=experiment),
    )
    return to_entity(job, workspace, steps=step_rows(ctx, job))


def get_job(ctx: ServiceContext, workspace: str, name: str) -> Job:
    ctx.authorize(Action.JOBS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    row = require_job_row(ctx, ws, name)
    return with_tracking_data(ctx, to_entity(row, workspace, steps=step_rows(ctx, row)))


def with_tracking_data(ctx: ServiceContext, job: Job) -> Job:
    """Add the metrics and params MLflow holds for the job and each step."""
    tracking = ctx.platform.tracking
    for item in (job, *job.steps):
        if item.mlflow_run_id:
            item.metrics, item.params = tracking.metrics_and_params(item.mlflow_run_id)
    return job


def list_jobs(ctx: ServiceContext, workspace: str, limit: int = 100) -> list[Job]:
    ctx.authorize(Action.JOBS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(JobRow)
        .where(JobRow.workspace_id == ws.id, JobRow.parent_id.is_(None))
        .order_by(JobRow.created_at.desc())
        .limit(limit)
    )
    return [to_entity(r, workspace) for r in rows]


def cancel_job(ctx: ServiceContext, workspace: str, name: str) -> Job:
    """Ask the runner to stop; a job no runner holds is canceled at once."""
    ctx.begin_mutation(Action.JOBS_CANCEL, workspace, f"job:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_job_row(ctx, ws, name)
    if is_terminal(row.status):
        raise ConflictError(f"job {name!r} is already {row.status}")
    row.cancel_requested = True
    if row.status == JobStatus.QUEUED or not _runner_alive(row.runner_pid):
        for step in step_rows(ctx, row):
            if not is_terminal(step.status):
                set_status(ctx, step, JobStatus.CANCELED, error="canceled by user")
        set_status(ctx, row, JobStatus.CANCELED, error="canceled by user")
    ctx.record(
        Action.JOBS_CANCEL, workspace=workspace, target=f"job:{name}", event=JobCancelRequested()
    )
    return to_entity(row, workspace, steps=step_rows(ctx, row))


def set_status(ctx: ServiceContext, row: JobRow, status: JobStatus, **fields: Any) -> None:
    """The only way a job's status changes: checked against the state machine."""
    if row.status == status:
        for key, value in fields.items():
            setattr(row, key, value)
        return
    check_transition(row.status, status)
    now = datetime.now(UTC)
    if status == JobStatus.RUNNING and row.started_at is None:
        row.started_at = now
    if is_terminal(status):
        row.ended_at = now
        row.started_at = row.started_at or now
    row.status = status
    for key, value in fields.items():
        setattr(row, key, value)
    ctx.session.add(row)
    ws_name = ctx.session.get(WorkspaceRow, row.workspace_id)
    ctx.record(
        Action.JOBS_WRITE,
        workspace=ws_name.name if ws_name else None,
        target=f"job:{row.name}",
        event=JOB_STATUS_EVENTS[status.value](status=status.value, error=fields.get("error")),
    )


def require_job_row(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> JobRow:
    row = _find(ctx, ws, name)
    if row is None:
        raise NotFoundError(f"job {name!r} not found in workspace {ws.name!r}")
    return row


def step_rows(ctx: ServiceContext, row: JobRow) -> list[JobRow]:
    if row.type != "pipeline":
        return []
    rows = {
        r.step_name: r
        for r in ctx.session.scalars(select(JobRow).where(JobRow.parent_id == row.id))
    }
    order = row.spec.get("order") or sorted(rows)
    return [rows[s] for s in order if s in rows]


def _find(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> JobRow | None:
    return ctx.session.scalar(
        select(JobRow).where(JobRow.workspace_id == ws.id, JobRow.name == name)
    )


def _new_job_name() -> str:
    return f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_NOUNS)}_{secrets.token_hex(4)}"


def _runner_alive(pid: int | None) -> bool:
    if not pid:
        return False
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def to_entity(row: JobRow, workspace: str, steps: list[JobRow] | None = None) -> Job:
    parent_name = row.name.rsplit(".", 1)[0] if row.parent_id else None
    return Job(
        workspace=workspace,
        name=row.name,
        type=row.type,
        status=row.status,
        display_name=row.display_name,
        experiment_name=row.experiment_name,
        parent_job=parent_name,
        step_name=row.step_name,
        created_at=row.created_at,
        created_by=row.created_by,
        started_at=row.started_at,
        ended_at=row.ended_at,
        exit_code=row.exit_code,
        error=row.error,
        reused_from=row.reused_from,
        inputs=row.inputs,
        outputs=row.outputs,
        mlflow_run_id=row.mlflow_run_id,
        steps=[to_entity(s, workspace) for s in steps or []],
        spec=row.spec,
    )
