"""Running a monitor: every signal on its window, results stored, report written, alerts.

``run_monitor`` is the one workflow every caller uses (the CLI, the API, a schedule). It
computes each signal (``monitor_signals``, ``monitor_model_signals``), stores the run and
its results per signal, feature and metric, writes the run's plots and HTML report to the
artifact store (``monitor_reports``), and records ``monitor.run_completed`` and, when a
signal with ``alert_enabled`` breached, ``monitor.alerted``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.monitor_events import Breach, MonitorAlerted, MonitorRunCompleted
from opsloop.errors import NotFoundError, ValidationError
from opsloop.schemas.monitors import MonitorResult, MonitorRun
from opsloop.services import monitor_model_signals as model_signals
from opsloop.services.context import ServiceContext
from opsloop.services.monitor_reports import write_report
from opsloop.services.monitor_signals import RunInputs, SignalOutcome, evaluate_distribution
from opsloop.services.monitors import require_monitor_row
from opsloop.services.online_deployments import require_deployment_row
from opsloop.services.online_endpoints import require_endpoint_row
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.monitor import DEFAULT_SIGNALS, MonitorSignal, MonitorSpec
from opsloop.store.monitor_tables import MonitorResultRow, MonitorRow, MonitorRunRow
from opsloop.store.tables import in_utc

Evaluator = Callable[[RunInputs, str, MonitorSignal], SignalOutcome]
_EVALUATORS: dict[str, Evaluator] = {
    "data_drift": evaluate_distribution,
    "prediction_drift": evaluate_distribution,
    "data_quality": evaluate_distribution,
    "model_performance": model_signals.evaluate_performance,
    "feature_attribution_drift": model_signals.evaluate_attribution,
    "endpoint_operations": model_signals.evaluate_operations,
}


def run_monitor(
    ctx: ServiceContext, workspace: str, name: str, *, window_end: datetime | None = None
) -> MonitorRun:
    """Run every signal of the monitor on windows ending at ``window_end`` (default now)."""
    ctx.begin_mutation(Action.MONITORS_RUN, workspace, f"monitor:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_monitor_row(ctx, ws, name)
    spec = MonitorSpec.model_validate(row.spec)
    end = in_utc(window_end) if window_end is not None else datetime.now(UTC)
    endpoint = require_endpoint_row(ctx, ws, row.endpoint)
    deployment = require_deployment_row(ctx, endpoint, row.deployment)
    inputs = RunInputs(ctx, ws, spec.monitoring_target, deployment, end)
    outcomes = [_EVALUATORS[s.type](inputs, n, s) for n, s in signals_of(spec).items()]
    number = 1 + (
        ctx.session.scalar(
            select(func.max(MonitorRunRow.number)).where(MonitorRunRow.monitor_id == row.id)
        )
        or 0
    )
    run = MonitorRunRow(
        monitor_id=row.id, number=number, window_end=end, status="Completed",
        created_by=str(ctx.actor),
        details={o.name: {"type": o.type, **o.details} for o in outcomes},
    )  # fmt: skip
    ctx.session.add(run)
    ctx.session.flush()
    results = [_store(ctx, row, run, o, r) for o in outcomes for r in o.results]
    alerting = [r for o in outcomes if o.alert_enabled for r in o.results if r.breached]
    run.breached = any(r.breached for r in results)
    run.report_url = write_report(ctx, workspace, row, run, outcomes, results)
    ctx.session.flush()
    _record(ctx, workspace, row, run, alerting, inputs)
    return _entity(workspace, row, run, results)


def signals_of(spec: MonitorSpec) -> dict[str, MonitorSignal]:
    """The spec's signals; without any, data drift, prediction drift and data quality."""
    if spec.monitoring_signals:
        return spec.monitoring_signals
    return {kind: MonitorSignal(type=kind) for kind in DEFAULT_SIGNALS}


