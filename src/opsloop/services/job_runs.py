"""What a job's runner reads and reports: the one write path from execution to the store.

A runner (``opsloop.runner``) never touches ``JobRow``: it claims its job, heartbeats,
reads plans and upstream outputs, and reports each step's start, process, reuse and end
through these functions, each in a transaction of its own (the runner owns it). Every
status change goes through ``jobs.set_status``, so it gets its event and audit record.
Heartbeats only move ``heartbeat_at``: a liveness signal, not an event worth an audit
line every few seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select

from opsloop.errors import NotFoundError
from opsloop.execution.plan import (
    CommandStepPlan,
    PipelinePlan,
    StoredOutput,
    SweepPlan,
    read_plan,
    read_step_plan,
)
from opsloop.execution.states import JobStatus, is_terminal
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.jobs import lock_job_row, require_job_row, set_status
from opsloop.services.workspaces import require_workspace_row
from opsloop.store.artifacts import ArtifactStore
from opsloop.store.tables import JobRow

T = TypeVar("T")


@dataclass(frozen=True)
class RunView:
    """A claimed job as its runner sees it."""

    id: str
    name: str
    workspace: str
    experiment_name: str
    plan: CommandStepPlan | PipelinePlan | SweepPlan


@dataclass(frozen=True)
class StepView:
    """A command job, a pipeline step or a sweep's trial: its plan (a ``SweepPlan`` for a
    sweep step) and what it has reported so far."""

    id: str
    name: str
    label: str  # the step name, or the job name for a command job
    workspace_id: str
    parent_id: str | None
    status: JobStatus
    plan: CommandStepPlan | SweepPlan
    error: str | None = None
    reused_from: str | None = None
    mlflow_run_id: str | None = None
    outputs: dict[str, StoredOutput] = field(default_factory=dict)

    @property
    def producer(self) -> str:
        """The step that really made the outputs (itself unless it reused another's)."""
        return self.reused_from or self.name


def report(platform: Platform, call: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Make one of the calls below in a transaction of its own, as the runner does."""
    with platform.context(SYSTEM_ACTOR) as ctx:
        return call(ctx, *args, **kwargs)


# ---- the job ---------------------------------------------------------------------------
def report_started(
    ctx: ServiceContext, workspace: str, job_name: str, *, pid: int, host: str
) -> RunView | None:
    """Claim a queued job for this runner; None if it is not queued (any more)."""
    ws = require_workspace_row(ctx, workspace)
    row = lock_job_row(ctx, require_job_row(ctx, ws, job_name).id)
    if row is None or row.status != JobStatus.QUEUED:
        return None
    set_status(
        ctx,
        row,
        JobStatus.RUNNING,
        runner_pid=pid,
        runner_host=host,
        heartbeat_at=datetime.now(UTC),
    )
    return RunView(
        id=row.id,
        name=row.name,
        workspace=workspace,
        experiment_name=row.experiment_name,
        plan=read_plan(row.type, row.spec),
    )


def report_heartbeat(ctx: ServiceContext, job_id: str) -> bool:
    """Record that the runner is alive; False when it should stop (canceled, ended, or
    already given up as lost)."""
    row = lock_job_row(ctx, job_id)
    if row is None or is_terminal(row.status):
        return False
    row.heartbeat_at = datetime.now(UTC)
    return not row.cancel_requested


def should_stop(ctx: ServiceContext, job_id: str) -> bool:
    row = ctx.session.get(JobRow, job_id)
    return row is None or row.cancel_requested or is_terminal(row.status)


def report_run_id(ctx: ServiceContext, job_id: str, mlflow_run_id: str) -> None:
    """The MLflow parent run of a pipeline, once started."""
    row = require_row(ctx, job_id)
    set_status(ctx, row, JobStatus(row.status), mlflow_run_id=mlflow_run_id)


def report_finished(
    ctx: ServiceContext,
    job_id: str,
    status: JobStatus,
    *,
    error: str | None = None,
    outputs: dict[str, StoredOutput] | None = None,
    tracking: dict[str, Any] | None = None,
) -> bool:
    """End the job, unless something (a cancel, a sweep) ended it first. ``tracking``: what
    its MLflow run held once closed (see ``JobRow.tracking``)."""
    row = lock_job_row(ctx, job_id)
    if row is None or is_terminal(row.status):
        return False
    fields: dict[str, Any] = {"error": error, "tracking": tracking}
    if outputs is not None:
        fields["outputs"] = _outputs_json(outputs)
    set_status(ctx, row, status, **fields)
    return True


# ---- steps -----------------------------------------------------------------------------
def load_step(ctx: ServiceContext, step_id: str) -> StepView:
    return view(require_row(ctx, step_id))


def steps_of(ctx: ServiceContext, job_id: str) -> dict[str, StepView]:
    rows = ctx.session.scalars(select(JobRow).where(JobRow.parent_id == job_id))
    views = [view(row) for row in rows]
    return {view.label: view for view in views}


def upstream_step(ctx: ServiceContext, step_id: str, step_name: str) -> StepView | None:
    """The sibling step ``step_name`` of a pipeline step (of the sweep step, for a trial)."""
    row = require_row(ctx, step_id)
    parent = ctx.session.get(JobRow, row.parent_id) if row.parent_id else None
    scope = parent.parent_id if parent is not None and parent.type == "sweep" else row.parent_id
    sibling = ctx.session.scalar(
        select(JobRow).where(JobRow.parent_id == scope, JobRow.step_name == step_name)
    )
    return view(sibling) if sibling is not None else None


def reuse_candidates(ctx: ServiceContext, step_id: str, step_hash: str) -> list[StepView]:
    """Completed steps of the same workspace with this hash, newest first."""
    row = require_row(ctx, step_id)
    return completed_with_hash(ctx, row.workspace_id, step_hash, besides=step_id)


def completed_with_hash(
    ctx: ServiceContext, workspace_id: str, step_hash: str, *, besides: str | None = None
) -> list[StepView]:
    """Completed steps of a workspace with this step hash, newest first: what a step with
    that hash would reuse (the runner's check and job validation's prediction)."""
    query = select(JobRow).where(
        JobRow.workspace_id == workspace_id,
        JobRow.step_hash == step_hash,
        JobRow.status == JobStatus.COMPLETED,
    )
    if besides is not None:
        query = query.where(JobRow.id != besides)
    rows = ctx.session.scalars(query.order_by(JobRow.ended_at.desc()))
    return [view(candidate) for candidate in rows]


def outputs_still_stored(artifacts: ArtifactStore, step: StepView) -> bool:
    """Whether every output of an earlier step is still in the store (so it can be reused)."""
    return all(artifacts.exists(o.url) for o in step.outputs.values())


def report_step_reused(
    ctx: ServiceContext, step_id: str, source: StepView, *, step_hash: str, code_hash: str | None
) -> None:
    row = require_row(ctx, step_id)
    producer = ctx.session.get(JobRow, source.id)
    set_status(
        ctx,
        row,
        JobStatus.COMPLETED,
        step_hash=step_hash,
        tracking=producer.tracking if producer is not None else None,
        reused_from=source.producer,
        reuse_reason=f"reused from {source.producer}",
        outputs=_outputs_json(source.outputs),
        mlflow_run_id=source.mlflow_run_id,
        exit_code=0,
        spec=_with_code_hash(row, code_hash),
    )


def report_step_started(
    ctx: ServiceContext,
    step_id: str,
    *,
    step_hash: str,
    mlflow_run_id: str,
    code_hash: str | None,
    reuse_reason: str | None = None,
    interpreter: str | None = None,
) -> None:
    row = require_row(ctx, step_id)
    set_status(
        ctx,
        row,
        JobStatus.RUNNING,
        step_hash=step_hash,
        reuse_reason=reuse_reason,
        mlflow_run_id=mlflow_run_id,
        spec=_with_code_hash(row, code_hash, interpreter),
    )


def report_step_process(ctx: ServiceContext, step_id: str, *, pgid: int, host: str) -> None:
    """The step's process group, so a cancel or a sweep can end it if the runner is gone."""
    row = require_row(ctx, step_id)
    row.step_pgid, row.step_host = pgid, host


def report_step_finished(
    ctx: ServiceContext,
    step_id: str,
    status: JobStatus,
    *,
    error: str | None = None,
    exit_code: int | None = None,
    outputs: dict[str, StoredOutput] | None = None,
    tracking: dict[str, Any] | None = None,
) -> bool:
    """End a step (a command job ends with its one step), unless it ended already."""
    row = lock_job_row(ctx, step_id)
    if row is None or is_terminal(row.status):
        return False
    # The process group is gone: forget it, so no later cancel signals a reused id.
    fields: dict[str, Any] = {
        "error": error,
        "exit_code": exit_code,
        "step_pgid": None,
        "tracking": tracking,
    }
    if outputs is not None:
        fields["outputs"] = _outputs_json(outputs)
    set_status(ctx, row, status, **fields)
    return True


def _with_code_hash(
    row: JobRow, code_hash: str | None, interpreter: str | None = None
) -> dict[str, Any]:
    """The step's stored plan, now saying which code snapshot (and interpreter) it ran."""
    plan = CommandStepPlan.model_validate(row.spec)
    update: dict[str, Any] = {"code_hash": code_hash}
    if interpreter is not None:
        update["interpreter"] = interpreter
    return plan.model_copy(update=update).to_json()


def _outputs_json(outputs: dict[str, StoredOutput]) -> dict[str, Any]:
    return {name: output.to_json() for name, output in outputs.items()}


def require_row(ctx: ServiceContext, job_id: str) -> JobRow:
    row = ctx.session.get(JobRow, job_id)
    if row is None:
        raise NotFoundError(f"job {job_id!r} no longer exists")
    return row


def view(row: JobRow) -> StepView:
    return StepView(
        id=row.id,
        name=row.name,
        label=row.step_name or row.name,
        workspace_id=row.workspace_id,
        parent_id=row.parent_id,
        status=JobStatus(row.status),
        plan=read_step_plan(row.type, row.spec),
        error=row.error,
        reused_from=row.reused_from,
        mlflow_run_id=row.mlflow_run_id,
        outputs={k: StoredOutput.model_validate(v) for k, v in (row.outputs or {}).items()},
    )
