"""Multiple-testing corrections: one p-value test run on k features has k chances to alarm.

Adjusted p-values, so that "adjusted p < alpha" controls the family-wise error rate (the
chance of at least one false alarm in a run) at alpha:

- ``bonferroni``: min(1, k p_i).
- ``holm`` (default, uniformly more powerful than Bonferroni, same guarantee): sort
  p_(1) <= ... <= p_(k); adjusted p_(i) = min(1, max over j <= i of (k - j + 1) p_(j)).
- ``none``: the raw p-values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

Correction = Literal["holm", "bonferroni", "none"]
CORRECTIONS: tuple[str, ...] = ("holm", "bonferroni", "none")


def adjust(p_values: Sequence[float], method: Correction = "holm") -> list[float]:
    values = np.asarray(p_values, dtype="float64")
    k = values.size
    if method == "none" or k == 0:
        return values.tolist()
    if method == "bonferroni":
        return np.minimum(1.0, values * k).tolist()
    if method != "holm":
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {method!r}")
    order = np.argsort(values, kind="stable")
    scaled = values[order] * (k - np.arange(k))
    adjusted = np.empty(k)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted.tolist()
