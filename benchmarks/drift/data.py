"""Synthetic reference and production tables for the drift benchmark, written as Parquet.

The 1M x 20 case has 14 numerical and 6 categorical features of varied shapes; production
shifts some of them by known amounts (none, small, near the 0.1 default threshold, large)
so that verdicts are worth comparing. The scale case is 10M x 50 (40 numerical, 10
categorical), written a chunk at a time so that generating it needs little memory.
Everything goes under benchmarks/drift/data/ (gitignored) and is reused when present.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).parent / "data"
CHUNK = 500_000

Generator = Callable[[np.random.Generator, int], np.ndarray]


def _numerical(kind: str, shift: float) -> Generator:
    """A generator of one numerical feature; ``shift`` moves it (in its own std units)."""

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        if kind == "normal":
            return rng.normal(100 + shift * 15, 15, n)
        if kind == "lognormal":
            return rng.lognormal(3 + shift, 0.8, n)
        if kind == "uniform":
            return rng.uniform(shift, 1 + shift, n)
        if kind == "exponential":
            return rng.exponential(2 * (1 + shift), n)
        if kind == "poisson":
            return rng.poisson(4 * (1 + shift), n).astype("float64")
        if kind == "bimodal":
            centre = np.where(rng.random(n) < 0.5 + shift / 2, -2.0, 2.0)
            return rng.normal(centre, 1, n)
        raise ValueError(kind)

    return draw


def _categorical(levels: int, tilt: float) -> Generator:
    """Zipf-like category shares; ``tilt`` > 0 moves mass towards the rarer levels."""

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        ranks = np.arange(1, levels + 1)
        weights = ranks ** -(1.0 - tilt)
        names = np.array([f"level_{i:03d}" for i in range(levels)])
        return names[rng.choice(levels, n, p=weights / weights.sum())]

    return draw


_KINDS = ["normal", "lognormal", "uniform", "exponential", "poisson", "bimodal", "normal"]
# 14 numerical features: (kind, production shift); 0 means no drift.
NUMERICAL = [
    (_KINDS[i % 7], shift)
    for i, shift in enumerate([0, 0, 0, 0, 0, 0.02, 0.05, 0.08, 0.12, 0.15, 0.3, 0.5, 1.0, 0])
]
CATEGORICAL = [(3, 0.0), (5, 0.0), (10, 0.05), (20, 0.2), (50, 0.5), (200, 0.0)]


def columns_1m(production: bool) -> dict[str, Generator]:
    numeric = {
        f"num_{i:02d}_{kind}": _numerical(kind, shift if production else 0.0)
        for i, (kind, shift) in enumerate(NUMERICAL)
    }
    categorical = {
        f"cat_{i}_{levels}": _categorical(levels, tilt if production else 0.0)
        for i, (levels, tilt) in enumerate(CATEGORICAL)
    }
    return numeric | categorical


def columns_scale() -> dict[str, Generator]:
    numeric = {f"num_{i:02d}": _numerical(_KINDS[i % 7], 0.0) for i in range(40)}
    categorical = {f"cat_{i}": _categorical(5 + 5 * i, 0.0) for i in range(10)}
    return numeric | categorical


def write(path: Path, generators: dict[str, Generator], rows: int, seed: int) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    partial = path.with_suffix(".partial")
    writer: pq.ParquetWriter | None = None
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        table = pa.table({name: draw(rng, n) for name, draw in generators.items()})
        if writer is None:
            writer = pq.ParquetWriter(partial, table.schema)
        writer.write_table(table, row_group_size=CHUNK)
    assert writer is not None
    writer.close()
    partial.rename(path)
    return path


def ensure_1m(rows: int = 1_000_000) -> tuple[Path, Path]:
    reference = write(DATA / f"reference_{rows}.parquet", columns_1m(False), rows, seed=1)
    production = write(DATA / f"production_{rows}.parquet", columns_1m(True), rows, seed=2)
    return reference, production


def ensure_scale(rows: int = 10_000_000) -> Path:
    return write(DATA / f"scale_{rows}x50.parquet", columns_scale(), rows, seed=3)
