"""Thresholds learned from reference chunks: mean + 3 std of each distance over the chunks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opsloop.monitoring.drift import compute_data_drift
from opsloop.monitoring.learned_thresholds import learn_thresholds
from opsloop.monitoring.numerical_metrics import normalized_wasserstein
from opsloop.monitoring.reference import ReferenceSummary, summarize_reference
from opsloop.monitoring.window import read_window

REFERENCE = pd.DataFrame(
    {
        "x": np.random.default_rng(5).normal(0, 1, 4000),
        "c": np.random.default_rng(6).choice(["a", "b"], 4000),
    }
)


def test_each_threshold_is_mean_plus_three_std_of_the_chunks() -> None:
    summary = learn_thresholds(summarize_reference(REFERENCE), REFERENCE, chunk_rows=500)
    learned = summary.learned_thresholds
    assert learned is not None and (learned.chunk_rows, learned.chunks) == (500, 8)
    values = []
    for start in range(0, 4000, 500):
        window = read_window(summary, REFERENCE.iloc[start : start + 500], ["x"])
        values.append(normalized_wasserstein(summary.features["x"], window.features["x"]))  # type: ignore[arg-type]
    expected = np.mean(values) + 3 * np.std(values, ddof=1)
    assert learned.thresholds["x"]["normalized_wasserstein_distance"] == pytest.approx(expected)
    assert set(learned.thresholds["c"]) == {"jensen_shannon_distance", "population_stability_index"}
    assert ReferenceSummary.model_validate_json(summary.model_dump_json()) == summary


def test_drift_uses_learned_thresholds_when_asked() -> None:
    summary = learn_thresholds(summarize_reference(REFERENCE), REFERENCE, chunk_rows=500)
    production = REFERENCE.iloc[:500]
    learned = compute_data_drift(summary, production, use_learned_thresholds=True)
    row = learned.value("x", "normalized_wasserstein_distance")
    assert row.threshold_source == "learned"
    assert (
        row.threshold
        == summary.learned_thresholds.thresholds["x"]["normalized_wasserstein_distance"]
    )  # type: ignore[union-attr]
    assert compute_data_drift(summary, production).results[0].threshold_source == "default"


def test_too_few_chunks_is_refused() -> None:
    with pytest.raises(ValueError, match="needs at least 5"):
        learn_thresholds(summarize_reference(REFERENCE), REFERENCE, chunk_rows=1000)
