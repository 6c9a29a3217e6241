"""The model's signals: model_performance, feature_attribution_drift, endpoint_operations.

- ``model_performance`` joins the collected outputs (``model_outputs``) with ground truth
  on the correlation id the data collector records (and on ``row_index`` when the ground
  truth has one, for requests of several rows). The ground truth is the data asset in
  ``reference_data.input_data`` when the signal names one; else what was posted to the
  endpoint's feedback route since the window began (the latest post for a row wins).
- ``feature_attribution_drift`` compares feature importances (``monitoring.attribution``)
  on the reference (label: its target column) and on production (inputs joined with
  outputs; label: the prediction).
- ``endpoint_operations`` reads the endpoint's traffic log for the window.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import or_, select

from opsloop.errors import ValidationError
from opsloop.monitoring import attribution, ground_truth, operations, performance
from opsloop.monitoring.ground_truth import GROUND_TRUTH
from opsloop.monitoring.sources import COLLECTOR_COLUMNS, iter_batches
from opsloop.schemas.monitors import MonitorResult
from opsloop.services import monitor_data
from opsloop.services.monitor_data import MonitorTable
from opsloop.services.monitor_signals import (
    RunInputs,
    SignalOutcome,
    production_table,
    reference_table,
    target_column,
    window_minutes,
)
from opsloop.specs.monitor import MonitorSignal
from opsloop.store.tables import EndpointRequestLogRow

CORRELATION = "correlationid"
_TASK_KEYS = {
    "classification": ("classification", "tabular_classification"),
    "regression": ("regression", "tabular_regression"),
}


def evaluate_performance(run: RunInputs, name: str, signal: MonitorSignal) -> SignalOutcome:
    outcome = SignalOutcome(name, signal.type, signal.alert_enabled)
    field = f"monitoring_signals.{name}"
    outputs = production_table(run, signal, "model_outputs", f"{field}.production_data")
    if outputs is None:
        return outcome.skip(f"nothing collected yet at {run.collected_url('model_outputs')}")
    start, end = run.window(signal.production_data)
    posted = signal.reference_data is None or signal.reference_data.input_data is None
    truth = (
        _posted_truth(run) if posted else reference_table(run, signal, f"{field}.reference_data")
    )
    if truth is None:
        return outcome.skip(
            "no ground truth: name a data asset in reference_data.input_data, or post it to "
            f"the endpoint's feedback route (nothing at {feedback_url(run)})"
        )
    produced = _read(outputs, None, start, end)
    # Ground truth comes after the prediction: posts from before the window cannot be for it.
    actual = _latest(_read(truth, None, start, None)) if posted else _read(truth, None)
    prediction = _prediction_column(signal, list(produced.columns))
    names = signal.reference_data.data_column_names if signal.reference_data else {}
    label = (
        GROUND_TRUTH
        if posted
        else target_column(signal, list(actual.columns), list(produced.columns))
    )
    truth_key = names.get("correlation_id", CORRELATION) if not posted else CORRELATION
    if label is None or label not in actual or truth_key not in actual:
        raise ValidationError(
            f"{truth.label} needs the columns {truth_key!r} and the actual label (name it "
            "with reference_data.data_column_names.actual)",
            field=f"{field}.reference_data",
        )
    keys = [CORRELATION, "row_index"] if "row_index" in actual else [CORRELATION]
    actual = actual.rename(columns={truth_key: CORRELATION, label: "__actual"})
    produced[CORRELATION] = produced[CORRELATION].astype(str)
    actual[CORRELATION] = actual[CORRELATION].astype(str)
    joined = produced.merge(actual[[*keys, "__actual"]], on=keys, how="inner")
    task = run.target.ml_task or _task_of(joined[prediction])
    pairs = (joined["__actual"].to_numpy(), joined[prediction].to_numpy())
    values = (
        performance.classification_metrics(*pairs)
        if task == "classification"
        else performance.regression_metrics(*pairs)
    )
    thresholds = _task_thresholds(signal.metric_thresholds, task)
    outcome.details.update(
        production=outputs.label, reference=truth.label, rows=len(joined), ml_task=task,
        window_start=start.isoformat(), window_end=end.isoformat(),
    )  # fmt: skip
    if not values:
        return outcome.skip("no collected output matched the ground truth's correlation ids")
    for metric, value in values.items():
        threshold = thresholds.get(metric)
        lower = metric in performance.LOWER_IS_WORSE
        worse = threshold is not None and (value < threshold if lower else value > threshold)
        outcome.results.append(_row(signal, "", metric, value, threshold, worse))
    return outcome


def feedback_url(run: RunInputs) -> str:
    return ground_truth.feedback_url(
        monitor_data.collector_root(run.ctx, run.ws), run.target.endpoint
    )


def _posted_truth(run: RunInputs) -> MonitorTable | None:
    return monitor_data.collected_table(feedback_url(run))


def _latest(actual: Any) -> Any:
    """A correction posted later replaces the earlier ground truth of the same row."""
    if not len(actual):
        return actual
    ordered = actual.sort_values("timestamp", kind="stable")
    return ordered.drop_duplicates([CORRELATION, "row_index"], keep="last")


def evaluate_attribution(run: RunInputs, name: str, signal: MonitorSignal) -> SignalOutcome:
    outcome = SignalOutcome(name, signal.type, signal.alert_enabled)
    field = f"monitoring_signals.{name}"
    inputs, outputs = run.collected("model_inputs"), run.collected("model_outputs")
    if inputs is None or outputs is None:
        return outcome.skip(
            "feature attribution drift needs collected model_inputs and model_outputs"
        )
    reference = reference_table(run, signal, f"{field}.reference_data")
    ref_columns, in_columns = reference.columns(), inputs.columns()
    target = target_column(signal, ref_columns, in_columns)
    features = monitor_data.feature_columns(in_columns, ref_columns, {target} if target else set())
    if target is None or not features:
        raise ValidationError(
            "feature attribution drift needs the reference's target column and features the "
            "model's inputs share with it; set reference_data.data_column_names.target_column",
            field=f"{field}.reference_data",
        )
    start, end = run.window(signal.production_data)
    produced = _read(inputs, None, start, end).merge(
        _read(outputs, None, start, end).drop(columns=["timestamp"]), on=[CORRELATION, "row_index"]
    )
    prediction = _prediction_column(
        signal, [c for c in outputs.columns() if c not in COLLECTOR_COLUMNS]
    )
    baseline = attribution.feature_importances(
        _read(reference, [*features, target]), features, target
    )
    current = (
        attribution.feature_importances(produced, features, prediction) if len(produced) else {}
    )
    outcome.details.update(
        production=inputs.label, reference=reference.label, rows=len(produced),
        reference_importances=baseline, production_importances=current,
    )  # fmt: skip
    if not current:
        return outcome.skip("no production rows in the window")
    threshold = _flat(signal.metric_thresholds).get(
        "normalized_discounted_cumulative_gain", attribution.DEFAULT_NDCG_THRESHOLD
    )
    value = attribution.ndcg(baseline, current)
    metric = "normalized_discounted_cumulative_gain"
    outcome.results.append(_row(signal, "", metric, value, threshold, value < threshold))
    for feature in features:
        note = f"reference importance {baseline[feature]:.4f}"
        outcome.results.append(
            _row(signal, feature, "feature_importance", current[feature], None, False, note)
        )
    return outcome


def evaluate_operations(run: RunInputs, name: str, signal: MonitorSignal) -> SignalOutcome:
    outcome = SignalOutcome(name, signal.type, signal.alert_enabled)
    start, end = run.window(signal.production_data)
    log = EndpointRequestLogRow
    rows = run.ctx.session.execute(
        select(log.duration_ms, log.status_code).where(
            log.workspace == run.ws.name,
            log.endpoint == run.target.endpoint,
            # Requests refused before routing (429, 401) name no deployment: they count too.
            or_(log.deployment == run.target.deployment, log.deployment.is_(None)),
            log.at >= start,
            log.at < end,
        )
    ).all()
    durations = np.array([r[0] for r in rows], dtype="float64")
    codes = np.array([r[1] for r in rows], dtype="int64")
    values = operations.operations_metrics(durations, codes, window_minutes(start, end))
    thresholds = {**operations.DEFAULT_OPERATIONS_THRESHOLDS, **_flat(signal.metric_thresholds)}
    unknown = sorted(set(thresholds) - set(values))
    if unknown:
        raise ValidationError(
            f"endpoint operations metrics are {', '.join(values)}; not {', '.join(unknown)}",
            field=f"monitoring_signals.{name}.metric_thresholds",
        )
    outcome.details.update(
        rows=len(rows), window_start=start.isoformat(), window_end=end.isoformat()
    )
    for metric, value in values.items():
        threshold = thresholds[metric]
        breached = value is not None and threshold is not None and value > threshold
        outcome.results.append(_row(signal, "", metric, value, threshold, breached))
    return outcome


def _read(
    table: MonitorTable, columns: list[str] | None, start: Any = None, end: Any = None
) -> Any:
    import pyarrow as pa

    timed = start is not None and "timestamp" in table.columns()
    chunks = list(
        iter_batches(
            table.source, columns, start=start if timed else None, end=end if timed else None
        )
    )
    if not chunks:
        import pandas as pd

        return pd.DataFrame(columns=columns or table.columns())
    return pa.concat_tables(chunks, promote_options="default").to_pandas()


def _prediction_column(signal: MonitorSignal, columns: list[str]) -> str:
    names = signal.production_data.data_column_names if signal.production_data else {}
    if names.get("prediction"):
        return names["prediction"]
    predicted = [c for c in columns if c not in COLLECTOR_COLUMNS]
    if len(predicted) != 1:
        raise ValidationError(
            f"the model's outputs have columns {', '.join(predicted)}; name the prediction with "
            "production_data.data_column_names.prediction"
        )
    return predicted[0]


def _task_of(predictions: Any) -> str:
    return (
        "regression"
        if np.issubdtype(np.asarray(predictions).dtype, np.floating)
        else "classification"
    )


def _task_thresholds(thresholds: dict[str, Any], task: str) -> dict[str, float]:
    for key in _TASK_KEYS[task]:
        if isinstance(thresholds.get(key), dict):
            return dict(thresholds[key])
    return _flat(thresholds)


def _flat(thresholds: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in thresholds.items() if not isinstance(v, dict)}


def _row(signal: MonitorSignal, feature: str, metric: str, value: float | None,
         threshold: float | None, breached: bool, note: str | None = None) -> MonitorResult:  # fmt: skip
    return MonitorResult(
        signal="", signal_type=signal.type, feature=feature, metric=metric, value=value,
        threshold=threshold, breached=bool(breached), note=note,
    )  # fmt: skip
