"""Reference summaries: the reference side of drift, computed once and kept as JSON.

A drift run compares production data with this summary, never with the reference rows, so
its cost does not grow with the reference. Per feature:

- numerical: exact count, missing and +-inf counts, min, max, mean and population standard
  deviation (ddof=0), and about ``bins`` (default 1,000) *fine quantile bins*: edges
  ``e_0 = min < e_1 < ... < e_K = max`` at the reference's quantiles ``i / bins`` (estimated
  from a uniform sample of up to ``SAMPLE_SIZE`` values, then deduplicated, so each value of
  a discrete feature gets an edge of its own), with exact counts
  ``counts[j] = #{x : e_j <= x < e_{j+1}}`` for ``j < K`` and ``counts[K] = #{x == e_K}``,
  and the mean of each bin's values (which places a discrete feature's mass exactly).
- categorical: the exact count of every category (up to ``MAX_CATEGORIES``; a feature
  with more distinct values is an identifier or free text and is left out, with a reason).

It is computed streaming, in chunks (``sources.iter_batches``): one pass for the
categories, the moments and the sample, a second for the bin counts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from opsloop.monitoring.binning import Binner
from opsloop.monitoring.moments import Moments
from opsloop.monitoring.sources import (
    DEFAULT_BATCH_ROWS,
    TabularSource,
    iter_batches,
    source_schema,
)
from opsloop.monitoring.values import category_values, feature_type_of, numeric_values

DEFAULT_BINS = 1000
SAMPLE_SIZE = 200_000
MAX_CATEGORIES = 10_000
SUMMARY_VERSION = 1

_STRICT = ConfigDict(allow_inf_nan=False, extra="forbid")


class NumericalSummary(BaseModel):
    model_config = _STRICT
    feature_type: Literal["numerical"] = "numerical"
    count: int = Field(description="finite values")
    missing_count: int
    nonfinite_count: int = Field(description="+inf and -inf values")
    min: float
    max: float
    mean: float
    std: float = Field(description="population standard deviation (ddof=0)")
    bin_edges: list[float]
    bin_counts: list[int] = Field(description="one per edge; the last counts values == max")
    bin_means: list[float] = Field(description="mean of each bin's values (its edge if empty)")


class CategoricalSummary(BaseModel):
    model_config = _STRICT
    feature_type: Literal["categorical"] = "categorical"
    count: int = Field(description="non-missing values")
    missing_count: int
    categories: dict[str, int]


FeatureSummary = Annotated[
    NumericalSummary | CategoricalSummary, Field(discriminator="feature_type")
]


class LearnedThresholds(BaseModel):
    """Thresholds learned from reference chunks (see ``learned_thresholds``)."""

    model_config = _STRICT
    chunk_rows: int
    chunks: int
    thresholds: dict[str, dict[str, float]] = Field(description="feature -> metric -> threshold")


class ReferenceSummary(BaseModel):
    model_config = _STRICT
    version: int = SUMMARY_VERSION
    row_count: int
    bins: int
    features: dict[str, FeatureSummary]
    skipped: dict[str, str] = Field(default_factory=dict, description="column -> why left out")
    learned_thresholds: LearnedThresholds | None = None

    def feature(self, name: str) -> NumericalSummary | CategoricalSummary:
        try:
            return self.features[name]
        except KeyError:
            raise KeyError(f"feature {name!r} is not in the reference summary") from None


@dataclass
class _NumericPass:
    moments: Moments = field(default_factory=Moments)
    missing: int = 0
    nonfinite: int = 0
    sample: np.ndarray = field(default_factory=lambda: np.empty(0))
    keys: np.ndarray = field(default_factory=lambda: np.empty(0))


def summarize_reference(
    source: TabularSource,
    columns: Sequence[str] | None = None,
    *,
    categorical: Sequence[str] = (),
    bins: int = DEFAULT_BINS,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    seed: int = 0,
    storage_options: dict[str, Any] | None = None,
) -> ReferenceSummary:
    """Summarise ``columns`` (default: every column) of a reference table.

    ``categorical`` names numeric columns to treat as categories (integer codes). Columns
    of other types (timestamps, binary, nested) are left out and listed in ``skipped``.
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, not {bins}")
    schema = source_schema(source, storage_options)
    names = list(columns) if columns is not None else list(schema.names)
    unknown = [c for c in [*names, *categorical] if c not in schema.names]
    if unknown:
        raise ValueError(f"columns not in the reference data: {', '.join(unknown)}")
    types: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name in names:
        kind = "categorical" if name in categorical else feature_type_of(schema.field(name).type)
        if kind is None:
            skipped[name] = f"type {schema.field(name).type} has no drift metric"
        else:
            types[name] = kind
    numeric = [n for n, k in types.items() if k == "numerical"]
    categories = {n: Counter[str]() for n, k in types.items() if k == "categorical"}
    missing = dict.fromkeys(categories, 0)
    passes = {n: _NumericPass() for n in numeric}
    rng = np.random.default_rng(seed)
    read = {"batch_rows": batch_rows, "storage_options": storage_options}
    row_count = 0
    for chunk in iter_batches(source, list(types), **read):  # type: ignore[arg-type]
        row_count += chunk.num_rows
        for name in numeric:
            _first_pass(passes[name], numeric_values(chunk.column(name)), rng)
        for name, counter in categories.items():
            values = category_values(chunk.column(name))
            counter.update(values.counts)
            missing[name] += values.missing + values.type_errors
    edges = {n: _edges(passes[n], bins) for n in numeric if passes[n].moments.count}
    binners = {n: Binner(e) for n, e in edges.items()}
    counts = {n: np.zeros(len(e), dtype=np.int64) for n, e in edges.items()}
    sums = {n: np.zeros(len(e)) for n, e in edges.items()}
    if edges:
        for chunk in iter_batches(source, list(edges), **read):  # type: ignore[arg-type]
            for name, binner in binners.items():
                count, total = binner.totals(numeric_values(chunk.column(name)).finite)
                counts[name] += count
                sums[name] += total
    features: dict[str, NumericalSummary | CategoricalSummary] = {}
    for name in types:
        if name in categories:
            if len(categories[name]) > MAX_CATEGORIES:
                skipped[name] = f"more than {MAX_CATEGORIES} distinct values (an id or free text)"
                continue
            features[name] = CategoricalSummary(
                count=sum(categories[name].values()),
                missing_count=missing[name],
                categories=dict(categories[name].most_common()),
            )
        elif name in edges:
            features[name] = _numerical(passes[name], edges[name], counts[name], sums[name])
        else:
            skipped[name] = "no finite values"
    return ReferenceSummary(row_count=row_count, bins=bins, features=features, skipped=skipped)