def list_runs(ctx: ServiceContext, workspace: str, name: str) -> list[MonitorRun]:
    ctx.authorize(Action.MONITORS_READ, workspace, f"monitor:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_monitor_row(ctx, ws, name)
    runs = ctx.session.scalars(
        select(MonitorRunRow)
        .where(MonitorRunRow.monitor_id == row.id)
        .order_by(MonitorRunRow.number)
    )
    return [_entity(workspace, row, run, []) for run in runs]


def get_run(ctx: ServiceContext, workspace: str, name: str, run: str = "latest") -> MonitorRun:
    """A run with its results: ``latest``, its number, or its id."""
    ctx.authorize(Action.MONITORS_READ, workspace, f"monitor:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_monitor_row(ctx, ws, name)
    found = _find_run(ctx, row, run)
    results = ctx.session.scalars(
        select(MonitorResultRow)
        .where(MonitorResultRow.run_id == found.id)
        .order_by(MonitorResultRow.id)
    )
    return _entity(workspace, row, found, [_result(r) for r in results])


def _find_run(ctx: ServiceContext, row: MonitorRow, run: str) -> MonitorRunRow:
    query = select(MonitorRunRow).where(MonitorRunRow.monitor_id == row.id)
    if run == "latest":
        query = query.order_by(MonitorRunRow.number.desc()).limit(1)
    elif run.isdigit():
        query = query.where(MonitorRunRow.number == int(run))
    else:
        query = query.where(MonitorRunRow.id == run)
    found = ctx.session.scalar(query)
    if found is None:
        what = "has not run yet" if run == "latest" else f"has no run {run!r}"
        raise NotFoundError(
            f"monitor {row.name!r} {what}; run it with `opsloop monitor run {row.name}`"
        )
    return found


def _store(ctx: ServiceContext, monitor: MonitorRow, run: MonitorRunRow, outcome: SignalOutcome,
           result: MonitorResult) -> MonitorResult:  # fmt: skip
    result.signal = outcome.name
    ctx.session.add(
        MonitorResultRow(
            run_id=run.id,
            monitor_id=monitor.id,
            signal=outcome.name,
            signal_type=outcome.type,
            feature=result.feature,
            metric=result.metric,
            value=result.value,
            threshold=result.threshold,
            breached=result.breached,
            p_value=result.p_value,
            note=result.note,
        )
    )
    return result


def _record(ctx: ServiceContext, workspace: str, row: MonitorRow, run: MonitorRunRow,
            alerting: list[MonitorResult], inputs: RunInputs) -> None:  # fmt: skip
    target = f"monitor:{row.name}"
    ctx.record(
        Action.MONITORS_RUN, workspace=workspace, target=target,
        event=MonitorRunCompleted(
            monitor=row.name, run=str(run.number), breached=bool(run.breached), report=run.report_url
        ),
    )  # fmt: skip
    if not alerting:
        return
    breaches = [
        Breach(
            signal=r.signal,
            feature=r.feature,
            metric=r.metric,
            value=r.value,
            threshold=r.threshold,
        )
        for r in alerting
    ]
    drifted = [r.feature for r in alerting if r.feature and r.signal_type == "data_drift"]
    ctx.record(
        Action.MONITORS_RUN, workspace=workspace, target=target,
        event=MonitorAlerted(
            monitor=row.name, run=str(run.number), endpoint=row.endpoint, deployment=row.deployment,
            breaches=breaches, features=list(dict.fromkeys(drifted)), report=run.report_url,
            production_data=_production_url(inputs),
        ),
    )  # fmt: skip


def _production_url(inputs: RunInputs) -> str | None:
    try:
        return inputs.collected_url("model_inputs")
    except ValidationError:
        return None


def _result(row: MonitorResultRow) -> MonitorResult:
    return MonitorResult(
        signal=row.signal, signal_type=row.signal_type, feature=row.feature, metric=row.metric,
        value=row.value, threshold=row.threshold, breached=row.breached, p_value=row.p_value,
        note=row.note,
    )  # fmt: skip


def _entity(workspace: str, monitor: MonitorRow, run: MonitorRunRow,
            results: list[MonitorResult]) -> MonitorRun:  # fmt: skip
    return MonitorRun(
        workspace=workspace, monitor=monitor.name, id=run.id, number=run.number,
        window_end=run.window_end, status=run.status, breached=run.breached,
        report=run.report_url, details=run.details, created_at=run.created_at,
        created_by=run.created_by, results=results,
    )  # fmt: skip
