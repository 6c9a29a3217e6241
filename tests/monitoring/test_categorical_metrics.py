"""Categorical drift metrics against scipy on the same counts, unseen categories included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from opsloop.monitoring import categorical_metrics as metrics
from opsloop.monitoring.reference import CategoricalSummary, summarize_reference
from opsloop.monitoring.window import CategoricalWindow, read_window

REFERENCE = ["a"] * 50 + ["b"] * 30 + ["c"] * 20
PRODUCTION = ["a"] * 20 + ["b"] * 30 + ["d"] * 10  # c vanished, d is new


def _pair(x: list[str], y: list[str]) -> tuple[CategoricalSummary, CategoricalWindow]:
    summary = summarize_reference(pd.DataFrame({"v": x}))
    window = read_window(summary, pd.DataFrame({"v": y})).features["v"]
    feature = summary.features["v"]
    assert isinstance(feature, CategoricalSummary) and isinstance(window, CategoricalWindow)
    return feature, window


def test_counts_align_over_the_union_of_categories() -> None:
    summary, window = _pair(REFERENCE, PRODUCTION)
    ref, prod = metrics.aligned(summary, window)
    assert ref.tolist() == [50, 30, 20, 0] and prod.tolist() == [20, 30, 0, 10]
    assert metrics.unseen_count(summary, window) == 10


def test_jensen_shannon_equals_scipy() -> None:
    summary, window = _pair(REFERENCE, PRODUCTION)
    p, q = np.array([50, 30, 20, 0]) / 100, np.array([20, 30, 0, 10]) / 60
    assert metrics.jensen_shannon(summary, window) == pytest.approx(jensenshannon(p, q))


def test_chi_squared_equals_scipy_contingency_without_correction() -> None:
    summary, window = _pair(REFERENCE, PRODUCTION)
    table = np.array([[50, 30, 20, 0], [20, 30, 0, 10]])
    expected = stats.chi2_contingency(table, correction=False)
    assert metrics.chi_squared_test(summary, window) == pytest.approx(
        (expected.statistic, expected.pvalue)
    )


def test_chi_squared_on_two_categories_and_on_one() -> None:
    summary, window = _pair(["a"] * 30 + ["b"] * 70, ["a"] * 10 + ["b"] * 10)
    expected = stats.chi2_contingency(np.array([[30, 70], [10, 10]]), correction=False)
    assert metrics.chi_squared_test(summary, window) == pytest.approx(
        (expected.statistic, expected.pvalue)
    )
    assert metrics.chi_squared_test(*_pair(["a"] * 3, ["a"])) == (0.0, 1.0)


def test_psi_floors_the_vanished_and_the_unseen_category() -> None:
    summary, window = _pair(REFERENCE, PRODUCTION)
    p = np.array([0.5, 0.3, 0.2, 1e-4])
    q = np.array([20 / 60, 30 / 60, 1e-4, 10 / 60])
    assert metrics.psi(summary, window) == pytest.approx(float(np.sum((q - p) * np.log(q / p))))
