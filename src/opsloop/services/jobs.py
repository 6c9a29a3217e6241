"""Jobs: create (resolve, plan, and hand to the executor once committed), read, list,
cancel, sweep the jobs whose runner was lost.

Execution itself lives in ``opsloop.execution`` (plans, executors) and ``opsloop.runner``
(the runner process); the status changes it makes go through ``set_status`` here so the
state machine is enforced in one place.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import JOB_STATUS_EVENTS, JobCancelRequested, JobCreated
from opsloop.errors import ConflictError, NotFoundError
from opsloop.execution.executor import ExecutorHandle, PlanRef, StepProcess, executor_for
from opsloop.execution.plan import CommandStepPlan, InputBinding, PipelinePlan, SweepPlan
from opsloop.execution.states import TERMINAL, JobStatus, check_transition, is_terminal
from opsloop.schemas.entities import Job
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.job_resolution import (
    resolve_command_job,
    resolve_pipeline_job,
    resolve_sweep_job,
)
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.azureml_keys import job_warnings
from opsloop.specs.job import CommandJobSpec, PipelineJobSpec, SweepJobSpec
from opsloop.store.tables import JobRow, WorkspaceRow

log = logging.getLogger(__name__)

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


def create_job(
    ctx: ServiceContext, workspace: str, spec: CommandJobSpec | PipelineJobSpec | SweepJobSpec
) -> Job:
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
        resolved = resolve_pipeline_job(ctx, ws, spec, name)
        job = JobRow(
            name=name,
            type="pipeline",
            display_name=spec.display_name,
            status=JobStatus.QUEUED,
            spec=resolved.plan.to_json(),
            inputs={k: v.to_json() for k, v in resolved.inputs.items()},
            **common,
        )
        ctx.session.add(job)
        ctx.session.flush()
        for step_name in resolved.plan.order:
            step = resolved.steps[step_name]
            ctx.session.add(
                JobRow(
                    name=f"{name}.{step_name}",
                    parent_id=job.id,
                    step_name=step_name,
                    type="sweep" if isinstance(step, SweepPlan) else "command",
                    display_name=_display_name(step),
                    status=JobStatus.NOT_STARTED,
                    spec=step.to_json(),
                    inputs={k: v.to_json() for k, v in _inputs_of(step).items()},
                    **common,
                )
            )
    else:
        plan: CommandStepPlan | SweepPlan
        if isinstance(spec, SweepJobSpec):
            plan = resolve_sweep_job(ctx, ws, spec, name)
        else:
            plan = resolve_command_job(ctx, ws, spec, name)
        job = JobRow(
            name=name,
            type="sweep" if isinstance(plan, SweepPlan) else "command",
            display_name=spec.display_name,
            status=JobStatus.QUEUED,
            spec=plan.to_json(),
            inputs={k: v.to_json() for k, v in _inputs_of(plan).items()},
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
    if ctx.platform.launch_jobs:
        # Only once committed, so the runner always finds the job it is given.
        ctx.after_commit(lambda: launch_job(ctx.platform, workspace, name))
    created = to_entity(job, workspace, steps=step_rows(ctx, job))
    created.warnings = job_warnings(spec)
    return created


def get_job(ctx: ServiceContext, workspace: str, name: str) -> tuple[Job, list[Job]]:
    """The job with its steps, and those of them (the job included) whose metrics and params
    are still MLflow's to tell: a run going on, or one that ended without a snapshot (see
    ``JobRow.tracking``). Pass these to ``add_live_tracking`` once the transaction is over."""
    ctx.authorize(Action.JOBS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    row = require_job_row(ctx, ws, name)
    steps = step_rows(ctx, row)
    job = to_entity(row, workspace, steps=steps)
    pairs = list(zip((row, *steps), (job, *job.steps), strict=True))
    for step_row, step in pairs[1:]:
        if step_row.type == "sweep":  # a sweep step: its trials too
            trials = step_rows(ctx, step_row)
            step.steps = [to_entity(t, workspace) for t in trials]
            pairs += zip(trials, step.steps, strict=True)
    return job, [item for r, item in pairs if r.mlflow_run_id and r.tracking is None]


def add_live_tracking(platform: Platform, items: list[Job]) -> None:
    """Fill in the metrics and params MLflow holds now. Outside a transaction: the first
    read imports MLflow, seconds that no store lock should be held for."""
    for item in items:
        if item.mlflow_run_id:
            item.metrics, item.params = platform.tracking.metrics_and_params(item.mlflow_run_id)


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
    """Ask the runner to stop. A queued job, or one whose runner has stopped heartbeating
    (``runner_lost_after_s``), is canceled at once and its step processes on this host
    are ended; otherwise the runner sees ``cancel_requested`` and ends its steps itself."""
    ctx.begin_mutation(Action.JOBS_CANCEL, workspace, f"job:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = lock_job_row(ctx, require_job_row(ctx, ws, name).id)
    if row is None or is_terminal(row.status):
        raise ConflictError(f"job {name!r} is already {row.status if row else 'gone'}")
    row.cancel_requested = True
    if row.status == JobStatus.QUEUED or runner_lost(row, ctx.settings.runner_lost_after_s):
        _stop_here(ctx, row, JobStatus.CANCELED, "canceled by user")
    ctx.record(
        Action.JOBS_CANCEL, workspace=workspace, target=f"job:{name}", event=JobCancelRequested()
    )
    return to_entity(row, workspace, steps=step_rows(ctx, row))


def sweep_lost_runners(ctx: ServiceContext, now: datetime | None = None) -> list[str]:
    """Fail every job whose runner has stopped heartbeating; returns the jobs' names.

    A Running (or claimed Queued) job whose ``heartbeat_at`` is older than
    ``runner_lost_after_s`` becomes Failed with error "runner lost"; its running steps
    become Failed and its steps that had not started Canceled, each through ``set_status``
    (so each gets its event and audit record). Step process groups recorded on this host
    are ended (SIGTERM, then SIGKILL); those on other hosts are left to a sweep there,
    which also ends the step processes of jobs that were ended while it could not reach them.

    Safe to run from several processes at once: each job is re-read under a row lock
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises
    writers) and skipped if another sweep, a heartbeat or a cancel got there first. The
    caller owns the transaction, typically a background worker holding the sweeper lease.
    """
    now = now or datetime.now(UTC)
    lost_after = ctx.settings.runner_lost_after_s
    cutoff = now - timedelta(seconds=lost_after)
    candidates = ctx.session.scalars(
        select(JobRow.id).where(
            JobRow.parent_id.is_(None),
            JobRow.status.in_([JobStatus.RUNNING, JobStatus.QUEUED]),
            or_(
                JobRow.heartbeat_at < cutoff,
                # Rows from before heartbeats existed: judged by when they started.
                and_(
                    JobRow.heartbeat_at.is_(None),
                    JobRow.status == JobStatus.RUNNING,
                    JobRow.started_at < cutoff,
                ),
            ),
        )
    ).all()
    swept: list[str] = []
    for job_id in candidates:
        row = lock_job_row(ctx, job_id)
        if row is None or is_terminal(row.status) or not runner_lost(row, lost_after, now):
            continue
        _stop_here(ctx, row, JobStatus.FAILED, "runner lost")
        swept.append(row.name)
    # Jobs ended elsewhere (a cancel or a sweep on another host) while their steps ran here.
    ended_elsewhere = ctx.session.scalars(
        select(JobRow)
        .where(JobRow.step_pgid.is_not(None), JobRow.status.in_(sorted(TERMINAL)))
        .with_for_update()
    )
    _end_processes(ctx, list(ended_elsewhere))
    return swept


def runner_lost(row: JobRow, lost_after_s: float, now: datetime | None = None) -> bool:
    """Whether the job's runner has been silent longer than ``lost_after_s``."""
    seen = row.heartbeat_at or row.started_at
    now = now or datetime.now(UTC)
    return seen is None or seen < now - timedelta(seconds=lost_after_s)


