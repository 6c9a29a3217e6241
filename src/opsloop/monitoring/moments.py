"""Count, min, max, mean and variance accumulated over chunks, as numerically stable as one pass.

Chunks are merged with Chan, Golub and LeVeque's pairwise update (each chunk's own mean and
sum of squared deviations first), so a large offset does not cancel the variance away as
the sum-of-squares formula would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class Moments:
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean
    min: float = math.inf
    max: float = -math.inf

    def add(self, values: np.ndarray) -> None:
        n = int(values.size)
        if n == 0:
            return
        mean = float(values.mean())
        m2 = float(np.square(values - mean).sum())
        total = self.count + n
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.count * n / total
        self.mean += delta * n / total
        self.count = total
        self.min = min(self.min, float(values.min()))
        self.max = max(self.max, float(values.max()))

    @property
    def std(self) -> float:
        """Population standard deviation (ddof=0), as numpy's ``std`` defaults to."""
        return math.sqrt(self.m2 / self.count) if self.count else math.nan
