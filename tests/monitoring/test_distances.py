from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from opsloop.monitoring.distances import jensen_shannon_distance, population_stability_index


@pytest.mark.parametrize(
    ("p", "q"),
    [([10, 20, 30], [30, 20, 10]), ([5, 0, 5], [0, 10, 0]), ([1, 2, 3, 0], [1, 2, 3, 4])],
)
def test_jensen_shannon_equals_scipy_natural_log(p: list[int], q: list[int]) -> None:
    expected = jensenshannon(np.asarray(p) / sum(p), np.asarray(q) / sum(q))
    assert jensen_shannon_distance(np.asarray(p), np.asarray(q)) == pytest.approx(expected)


def test_jensen_shannon_bounds() -> None:
    assert jensen_shannon_distance(np.array([1, 2]), np.array([2, 4])) == 0.0
    assert jensen_shannon_distance(np.array([1, 0]), np.array([0, 1])) == pytest.approx(
        np.sqrt(np.log(2))
    )


def test_psi_formula_with_the_empty_bin_floor() -> None:
    p, q = np.array([50, 50, 0]), np.array([40, 50, 10])
    ref, prod = np.array([0.5, 0.5, 1e-4]), np.array([0.4, 0.5, 0.1])
    expected = float(np.sum((prod - ref) * np.log(prod / ref)))
    assert population_stability_index(p, q) == pytest.approx(expected)
    assert population_stability_index(p, p) == 0.0