def lock_job_row(ctx: ServiceContext, job_id: str) -> JobRow | None:
    """The row, freshly read and locked until the transaction ends."""
    return ctx.session.scalar(
        select(JobRow)
        .where(JobRow.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def launch_job(platform: Platform, workspace: str, name: str) -> ExecutorHandle:
    """Hand a job to its executor. Call once the transaction that created it has committed,
    so the runner always finds the job it is given."""
    return executor_for(platform.settings).launch(PlanRef(workspace=workspace, job=name))


def _stop_here(ctx: ServiceContext, row: JobRow, status: JobStatus, reason: str) -> None:
    """End a job its runner no longer drives: steps, job, then the processes left over."""
    steps = step_rows(ctx, row)
    # A sweep step's trials end before it does.
    steps = [t for s in steps if s.type == "sweep" for t in step_rows(ctx, s)] + steps
    for step in steps:
        if not is_terminal(step.status):
            ran = step.status == JobStatus.RUNNING
            set_status(ctx, step, status if ran else JobStatus.CANCELED, error=reason)
    set_status(ctx, row, status, error=reason)
    _end_processes(ctx, [row, *steps])


def _end_processes(ctx: ServiceContext, rows: list[JobRow]) -> None:
    """End the recorded process groups the executor can reach, and forget them (so no
    later call signals a reused id); the others are left for a sweep on their host."""
    recorded = [r for r in rows if r.step_pgid]
    handled = executor_for(ctx.settings).cancel(
        [StepProcess(r.step_host, r.step_pgid) for r in recorded]
    )
    for row in recorded:
        if StepProcess(row.step_host, row.step_pgid) in handled:
            log.info("ended the process group %s of job %s", row.step_pgid, row.name)
            row.step_pgid = None


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
    """A pipeline's steps in their order, or a sweep's trials in the order they began."""
    if row.type not in ("pipeline", "sweep"):
        return []
    rows = {
        r.step_name or r.name: r
        for r in ctx.session.scalars(select(JobRow).where(JobRow.parent_id == row.id))
    }
    if row.type == "sweep":
        return sorted(rows.values(), key=lambda r: int(r.name.rsplit("_", 1)[1]))
    order = PipelinePlan.model_validate(row.spec).order or sorted(rows)
    return [rows[s] for s in order if s in rows]


def _inputs_of(plan: CommandStepPlan | SweepPlan) -> dict[str, InputBinding]:
    return plan.trial.inputs if isinstance(plan, SweepPlan) else plan.inputs


def _display_name(plan: CommandStepPlan | SweepPlan) -> str | None:
    return (plan.trial if isinstance(plan, SweepPlan) else plan).component.display_name


def _find(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> JobRow | None:
    return ctx.session.scalar(
        select(JobRow).where(JobRow.workspace_id == ws.id, JobRow.name == name)
    )


def _new_job_name() -> str:
    return f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_NOUNS)}_{secrets.token_hex(4)}"


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
        reuse_reason=row.reuse_reason,
        inputs=row.inputs,
        outputs=row.outputs,
        mlflow_run_id=row.mlflow_run_id,
        metrics=(row.tracking or {}).get("metrics", {}),
        params=(row.tracking or {}).get("params", {}),
        steps=[to_entity(s, workspace) for s in steps or []],
        spec=row.spec,
        best_trial=row.spec.get("best_trial") if row.type == "sweep" else None,
        **_runtime(row),
    )


def _runtime(row: JobRow) -> dict[str, str | None]:
    """Where a command job or step runs: its compute, environment and interpreter."""
    if row.type == "pipeline":
        return {}
    plan = row.spec.get("trial", row.spec) if row.type == "sweep" else row.spec
    environment = (plan.get("component") or {}).get("environment") or {}
    return {
        "compute": (plan.get("compute") or {}).get("name", "local"),
        "environment": environment.get("reference")
        or (f"inline:{environment['hash'][:12]}" if environment.get("hash") else None),
        "interpreter": row.spec.get("interpreter"),
    }