def _first_pass(state: _NumericPass, values: Any, rng: np.random.Generator) -> None:
    state.missing += values.missing + values.type_errors
    state.nonfinite += values.nonfinite
    finite = values.finite
    if not finite.size:
        return
    state.moments.add(finite)
    # Bottom-k sampling: every value gets a uniform key and the SAMPLE_SIZE smallest keys
    # win, which is a uniform sample without replacement, in one vectorised step per chunk.
    new_keys = rng.random(finite.size)
    if state.keys.size >= SAMPLE_SIZE:  # full: only keys below the largest kept can enter
        entering = new_keys < state.keys.max()
        new_keys, finite = new_keys[entering], finite[entering]
    keys = np.concatenate([state.keys, new_keys])
    sample = np.concatenate([state.sample, finite])
    if keys.size > SAMPLE_SIZE:
        keep = np.argpartition(keys, SAMPLE_SIZE)[:SAMPLE_SIZE]
        keys, sample = keys[keep], sample[keep]
    state.keys, state.sample = keys, sample


def _edges(state: _NumericPass, bins: int) -> np.ndarray:
    # inverted_cdf picks observed values, so a discrete feature's values become edges.
    quantiles = np.quantile(state.sample, np.linspace(0, 1, bins + 1), method="inverted_cdf")
    quantiles[0], quantiles[-1] = state.moments.min, state.moments.max
    return np.unique(quantiles)


def _numerical(
    state: _NumericPass, edges: np.ndarray, counts: np.ndarray, sums: np.ndarray
) -> NumericalSummary:
    moments = state.moments
    # Rounding can put a bin's mean a hair outside its bin; an empty bin's mean is its edge.
    means = np.clip(
        np.divide(sums, counts, out=edges.copy(), where=counts > 0), edges, _right(edges)
    )
    return NumericalSummary(
        count=moments.count,
        missing_count=state.missing,
        nonfinite_count=state.nonfinite,
        min=moments.min,
        max=moments.max,
        mean=moments.mean,
        std=_finite_or_zero(moments.std),
        bin_edges=edges.tolist(),
        bin_counts=counts.tolist(),
        bin_means=means.tolist(),
    )


def _right(edges: np.ndarray) -> np.ndarray:
    """Each bin's right edge (the last bin is the single point e_K)."""
    return np.append(edges[1:], edges[-1])


def _finite_or_zero(value: float) -> float:
    return value if math.isfinite(value) else 0.0
