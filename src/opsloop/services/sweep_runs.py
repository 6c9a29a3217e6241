"""What a sweep's runner reports, beside ``job_runs``: the sweep starts, each trial it draws
becomes a child row (a command step, its search-space inputs bound to the drawn values), and
the sweep ends with its best trial, whose outputs become the sweep's.

Trials are made as they are drawn, not at submission: how many there will be depends on
early termination, the timeout and the grid.
"""

from __future__ import annotations

from typing import Any

from opsloop.execution.plan import LiteralBinding, StoredOutput, SweepPlan
from opsloop.execution.states import JobStatus, is_terminal
from opsloop.services.context import ServiceContext
from opsloop.services.job_runs import StepView, require_row, view
from opsloop.services.jobs import lock_job_row, set_status
from opsloop.specs.values import coerce_literal
from opsloop.store.tables import JobRow


def report_sweep_started(ctx: ServiceContext, sweep_id: str, mlflow_run_id: str) -> SweepPlan:
    """The sweep runs (a pipeline step starts here; a sweep job was claimed already)."""
    row = require_row(ctx, sweep_id)
    set_status(ctx, row, JobStatus.RUNNING, mlflow_run_id=mlflow_run_id)
    return SweepPlan.model_validate(row.spec)


def report_trial_created(
    ctx: ServiceContext, sweep_id: str, number: int, values: dict[str, Any]
) -> StepView:
    """A new trial of the sweep, ``trial_<number>``, with the values drawn for it."""
    sweep = require_row(ctx, sweep_id)
    trial = SweepPlan.model_validate(sweep.spec).trial
    for name, value in values.items():
        declared = trial.component.inputs[name]
        trial.inputs[name] = LiteralBinding(
            value=coerce_literal(declared, value, field=f"search_space.{name}")
        )
    row = JobRow(
        name=f"{sweep.name}.trial_{number}",
        parent_id=sweep.id,
        step_name=f"trial_{number}",
        type="command",
        display_name=trial.component.display_name,
        status=JobStatus.NOT_STARTED,
        spec=trial.to_json(),
        inputs={k: v.to_json() for k, v in trial.inputs.items()},
        workspace_id=sweep.workspace_id,
        experiment_name=sweep.experiment_name,
        created_by=sweep.created_by,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return view(row)


def report_sweep_finished(
    ctx: ServiceContext,
    sweep_id: str,
    status: JobStatus,
    *,
    error: str | None,
    best_trial: str | None,
    outputs: dict[str, StoredOutput],
    tracking: dict[str, Any] | None,
) -> bool:
    """End the sweep, unless a cancel or a sweep of lost runners ended it first."""
    row = lock_job_row(ctx, sweep_id)
    if row is None or is_terminal(row.status):
        return False
    plan = SweepPlan.model_validate(row.spec).model_copy(update={"best_trial": best_trial})
    set_status(
        ctx,
        row,
        status,
        error=error,
        tracking=tracking,
        outputs={name: output.to_json() for name, output in outputs.items()},
        spec=plan.to_json(),
    )
    return True
