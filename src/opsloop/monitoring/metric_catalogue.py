"""Every drift metric by feature type and name, with its kind and default threshold.

Names and defaults follow Azure ML model monitoring: numerical features are checked with
``normalized_wasserstein_distance`` (0.1) and categorical ones with
``jensen_shannon_distance`` (0.1) unless a monitor names others. A *distance* breaches when
``value > threshold``; a *test*'s value is its p-value, corrected for the number of
features tested (``corrections``), and it breaches when the corrected p-value is below the
threshold (the significance level).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from opsloop.monitoring import categorical_metrics, numerical_metrics
from opsloop.monitoring.values import FeatureType

MetricKind = Literal["distance", "test"]


@dataclass(frozen=True)
class Metric:
    name: str
    feature_type: FeatureType
    kind: MetricKind
    default_threshold: float
    # (summary, window) -> (value, test statistic or None); the value of a test is its p-value
    compute: Callable[[Any, Any], tuple[float, float | None]]


def _distance(function: Callable[[Any, Any], float]) -> Callable[[Any, Any], tuple[float, None]]:
    return lambda summary, window: (function(summary, window), None)


def _test(
    function: Callable[[Any, Any], tuple[float, float]],
) -> Callable[[Any, Any], tuple[float, float]]:
    def run(summary: Any, window: Any) -> tuple[float, float]:
        statistic, p_value = function(summary, window)
        return p_value, statistic

    return run


_METRICS = [
    Metric("jensen_shannon_distance", "numerical", "distance", 0.1, _distance(numerical_metrics.jensen_shannon)),
    Metric("normalized_wasserstein_distance", "numerical", "distance", 0.1, _distance(numerical_metrics.normalized_wasserstein)),
    Metric("population_stability_index", "numerical", "distance", 0.2, _distance(numerical_metrics.psi)),
    Metric("two_sample_kolmogorov_smirnov_test", "numerical", "test", 0.05, _test(numerical_metrics.ks_test)),
    Metric("jensen_shannon_distance", "categorical", "distance", 0.1, _distance(categorical_metrics.jensen_shannon)),
    Metric("population_stability_index", "categorical", "distance", 0.2, _distance(categorical_metrics.psi)),
    Metric("pearsons_chi_squared_test", "categorical", "test", 0.05, _test(categorical_metrics.chi_squared_test)),
]  # fmt: skip
METRICS: dict[tuple[FeatureType, str], Metric] = {(m.feature_type, m.name): m for m in _METRICS}
ALIASES = {"chi_squared_test": "pearsons_chi_squared_test"}
DEFAULT_METRICS: dict[FeatureType, str] = {
    "numerical": "normalized_wasserstein_distance",
    "categorical": "jensen_shannon_distance",
}


def metric(feature_type: FeatureType, name: str) -> Metric:
    """The metric ``name`` (or its alias) for ``feature_type``; one error lists the choices."""
    found = METRICS.get((feature_type, ALIASES.get(name, name)))
    if found is None:
        choices = sorted(n for t, n in METRICS if t == feature_type)
        raise ValueError(
            f"{feature_type} metric {name!r} is unknown; choose from {', '.join(choices)}"
        )
    return found
