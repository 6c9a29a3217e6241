"""compute_data_drift: defaults, breach and non-breach, thresholds, corrections, windows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opsloop.monitoring.drift import compute_data_drift
from opsloop.monitoring.reference import summarize_reference
from opsloop.monitoring.window import read_window

RNG = np.random.default_rng(11)


def _frame(
    rows: int, shift: float = 0.0, colours: tuple[float, float, float] = (0.5, 0.3, 0.2)
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": RNG.normal(shift, 1, rows),
            "y": RNG.exponential(1, rows),
            "colour": RNG.choice(["red", "green", "blue"], rows, p=list(colours)),
        }
    )


SUMMARY = summarize_reference(_frame(20_000))
ALL_METRICS = {
    "numerical": dict.fromkeys(
        [
            "jensen_shannon_distance",
            "normalized_wasserstein_distance",
            "population_stability_index",
            "two_sample_kolmogorov_smirnov_test",
        ]
    ),
    "categorical": dict.fromkeys(
        ["jensen_shannon_distance", "population_stability_index", "chi_squared_test"]
    ),
}


def test_defaults_are_azure_mls_and_same_distribution_breaches_nothing() -> None:
    result = compute_data_drift(SUMMARY, _frame(5000))
    assert [(r.feature, r.metric, r.threshold) for r in result.results] == [
        ("x", "normalized_wasserstein_distance", 0.1),
        ("y", "normalized_wasserstein_distance", 0.1),
        ("colour", "jensen_shannon_distance", 0.1),
    ]
    assert result.breached_features == []
    assert all(
        r.threshold_source == "default" and r.production_count == 5000 for r in result.results
    )


def test_a_shifted_feature_breaches_every_metric_and_only_it() -> None:
    production = _frame(5000, shift=1.0, colours=(0.1, 0.3, 0.6))
    production["y"] = RNG.exponential(1, 5000)
    result = compute_data_drift(SUMMARY, production, metric_thresholds=ALL_METRICS)
    assert result.breached_features == ["x", "colour"]
    assert all(r.breached for r in result.results if r.feature != "y")
    ks = result.value("x", "two_sample_kolmogorov_smirnov_test")
    assert (
        ks.statistic is not None
        and ks.statistic > 0.3
        and ks.value is not None
        and ks.value < 1e-10
    )
    assert result.value("colour", "pearsons_chi_squared_test").adjusted_p_value is not None


def test_given_thresholds_and_p_values_corrected_over_features() -> None:
    production = _frame(3000, shift=0.08)
    thresholds = {
        "numerical": {
            "two_sample_kolmogorov_smirnov_test": 0.05,
            "normalized_wasserstein_distance": 0.5,
        }
    }
    holm = compute_data_drift(SUMMARY, production, metric_thresholds=thresholds)
    none = compute_data_drift(SUMMARY, production, metric_thresholds=thresholds, correction="none")
    bonferroni = compute_data_drift(
        SUMMARY, production, metric_thresholds=thresholds, correction="bonferroni"
    )
    raw = [r.value for r in none.results if r.metric == "two_sample_kolmogorov_smirnov_test"]
    adjusted = [
        r.adjusted_p_value
        for r in bonferroni.results
        if r.metric == "two_sample_kolmogorov_smirnov_test"
    ]
    assert adjusted == pytest.approx([min(1.0, 2 * p) for p in raw])  # type: ignore[operator]
    holm_adjusted = [
        r.adjusted_p_value for r in holm.results if r.metric == "two_sample_kolmogorov_smirnov_test"
    ]
    assert all(h <= b for h, b in zip(holm_adjusted, adjusted, strict=True))  # type: ignore[operator]
    wasserstein = holm.value("x", "normalized_wasserstein_distance")
    assert (wasserstein.threshold, wasserstein.threshold_source, wasserstein.breached) == (
        0.5,
        "given",
        False,
    )


def test_a_window_read_once_serves_several_calls_and_a_time_window(tmp_path: Path) -> None:
    production = _frame(100)
    production["timestamp"] = pd.date_range("2026-12-05", periods=100, freq="min", tz="UTC")
    folder = tmp_path / "ep" / "blue" / "model_inputs" / "2026" / "12" / "05"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(production), folder / "a.parquet")
    result = compute_data_drift(
        SUMMARY,
        tmp_path / "ep",
        features=["x"],
        start=datetime(2026, 12, 5, 0, 10, tzinfo=UTC),
        end=datetime(2026, 12, 5, 0, 40, tzinfo=UTC),
        batch_rows=7,
    )
    assert result.production_rows == 30 and [r.feature for r in result.results] == ["x"]
    window = read_window(SUMMARY, production)
    assert compute_data_drift(SUMMARY, window).production_rows == 100


def test_a_feature_with_no_production_values_is_reported_not_judged() -> None:
    production = _frame(50)
    production["x"] = np.nan
    row = compute_data_drift(SUMMARY, production, features=["x"]).results[0]
    assert (row.value, row.breached, row.note) == (None, False, "no production values")


def test_top_n_by_importance() -> None:
    result = compute_data_drift(
        SUMMARY,
        _frame(100),
        features={"top_n_feature_importance": 1},
        feature_importances={"colour": 0.9, "x": 0.1},
    )
    assert [r.feature for r in result.results] == ["colour"]


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"numeric": {}}, "'numeric' is no feature type"),
        (
            {"numerical": {"chi_squared_test": 0.1}},
            "numerical metric 'chi_squared_test' is unknown",
        ),
        ({"categorical": {"jensen_shannon_distance": -1}}, "non-negative number"),
    ],
)
def test_bad_metric_thresholds_name_the_field(thresholds: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_data_drift(SUMMARY, _frame(10), metric_thresholds=thresholds)
