"""Each signal of a monitor run: what it reads, and its results per feature and metric.

``data_drift``, ``prediction_drift`` and ``data_quality`` go through the drift engine
(``monitoring.drift``, ``monitoring.quality``): the reference is summarised once
(``monitor_data.reference_summary``) and the production window read in chunks onto its
bins. The model's signals (performance, attribution, operations) are in
``monitor_model_signals``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from opsloop.errors import ValidationError
from opsloop.monitoring.attribution import feature_importances
from opsloop.monitoring.drift import compute_data_drift
from opsloop.monitoring.quality import compute_data_quality
from opsloop.monitoring.reference import ReferenceSummary
from opsloop.monitoring.report import Histogram, histogram_of
from opsloop.monitoring.sources import COLLECTOR_COLUMNS, iter_batches
from opsloop.monitoring.window import ProductionWindow, read_window
from opsloop.schemas.monitors import MonitorResult
from opsloop.services import monitor_data
from opsloop.services.context import ServiceContext
from opsloop.services.monitor_data import MonitorTable
from opsloop.specs.monitor import DataWindow, MonitoringTarget, MonitorInput, MonitorSignal
from opsloop.store.tables import DeploymentRow, WorkspaceRow

QUALITY_TYPES = ("numerical", "categorical")


@dataclass
class RunInputs:
    """What every signal of one run shares."""

    ctx: ServiceContext
    ws: WorkspaceRow
    target: MonitoringTarget
    deployment: DeploymentRow
    window_end: datetime
    _tables: dict[str, MonitorTable | None] = field(default_factory=dict)

    def collected(self, collection: str) -> MonitorTable | None:
        if collection not in self._tables:
            url = monitor_data.collected_url(
                self.ctx, self.ws, self.target.endpoint, self.target.deployment, collection
            )
            self._tables[collection] = monitor_data.collected_table(url)
        return self._tables[collection]

    def collected_url(self, collection: str) -> str:
        return monitor_data.collected_url(
            self.ctx, self.ws, self.target.endpoint, self.target.deployment, collection
        )

    def window(self, given: MonitorInput | None) -> tuple[datetime, datetime]:
        spec = (given.data_window if given else None) or DataWindow()
        end = self.window_end - spec.offset
        return end - spec.size, end


@dataclass
class SignalOutcome:
    name: str
    type: str
    alert_enabled: bool
    results: list[MonitorResult] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    histograms: list[Histogram] = field(default_factory=list)

    def skip(self, reason: str) -> SignalOutcome:
        self.details["skipped"] = reason
        return self


def production_table(run: RunInputs, signal: MonitorSignal, collection: str, field: str) -> MonitorTable | None:  # fmt: skip
    given = signal.production_data.input_data if signal.production_data else None
    if given is not None:
        return monitor_data.input_table(run.ctx, run.ws, given, field)
    return run.collected(collection)


def reference_table(run: RunInputs, signal: MonitorSignal, field: str) -> MonitorTable:
    given = signal.reference_data.input_data if signal.reference_data else None
    if given is not None:
        return monitor_data.input_table(run.ctx, run.ws, given, field)
    return monitor_data.training_table(run.ctx, run.ws, run.deployment, run.target.endpoint)


def target_column(signal: MonitorSignal, reference: list[str], inputs: list[str]) -> str | None:
    """The reference's label: ``data_column_names.target_column``, else its one column
    the model's inputs lack."""
    names = signal.reference_data.data_column_names if signal.reference_data else {}
    named = names.get("target_column") or names.get("actual")
    if named:
        return named
    extra = [c for c in reference if c not in inputs and c not in COLLECTOR_COLUMNS]
    return extra[0] if len(extra) == 1 else None


def evaluate_distribution(run: RunInputs, name: str, signal: MonitorSignal) -> SignalOutcome:
    """data_drift, prediction_drift or data_quality."""
    outcome = SignalOutcome(name, signal.type, signal.alert_enabled)
    field = f"monitoring_signals.{name}"
    collection = "model_outputs" if signal.type == "prediction_drift" else "model_inputs"
    # The reference first: a monitor that cannot find one says so before any traffic.
    reference = reference_table(run, signal, f"{field}.reference_data")
    production = production_table(run, signal, collection, f"{field}.production_data")
    if production is None:
        return outcome.skip(f"nothing collected yet at {run.collected_url(collection)}")
    prod_columns, ref_columns = production.columns(), reference.columns()
    inputs = run.collected("model_inputs")
    target = target_column(signal, ref_columns, inputs.columns() if inputs else prod_columns)
    if signal.type == "prediction_drift":
        reference, ref_columns = _prediction_reference(reference, prod_columns, ref_columns, target)
        columns = monitor_data.feature_columns(prod_columns, ref_columns, set())
    else:
        columns = monitor_data.feature_columns(
            prod_columns, ref_columns, {target} if target else set()
        )
    if not columns:
        raise ValidationError(
            f"{production.label} and {reference.label} have no column in common",
            field=f"{field}.reference_data",
        )
    summary = monitor_data.reference_summary(run.ctx, reference, columns)
    names = _selected(signal, summary, reference, target, field)
    start, end = run.window(signal.production_data)
    timed = "timestamp" in prod_columns
    window = read_window(
        summary,
        production.source,
        names,
        start=start if timed else None,
        end=end if timed else None,
    )
    outcome.details.update(
        production=production.label, reference=reference.label, rows=window.row_count,
        window_start=start.isoformat() if timed else None, window_end=end.isoformat() if timed else None,
    )  # fmt: skip
    outcome.results = _results(signal, summary, window, names, field)
    outcome.histograms = [histogram_of(n, summary.feature(n), window.features[n]) for n in names]
    return outcome


