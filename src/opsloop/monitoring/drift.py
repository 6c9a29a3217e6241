"""compute_data_drift: a production window against a reference summary, per feature and metric.

The production side is a source (read once, in chunks, see ``window.read_window``) or a
window already read (so drift and data quality share one read). Thresholds come from, in
order: ``metric_thresholds``, the reference's learned thresholds (``use_learned_thresholds``,
distances only), the metric's default (``metric_catalogue``). Test p-values are corrected
over the features tested with the same metric (``corrections``, Holm by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsloop.monitoring import metric_catalogue
from opsloop.monitoring.corrections import Correction, adjust
from opsloop.monitoring.features import FeatureSelection, select_features
from opsloop.monitoring.reference import ReferenceSummary
from opsloop.monitoring.results import MetricResult, SignalResult, ThresholdSource
from opsloop.monitoring.sources import TabularSource
from opsloop.monitoring.values import FeatureType
from opsloop.monitoring.window import ProductionWindow, read_window

MetricThresholds = Mapping[str, Mapping[str, float | None]]


def compute_data_drift(
    reference: ReferenceSummary,
    production: TabularSource | ProductionWindow,
    *,
    features: FeatureSelection = "all",
    feature_importances: Mapping[str, float] | None = None,
    metric_thresholds: MetricThresholds | None = None,
    correction: Correction = "holm",
    use_learned_thresholds: bool = False,
    **read: Any,
) -> SignalResult:
    """Drift of each selected feature, by each metric asked for its type.

    ``metric_thresholds`` has Azure ML's shape, ``{"numerical": {"jensen_shannon_distance":
    0.05}, "categorical": {...}}``; a metric named with None gets its default threshold; a
    type not named gets its default metric. ``read`` goes to ``read_window`` (``batch_rows``,
    ``start``, ``end``, ``storage_options``).
    """
    names = select_features(reference, features, feature_importances)
    window = (
        production
        if isinstance(production, ProductionWindow)
        else read_window(reference, production, names, **read)
    )
    asked = _asked_metrics(metric_thresholds)
    learned = (
        reference.learned_thresholds.thresholds
        if use_learned_thresholds and reference.learned_thresholds
        else {}
    )
    rows: list[MetricResult] = []
    for name in names:
        summary, feature = reference.feature(name), window.features.get(name)
        if feature is None:
            raise ValueError(f"the production window has no feature {name!r}")
        for metric_name, given in asked[summary.feature_type].items():
            metric = metric_catalogue.metric(summary.feature_type, metric_name)
            threshold, source = _threshold(metric, given, learned.get(name, {}))
            rows.append(_evaluate(metric, name, summary, feature, threshold, source))
    _correct(rows, correction)
    return SignalResult(
        signal="data_drift", production_rows=window.row_count, correction=correction, results=rows
    )


def _asked_metrics(
    thresholds: MetricThresholds | None,
) -> dict[FeatureType, dict[str, float | None]]:
    asked: dict[FeatureType, dict[str, float | None]] = {
        kind: {name: None} for kind, name in metric_catalogue.DEFAULT_METRICS.items()
    }
    for kind, metrics in (thresholds or {}).items():
        if kind not in asked:
            raise ValueError(
                f"metric_thresholds: {kind!r} is no feature type; use numerical or categorical"
            )
        for name, value in metrics.items():
            metric_catalogue.metric(kind, name)
            if value is not None and (not isinstance(value, int | float) or value < 0):
                raise ValueError(
                    f"metric_thresholds.{kind}.{name}: a non-negative number, not {value!r}"
                )
        asked[kind] = dict(metrics)
    return asked


def _threshold(
    metric: metric_catalogue.Metric, given: float | None, learned: Mapping[str, float]
) -> tuple[float, ThresholdSource]:
    if given is not None:
        return float(given), "given"
    if metric.kind == "distance" and metric.name in learned:
        return learned[metric.name], "learned"
    return metric.default_threshold, "default"


def _evaluate(
    metric: metric_catalogue.Metric,
    name: str,
    summary: Any,
    feature: Any,
    threshold: float,
    source: ThresholdSource,
) -> MetricResult:
    base = {
        "feature": name,
        "feature_type": metric.feature_type,
        "metric": metric.name,
        "threshold": threshold,
        "threshold_source": source,
        "production_count": feature.count,
    }
    if feature.count == 0:
        return MetricResult(**base, value=None, breached=False, note="no production values")
    value, statistic = metric.compute(summary, feature)
    breached = metric.kind == "distance" and value > threshold
    return MetricResult(**base, value=value, statistic=statistic, breached=breached)


def _correct(rows: list[MetricResult], correction: Correction) -> None:
    """Adjust each test's p-values over the features it ran on; set the tests' verdicts."""
    tests = {r.metric for r in rows if r.statistic is not None}
    for test in tests:
        tested = [r for r in rows if r.metric == test and r.value is not None]
        p_values = [r.value for r in tested if r.value is not None]
        for row, adjusted in zip(tested, adjust(p_values, correction), strict=True):
            row.adjusted_p_value = adjusted
            row.breached = adjusted < row.threshold
