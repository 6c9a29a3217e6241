"""Drift metrics of a categorical feature: exact reference category counts against production's.

Both sides are laid over the union of their categories (reference categories first, then
production's unseen ones, which get a reference count of 0); categories seen on neither
side are dropped. Missing values are not a category (``null_value_rate`` counts them).

- ``jensen_shannon_distance`` and ``population_stability_index``: see ``distances``
  (natural log; PSI floors empty proportions, an unseen category's among them, at 1e-4).
- ``pearsons_chi_squared_test`` (alias ``chi_squared_test``): Pearson's test of
  homogeneity on the 2 x k contingency table (reference counts, production counts), both
  being samples: statistic sum (O - E)^2 / E with E from the row and column totals,
  k - 1 degrees of freedom, no Yates correction; equal to
  ``scipy.stats.chi2_contingency(table, correction=False)``. With one category the
  statistic is 0 and the p-value 1.
"""

from __future__ import annotations

import numpy as np

from opsloop.monitoring.distances import jensen_shannon_distance, population_stability_index
from opsloop.monitoring.reference import CategoricalSummary
from opsloop.monitoring.window import CategoricalWindow


def aligned(
    reference: CategoricalSummary, window: CategoricalWindow
) -> tuple[np.ndarray, np.ndarray]:
    """Counts over the union of categories, reference then production."""
    unseen = [c for c in window.counts if c not in reference.categories]
    order = [*reference.categories, *unseen]
    ref = np.array([reference.categories.get(c, 0) for c in order], dtype=np.int64)
    prod = np.array([window.counts.get(c, 0) for c in order], dtype=np.int64)
    used = (ref + prod) > 0
    return ref[used], prod[used]


def unseen_count(reference: CategoricalSummary, window: CategoricalWindow) -> int:
    return sum(n for c, n in window.counts.items() if c not in reference.categories)


def jensen_shannon(reference: CategoricalSummary, window: CategoricalWindow) -> float:
    return jensen_shannon_distance(*aligned(reference, window))


def psi(reference: CategoricalSummary, window: CategoricalWindow) -> float:
    return population_stability_index(*aligned(reference, window))


def chi_squared_test(
    reference: CategoricalSummary, window: CategoricalWindow
) -> tuple[float, float]:
    """(statistic, p-value) of Pearson's chi-squared test of homogeneity."""
    from scipy import stats  # here: scipy.stats takes seconds to import, and few runs test

    table = np.vstack(aligned(reference, window)).astype("float64")
    categories = table.shape[1]
    if categories < 2:
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return statistic, float(stats.chi2.sf(statistic, categories - 1))
