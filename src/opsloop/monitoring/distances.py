"""Distances between two distributions given as counts over the same cells.

Numerical features reach these through their coarse reference-quantile bins
(``numerical_metrics``), categorical ones through their categories
(``categorical_metrics``). Counts are normalised to proportions ``p`` (reference) and ``q``
(production) first.
"""

from __future__ import annotations

import numpy as np

# Where a cell is empty on one side, PSI's log ratio is infinite; such proportions are
# floored at this value (the usual choice, and Evidently's), with no renormalisation.
PSI_EPSILON = 1e-4


def proportions(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else np.zeros(len(counts))


def jensen_shannon_distance(reference: np.ndarray, production: np.ndarray) -> float:
    """sqrt(JSD), JSD = (KL(p || m) + KL(q || m)) / 2, m = (p + q) / 2, natural log.

    Natural log, as scipy.spatial.distance.jensenshannon defaults to (and Evidently uses), so
    the distance lies in [0, sqrt(ln 2)] ~ [0, 0.833]. Empty cells need no smoothing:
    0 * log 0 = 0, and m > 0 wherever p or q is. Equal to scipy's on the same counts.
    """
    p, q = proportions(reference), proportions(production)
    m = (p + q) / 2
    divergence = (_kl(p, m) + _kl(q, m)) / 2
    return float(np.sqrt(max(divergence, 0.0)))


def population_stability_index(
    reference: np.ndarray, production: np.ndarray, epsilon: float = PSI_EPSILON
) -> float:
    """sum_i (q_i - p_i) * ln(q_i / p_i), with p_i and q_i floored at ``epsilon``."""
    p = np.maximum(proportions(reference), epsilon)
    q = np.maximum(proportions(production), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def _kl(p: np.ndarray, m: np.ndarray) -> float:
    used = p > 0
    return float(np.sum(p[used] * np.log(p[used] / m[used])))
