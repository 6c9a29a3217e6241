"""Thresholds learned from the reference itself: mean + 3 standard deviations over its chunks.

A distance between a window of n rows and the reference is never 0, even with no drift: it
carries sampling noise that shrinks as n grows. Cutting the reference into consecutive
chunks of ``chunk_rows`` (the size of a typical production window) and measuring each chunk
against the whole summary shows that noise, including the reference's own variation over
time when its rows are in time order. The learned threshold of each (feature, distance
metric) is mean + 3 std (ddof=1) of the chunks' values. Chunks are part of the reference,
so with few chunks the noise is understated; at least ``MIN_CHUNKS`` are required.
p-value tests keep their significance level: a p-value needs no learning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from opsloop.monitoring import metric_catalogue
from opsloop.monitoring.reference import LearnedThresholds, ReferenceSummary
from opsloop.monitoring.sources import TabularSource, iter_batches
from opsloop.monitoring.window import ProductionWindow

MIN_CHUNKS = 5
DEFAULT_MAX_CHUNKS = 100
SIGMAS = 3.0


def learn_thresholds(
    reference: ReferenceSummary,
    source: TabularSource,
    *,
    chunk_rows: int,
    max_chunks: int = DEFAULT_MAX_CHUNKS,
    storage_options: dict[str, Any] | None = None,
) -> ReferenceSummary:
    """``reference`` with ``learned_thresholds`` for every distance metric of its features."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    names = list(reference.features)
    values: dict[tuple[str, str], list[float]] = {}
    chunks = 0
    for chunk in _chunks(source, names, chunk_rows, storage_options):
        window = ProductionWindow.empty(reference, names)
        window.add(chunk)
        for name in names:
            summary, feature = reference.feature(name), window.features[name]
            if feature.count == 0:
                continue
            for metric in _distances(summary.feature_type):
                value, _ = metric.compute(summary, feature)
                values.setdefault((name, metric.name), []).append(value)
        chunks += 1
        if chunks == max_chunks:
            break
    if chunks < MIN_CHUNKS:
        raise ValueError(
            f"the reference holds {chunks} chunks of {chunk_rows} rows; learning thresholds "
            f"needs at least {MIN_CHUNKS} (use a smaller chunk_rows)"
        )
    thresholds: dict[str, dict[str, float]] = {}
    for (name, metric_name), series in values.items():
        if len(series) >= 2:
            array = np.asarray(series)
            thresholds.setdefault(name, {})[metric_name] = float(
                array.mean() + SIGMAS * array.std(ddof=1)
            )
    learned = LearnedThresholds(chunk_rows=chunk_rows, chunks=chunks, thresholds=thresholds)
    return reference.model_copy(update={"learned_thresholds": learned})


def _distances(feature_type: Any) -> Sequence[metric_catalogue.Metric]:
    return [
        m
        for (kind, _), m in metric_catalogue.METRICS.items()
        if kind == feature_type and m.kind == "distance"
    ]


def _chunks(
    source: TabularSource, names: list[str], chunk_rows: int, storage_options: dict[str, Any] | None
) -> Any:
    """Consecutive whole chunks of exactly ``chunk_rows`` rows; a short tail is dropped."""
    pending: list[pa.Table] = []
    size = 0
    for batch in iter_batches(
        source, names, batch_rows=chunk_rows, storage_options=storage_options
    ):
        pending.append(batch)
        size += batch.num_rows
        while size >= chunk_rows:
            table = pa.concat_tables(pending)
            yield table.slice(0, chunk_rows)
            rest = table.slice(chunk_rows)
            pending, size = [rest], rest.num_rows
