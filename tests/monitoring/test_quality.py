"""Data quality rates against the reference summary, and their breaches."""

from __future__ import annotations

import pandas as pd
import pytest

from opsloop.monitoring.quality import compute_data_quality
from opsloop.monitoring.reference import summarize_reference

REFERENCE = pd.DataFrame({"x": [0.0, 1.0, 2.0, None], "c": ["a", "b", "a", "b"]})


def test_rates_of_a_window_with_every_kind_of_problem() -> None:
    summary = summarize_reference(REFERENCE)
    production = pd.DataFrame(
        {
            "x": ["0.5", None, "bad", "7", "-1", "1", "2", "1.5", None, None],
            "c": ["a", "b", "zz", None, "a", "b", "a", "b", "a", "b"],
        }
    )
    result = compute_data_quality(summary, production)
    x_null = result.value("x", "null_value_rate")
    assert x_null.value == pytest.approx(0.3)
    assert x_null.threshold == pytest.approx(0.25 + 0.01)  # the reference's rate + margin
    assert x_null.breached
    assert result.value("x", "data_type_error_rate").value == pytest.approx(1 / 7)
    assert result.value("x", "data_type_error_rate").breached
    assert result.value("x", "out_of_bounds_rate").value == pytest.approx(2 / 6)  # 7 and -1
    assert result.value("c", "null_value_rate").value == pytest.approx(0.1)
    assert result.value("c", "null_value_rate").breached  # the reference had none
    assert result.value("c", "out_of_bounds_rate").value == pytest.approx(1 / 9)  # zz
    assert result.breached_features == ["x", "c"]


def test_a_clean_window_breaches_nothing_and_thresholds_can_be_given() -> None:
    summary = summarize_reference(REFERENCE)
    clean = pd.DataFrame({"x": [0.5, 1.5], "c": ["a", "b"]})
    assert compute_data_quality(summary, clean).breached_features == []
    result = compute_data_quality(summary, clean, metric_thresholds={"null_value_rate": 0.5})
    assert [r.metric for r in result.results] == ["null_value_rate", "null_value_rate"]
    assert result.results[0].threshold_source == "given"
    with pytest.raises(ValueError, match="not typo_rate"):
        compute_data_quality(summary, clean, metric_thresholds={"typo_rate": 0.5})
