"""Binner: the lookup table gives exactly what a binary search over the edges gives."""

from __future__ import annotations

import numpy as np
import pytest

from opsloop.monitoring.binning import GRID, Binner

RNG = np.random.default_rng(2)


def _check(edges: np.ndarray, values: np.ndarray) -> None:
    binner = Binner(edges)
    inside = values[(values >= edges[0]) & (values <= edges[-1])]
    expected = np.searchsorted(edges, inside, side="right") - 1
    assert np.array_equal(binner.index(inside), expected)
    counts, sums = binner.totals(values)
    assert counts.tolist() == np.bincount(expected, minlength=len(edges)).tolist()
    assert sums == pytest.approx(np.bincount(expected, weights=inside, minlength=len(edges)))


@pytest.mark.parametrize(
    "values",
    [
        RNG.normal(0, 1, 50_000),
        RNG.lognormal(0, 3, 50_000),  # heavy tail: most edges crowd into a few cells
        RNG.integers(0, 7, 50_000).astype("float64"),
    ],
)
def test_same_bins_as_searchsorted(values: np.ndarray) -> None:
    edges = np.unique(np.quantile(values, np.linspace(0, 1, 1001), method="inverted_cdf"))
    probes = np.concatenate(
        [values, edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)]
    )
    _check(edges, probes)


def test_edges_on_cell_boundaries_and_a_single_point() -> None:
    edges = np.arange(0, 1.0 + 1 / 64, 1 / 64)  # every edge starts a cell exactly
    probes = np.concatenate([RNG.uniform(0, 1, 10_000), edges, np.nextafter(edges, -np.inf)])
    _check(edges, probes)
    _check(np.array([3.0]), np.array([3.0, 3.0, 2.0]))
    assert GRID > 1000
