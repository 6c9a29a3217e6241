"""Numerical drift metrics against scipy on the raw values, within the documented tolerances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from opsloop.monitoring import numerical_metrics as metrics
from opsloop.monitoring.reference import NumericalSummary, summarize_reference
from opsloop.monitoring.window import NumericalWindow, read_window

RNG = np.random.default_rng(7)
CONTINUOUS = [
    (RNG.normal(0, 1, 20_000), RNG.normal(0, 1, 3000)),
    (RNG.normal(0, 1, 20_000), RNG.normal(0.3, 1.2, 3000)),
    (RNG.lognormal(0, 1, 20_000), RNG.lognormal(0.2, 1, 3000)),
    (RNG.uniform(0, 1, 20_000), RNG.uniform(-0.5, 2, 3000)),  # much outside the reference
]
DISCRETE = [
    (RNG.integers(0, 10, 20_000), RNG.integers(2, 12, 3000)),
    (RNG.poisson(3, 20_000), RNG.poisson(3, 3000)),
]


def _pair(x: np.ndarray, y: np.ndarray) -> tuple[NumericalSummary, NumericalWindow]:
    summary = summarize_reference(pd.DataFrame({"v": x}))
    window = read_window(summary, pd.DataFrame({"v": y})).features["v"]
    feature = summary.features["v"]
    assert isinstance(feature, NumericalSummary) and isinstance(window, NumericalWindow)
    return feature, window


@pytest.mark.parametrize(("x", "y"), CONTINUOUS)
def test_wasserstein_within_the_binning_tolerance(x: np.ndarray, y: np.ndarray) -> None:
    summary, window = _pair(x, y)
    expected = stats.wasserstein_distance(x, y) / np.std(x)
    assert metrics.normalized_wasserstein(summary, window) == pytest.approx(expected, abs=0.005)


@pytest.mark.parametrize(("x", "y"), DISCRETE)
def test_wasserstein_and_ks_are_exact_on_discrete_values(x: np.ndarray, y: np.ndarray) -> None:
    summary, window = _pair(x, y)
    expected = stats.wasserstein_distance(x, y) / np.std(x)
    assert metrics.normalized_wasserstein(summary, window) == pytest.approx(expected, rel=1e-9)
    result = stats.ks_2samp(x, y, method="asymp")
    assert metrics.ks_test(summary, window) == pytest.approx(
        (result.statistic, result.pvalue), rel=1e-9
    )


@pytest.mark.parametrize(("x", "y"), CONTINUOUS)
def test_ks_within_one_fine_bin_of_scipy(x: np.ndarray, y: np.ndarray) -> None:
    summary, window = _pair(x, y)
    statistic, p_value = metrics.ks_test(summary, window)
    result = stats.ks_2samp(x, y, method="asymp")
    assert result.statistic - 0.004 <= statistic <= result.statistic
    expected = stats.kstwo.sf(statistic, round(x.size * y.size / (x.size + y.size)))
    assert p_value == pytest.approx(expected)


@pytest.mark.parametrize(("x", "y"), CONTINUOUS + DISCRETE)
def test_js_and_psi_equal_scipy_on_the_documented_coarse_bins(x: np.ndarray, y: np.ndarray) -> None:
    summary, window = _pair(x, y)
    ref_cells, prod_cells = metrics.coarse_cells(summary, window)
    # The same cells rebuilt from the raw values: below min, the coarse bins, above max.
    inner = np.asarray(summary.bin_edges)[_starts(summary)]
    edges = np.concatenate([[-np.inf], inner, [np.nextafter(summary.max, np.inf), np.inf]])
    raw_ref = np.histogram(x, edges)[0]
    raw_prod = np.histogram(y, edges)[0]
    # numpy's histogram puts the max into the last inner bin, as our coarse cells do.
    assert ref_cells.tolist() == raw_ref.tolist() and prod_cells.tolist() == raw_prod.tolist()
    expected = jensenshannon(raw_ref / raw_ref.sum(), raw_prod / raw_prod.sum())
    assert metrics.jensen_shannon(summary, window) == pytest.approx(expected)
    assert len(ref_cells) <= metrics.COARSE_BINS + 2


def _starts(summary: NumericalSummary) -> np.ndarray:
    fine = np.asarray(summary.bin_counts)
    cuts = (
        np.searchsorted(
            np.cumsum(fine) / fine.sum(), np.arange(1, metrics.COARSE_BINS) / metrics.COARSE_BINS
        )
        + 1
    )
    return np.unique(np.concatenate([[0], cuts[cuts < len(fine)]]))


def test_coarse_bins_hold_about_equal_reference_shares() -> None:
    summary, window = _pair(*CONTINUOUS[0])
    ref_cells, _ = metrics.coarse_cells(summary, window)
    shares = ref_cells[1:-1] / ref_cells.sum()
    assert np.all(np.abs(shares - 1 / metrics.COARSE_BINS) < 0.005)


def test_no_drift_on_identical_data_and_a_constant_reference() -> None:
    x = RNG.normal(0, 1, 5000)
    summary, window = _pair(x, x)
    assert metrics.normalized_wasserstein(summary, window) == pytest.approx(0, abs=1e-12)
    assert metrics.jensen_shannon(summary, window) == 0.0
    assert metrics.psi(summary, window) == 0.0
    assert metrics.ks_test(summary, window) == (0.0, 1.0)
    constant, same = _pair(np.full(10, 2.0), np.full(5, 2.0))
    assert metrics.normalized_wasserstein(constant, same) == 0.0
    constant, other = _pair(np.full(10, 2.0), np.full(5, 3.0))
    assert metrics.normalized_wasserstein(constant, other) == np.inf