def _prediction_reference(
    reference: MonitorTable, outputs: list[str], ref_columns: list[str], target: str | None
) -> tuple[MonitorTable, list[str]]:
    """The reference for prediction drift: its columns named as the model's outputs, else
    its target column read as the (one) prediction column."""
    predicted = [c for c in outputs if c not in COLLECTOR_COLUMNS]
    if any(c in ref_columns for c in predicted):
        return reference, ref_columns
    if target is None or len(predicted) != 1:
        raise ValidationError(
            f"{reference.label} holds no column of the model's outputs ({', '.join(predicted)}) "
            "and no single target column; set reference_data.data_column_names.target_column"
        )
    frame = monitor_data.renamed(reference, {target: predicted[0]})
    return MonitorTable(source=frame, label=f"{reference.label} ({target})"), predicted


def _selected(
    signal: MonitorSignal, summary: ReferenceSummary, reference: MonitorTable,
    target: str | None, field: str,
) -> list[str]:  # fmt: skip
    from opsloop.monitoring.features import select_features

    importances = None
    if isinstance(signal.features, dict):
        if target is None:
            raise ValidationError(
                "top_n_feature_importance needs the reference's target column; set "
                "reference_data.data_column_names.target_column", field=f"{field}.features",
            )  # fmt: skip
        frame = _frame(reference, [*summary.features, target])
        importances = feature_importances(frame, list(summary.features), target)
    try:
        return select_features(summary, signal.features or "all", importances)
    except ValueError as exc:
        raise ValidationError(str(exc), field=f"{field}.features") from None


def _frame(table: MonitorTable, columns: list[str]) -> Any:
    import pyarrow as pa

    return pa.concat_tables(list(iter_batches(table.source, columns))).to_pandas()


def _results(
    signal: MonitorSignal, summary: ReferenceSummary, window: ProductionWindow,
    names: list[str], field: str,
) -> list[MonitorResult]:  # fmt: skip
    try:
        if signal.type == "data_quality":
            computed = [
                compute_data_quality(summary, window, features=chosen, metric_thresholds=given)
                for chosen, given in _quality_groups(summary, names, signal.metric_thresholds)
            ]
        else:
            computed = [
                compute_data_drift(
                    summary, window, features=names, metric_thresholds=signal.metric_thresholds
                )
            ]
    except ValueError as exc:
        raise ValidationError(str(exc), field=f"{field}.metric_thresholds") from None
    return [_result(signal, row) for result in computed for row in result.results]


def _quality_groups(
    summary: ReferenceSummary, names: list[str], thresholds: Mapping[str, Any]
) -> list[tuple[list[str], dict[str, float | None] | None]]:
    """Azure ML's quality thresholds per feature type ({numerical: {...}}), or flat."""
    nested = any(k in QUALITY_TYPES for k in thresholds)
    groups = []
    for kind in QUALITY_TYPES:
        chosen = [n for n in names if summary.feature(n).feature_type == kind]
        given = thresholds.get(kind) if nested else thresholds
        if chosen:
            groups.append((chosen, _with_defaults(given) if given else None))
    return groups


def _with_defaults(given: Mapping[str, Any]) -> dict[str, float | None]:
    from opsloop.monitoring.quality import DEFAULT_QUALITY_THRESHOLDS

    return {**DEFAULT_QUALITY_THRESHOLDS, **given}


def _result(signal: MonitorSignal, row: Any) -> MonitorResult:
    is_test = row.statistic is not None
    return MonitorResult(
        signal="",
        signal_type=signal.type,
        feature=row.feature,
        metric=row.metric,
        value=row.value,
        threshold=row.threshold,
        breached=row.breached,
        p_value=row.adjusted_p_value if is_test else None,
        note=row.note,
    )


def window_minutes(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(minutes=1)
