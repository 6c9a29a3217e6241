"""Data quality metrics of a production window, against the reference summary.

- ``null_value_rate``: missing values (null, NaN, a column the file lacks) / window rows.
- ``data_type_error_rate``: values the reference's feature type cannot hold (``values``)
  / non-missing values.
- ``out_of_bounds_rate``: / valid values (non-missing, well typed). Numerical: values
  below the reference's min, above its max, or +-inf. Categorical: categories the
  reference never saw.

Each rate is 0 when its denominator is. A breach is ``value > threshold``; the default
thresholds are in ``DEFAULT_QUALITY_THRESHOLDS``, where ``null_value_rate``'s None means
"the reference's own missing rate plus ``NULL_RATE_MARGIN``".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsloop.monitoring.categorical_metrics import unseen_count
from opsloop.monitoring.features import FeatureSelection, select_features
from opsloop.monitoring.reference import NumericalSummary, ReferenceSummary
from opsloop.monitoring.results import MetricResult, SignalResult
from opsloop.monitoring.sources import TabularSource
from opsloop.monitoring.window import (
    CategoricalWindow,
    FeatureWindow,
    NumericalWindow,
    ProductionWindow,
    read_window,
)

NULL_RATE_MARGIN = 0.01
DEFAULT_QUALITY_THRESHOLDS: dict[str, float | None] = {
    "null_value_rate": None,
    "data_type_error_rate": 0.0,
    "out_of_bounds_rate": 0.01,
}


def quality_rates(
    window: FeatureWindow, rows: int, summary: ReferenceSummary, name: str
) -> dict[str, float]:
    reference = summary.feature(name)
    present = rows - window.missing
    valid = present - window.type_errors
    if isinstance(window, NumericalWindow):
        outside = window.below + window.above + window.nonfinite
    else:
        assert isinstance(window, CategoricalWindow)
        assert not isinstance(reference, NumericalSummary)
        outside = unseen_count(reference, window)
    return {
        "null_value_rate": _rate(window.missing, rows),
        "data_type_error_rate": _rate(window.type_errors, present),
        "out_of_bounds_rate": _rate(outside, valid),
    }


def default_null_threshold(summary: ReferenceSummary, name: str) -> float:
    reference = summary.feature(name)
    rows = summary.row_count
    return _rate(reference.missing_count, rows) + NULL_RATE_MARGIN


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def compute_data_quality(
    reference: ReferenceSummary,
    production: TabularSource | ProductionWindow,
    *,
    features: FeatureSelection = "all",
    feature_importances: Mapping[str, float] | None = None,
    metric_thresholds: Mapping[str, float | None] | None = None,
    **read: Any,
) -> SignalResult:
    """Every data quality metric (or those named in ``metric_thresholds``) per feature."""
    names = select_features(reference, features, feature_importances)
    window = (
        production
        if isinstance(production, ProductionWindow)
        else read_window(reference, production, names, **read)
    )
    asked = dict(metric_thresholds) if metric_thresholds else dict(DEFAULT_QUALITY_THRESHOLDS)
    unknown = sorted(set(asked) - set(DEFAULT_QUALITY_THRESHOLDS))
    if unknown:
        raise ValueError(
            f"data quality metrics are {', '.join(DEFAULT_QUALITY_THRESHOLDS)}; not {', '.join(unknown)}"
        )
    rows = []
    for name in names:
        feature = window.features[name]
        rates = quality_rates(feature, window.row_count, reference, name)
        for metric, given in asked.items():
            threshold = _quality_threshold(metric, given, reference, name)
            rows.append(
                MetricResult(
                    feature=name,
                    feature_type=reference.feature(name).feature_type,
                    metric=metric,
                    value=rates[metric],
                    threshold=threshold,
                    threshold_source="default" if given is None else "given",
                    breached=rates[metric] > threshold,
                    production_count=window.row_count,
                )
            )
    return SignalResult(signal="data_quality", production_rows=window.row_count, results=rows)


def _quality_threshold(
    metric: str, given: float | None, reference: ReferenceSummary, name: str
) -> float:
    if given is not None:
        return float(given)
    default = DEFAULT_QUALITY_THRESHOLDS[metric]
    return default if default is not None else default_null_threshold(reference, name)
