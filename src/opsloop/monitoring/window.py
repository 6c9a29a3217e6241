"""A production window, read once in chunks and kept as counts on the reference's bins.

Per numerical feature: counts on the reference's fine bin edges, and what falls outside
[min, max] of the reference (how many values and the sum of their distances to the nearest
edge, which the Wasserstein distance needs exactly). Per categorical feature: the count of
each category. Per feature: missing values and type errors (see ``values``). Memory is one
chunk plus these counts, whatever the window's size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from opsloop.monitoring.binning import Binner
from opsloop.monitoring.reference import (
    CategoricalSummary,
    NumericalSummary,
    ReferenceSummary,
)
from opsloop.monitoring.sources import DEFAULT_BATCH_ROWS, TabularSource, iter_batches
from opsloop.monitoring.values import category_values, numeric_values


@dataclass
class NumericalWindow:
    binner: Binner
    counts: np.ndarray  # int64, one per edge, as the reference's bin_counts
    sums: np.ndarray  # float64, the sum of each bin's values
    below: int = 0  # values < reference min
    below_distance: float = 0.0  # sum of (min - x) over them
    above: int = 0  # values > reference max
    above_distance: float = 0.0  # sum of (x - max) over them
    nonfinite: int = 0
    missing: int = 0
    type_errors: int = 0

    @property
    def count(self) -> int:
        """Finite values."""
        return int(self.counts.sum()) + self.below + self.above

    def add(self, column: pa.ChunkedArray) -> None:
        values = numeric_values(column)
        self.missing += values.missing
        self.type_errors += values.type_errors
        self.nonfinite += values.nonfinite
        finite = values.finite
        low, high = self.binner.low, self.binner.high
        below_mask, above_mask = finite < low, finite > high
        if below_mask.any() or above_mask.any():
            below, above = finite[below_mask], finite[above_mask]
            self.below += below.size
            self.below_distance += float((low - below).sum())
            self.above += above.size
            self.above_distance += float((above - high).sum())
            finite = finite[~(below_mask | above_mask)]
        counts, sums = self.binner.totals_inside(finite)
        self.counts += counts
        self.sums += sums


@dataclass
class CategoricalWindow:
    counts: Counter[str] = field(default_factory=Counter)
    missing: int = 0
    type_errors: int = 0

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def add(self, column: pa.ChunkedArray) -> None:
        values = category_values(column)
        self.counts.update(values.counts)
        self.missing += values.missing
        self.type_errors += values.type_errors


FeatureWindow = NumericalWindow | CategoricalWindow


@dataclass
class ProductionWindow:
    features: dict[str, FeatureWindow]
    row_count: int = 0

    @classmethod
    def empty(cls, reference: ReferenceSummary, features: Sequence[str]) -> ProductionWindow:
        return cls({name: _empty_feature(reference.feature(name)) for name in features})

    def add(self, chunk: pa.Table) -> None:
        self.row_count += chunk.num_rows
        for name, window in self.features.items():
            window.add(chunk.column(name))


def read_window(
    reference: ReferenceSummary,
    source: TabularSource,
    features: Sequence[str] | None = None,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    start: datetime | None = None,
    end: datetime | None = None,
    storage_options: dict[str, Any] | None = None,
) -> ProductionWindow:
    """Read ``source`` once (rows with ``start <= timestamp < end`` if given) into counts."""
    names = list(features) if features is not None else list(reference.features)
    window = ProductionWindow.empty(reference, names)
    for chunk in iter_batches(
        source,
        names,
        batch_rows=batch_rows,
        start=start,
        end=end,
        storage_options=storage_options,
    ):
        window.add(chunk)
    return window


def _empty_feature(summary: NumericalSummary | CategoricalSummary) -> FeatureWindow:
    if isinstance(summary, NumericalSummary):
        edges = np.asarray(summary.bin_edges, dtype="float64")
        size = len(edges)
        return NumericalWindow(Binner(edges), np.zeros(size, dtype=np.int64), np.zeros(size))
    return CategoricalWindow()
