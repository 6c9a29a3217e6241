"""Statistical profile of a table: the baseline that data drift monitoring compares against."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

ColumnKind = Literal["numeric", "categorical", "boolean", "datetime", "text"]

QUANTILES: tuple[float, ...] = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
HISTOGRAM_BINS = 10
TOP_CATEGORIES = 20
# Columns this diverse are free text or ids: per-value counts would be noise, not a baseline.
TEXT_MIN_DISTINCT = 100
TEXT_MIN_DISTINCT_RATIO = 0.5
# The variance squares deviations, which overflows float64 beyond ~1e154: such columns are
# profiled scaled down by a power of two (exact) and the results scaled back up.
_OVERFLOW_GUARD = 2.0**500
_SCALE = 2.0**-600

_INFER_NUMERIC = frozenset({"integer", "floating", "mixed-integer-float", "decimal"})
_INFER_DATETIME = frozenset({"datetime", "datetime64", "date"})

# NaN/inf are rejected at construction, so a profile always dumps to strict JSON.
_STRICT = ConfigDict(allow_inf_nan=False)


class Histogram(BaseModel):
    """Equal-width bins over [min, max]; the last bin includes its right edge."""

    model_config = _STRICT
    bin_edges: list[float]
    counts: list[int]


class CategoryCount(BaseModel):
    model_config = _STRICT
    value: str
    count: int
    rate: float = Field(description="count / non-missing values")


class ColumnProfile(BaseModel):
    model_config = _STRICT
    name: str
    dtype: str
    kind: ColumnKind
    missing_count: int
    missing_rate: float
    distinct_count: int = Field(description="distinct non-missing values")
    infinite_count: int = 0
    # numeric (finite values only)
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    quantiles: dict[str, float] | None = None
    histogram: Histogram | None = None
    # categorical / boolean
    top_categories: list[CategoryCount] | None = None
    other_count: int | None = None
    # text
    mean_length: float | None = None
    # datetime (ISO 8601)
    earliest: str | None = None
    latest: str | None = None


class DataProfile(BaseModel):
    model_config = _STRICT
    row_count: int
    column_count: int
    columns: list[ColumnProfile]


def profile_table(df: pd.DataFrame) -> DataProfile:
    """Profile every column of ``df`` (by position, so duplicate names are fine)."""
    row_count = len(df)
    columns = [_profile_column(df.iloc[:, i], df.columns[i], row_count) for i in range(df.shape[1])]
    return DataProfile(row_count=row_count, column_count=df.shape[1], columns=columns)


def _profile_column(series: pd.Series, name: Any, row_count: int) -> ColumnProfile:
    missing = int(series.isna().sum())
    base: dict[str, Any] = {
        "name": str(name),
        "dtype": str(series.dtype),
        "missing_count": missing,
        "missing_rate": missing / row_count if row_count else 0.0,
    }
    kind, values = _classify(series)
    if kind == "numeric":
        return ColumnProfile(kind=kind, **base, **_numeric_stats(values))
    if kind == "datetime":
        return ColumnProfile(kind=kind, **base, **_datetime_stats(values))
    counts = values.value_counts(sort=True, dropna=True)
    counts = counts[counts > 0]  # a categorical dtype also lists unused categories
    distinct = len(counts)
    if _is_text(series, distinct, row_count):
        lengths = values.astype("str").str.len()
        mean_length = float(lengths.mean()) if len(lengths) else None
        return ColumnProfile(kind="text", **base, distinct_count=distinct, mean_length=mean_length)
    return ColumnProfile(kind=kind, **base, distinct_count=distinct, **_category_stats(counts))


def _classify(series: pd.Series) -> tuple[ColumnKind, pd.Series]:
    """The column's kind, and its non-missing values in the form that kind is profiled in."""
    dtype = series.dtype
    values = series.dropna()
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical", values
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", values
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime", values
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "numeric", values.dt.total_seconds()  # seconds: a unit-free drift comparison
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric", values
    if pd.api.types.is_object_dtype(dtype):
        return _classify_objects(values)
    if pd.api.types.is_string_dtype(dtype):
        return "categorical", values
    return "categorical", values.astype("str")  # periods, intervals, nested arrow types...


def _classify_objects(values: pd.Series) -> tuple[ColumnKind, pd.Series]:
    """Object columns (e.g. from JSON) often hold one real type; profile them as that type."""
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    try:
        if inferred == "boolean":
            return "boolean", values.astype(bool)
        if inferred in _INFER_NUMERIC:
            return "numeric", pd.to_numeric(values).astype("float64")
        if inferred in _INFER_DATETIME:
            return "datetime", pd.to_datetime(values)
    except (ValueError, TypeError, OverflowError):
        pass  # e.g. mixed time zones or huge ints: fall back to comparing string forms
    # Mixed types compare by their string form, which is also what the profile records.
    return "categorical", values if inferred == "string" else values.astype("str")


def _is_text(series: pd.Series, distinct: int, row_count: int) -> bool:
    if isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(series.dtype):
        return False
    return distinct > TEXT_MIN_DISTINCT and distinct > TEXT_MIN_DISTINCT_RATIO * row_count


def _numeric_stats(values: pd.Series) -> dict[str, Any]:
    array = values.to_numpy(dtype="float64", na_value=np.nan)
    finite = array[np.isfinite(array)]
    stats: dict[str, Any] = {
        "distinct_count": int(values.nunique(dropna=True)),
        "infinite_count": int(np.isinf(array).sum()),
    }
    if finite.size == 0:
        return stats
    scale = _SCALE if np.abs(finite).max() > _OVERFLOW_GUARD else 1.0
    scaled = finite * scale if scale != 1.0 else finite
    lo, hi = float(scaled.min()), float(scaled.max())
    if lo == hi:
        # numpy's convention for a constant column; widened where +-0.5 is lost to rounding.
        pad = max(0.5, abs(lo) * 1e-9)
        counts, edges = np.histogram(scaled, bins=HISTOGRAM_BINS, range=(lo - pad, hi + pad))
    else:
        counts, edges = np.histogram(scaled, bins=HISTOGRAM_BINS, range=(lo, hi))
    quantiles = np.quantile(scaled, QUANTILES)
    std = float(scaled.std(ddof=1)) / scale if finite.size > 1 else None
    stats.update(
        min=lo / scale,
        max=hi / scale,
        mean=_finite(float(scaled.mean()) / scale),
        std=_finite(std),
        quantiles={str(q): float(v) / scale for q, v in zip(QUANTILES, quantiles, strict=True)},
        histogram=Histogram(bin_edges=(edges / scale).tolist(), counts=counts.tolist()),
    )
    return stats


def _datetime_stats(values: pd.Series) -> dict[str, Any]:
    stats: dict[str, Any] = {"distinct_count": int(values.nunique(dropna=True))}
    if len(values):
        stats.update(earliest=values.min().isoformat(), latest=values.max().isoformat())
    return stats


def _category_stats(counts: pd.Series) -> dict[str, Any]:
    total = int(counts.sum())
    top = counts.iloc[:TOP_CATEGORIES]
    categories = [
        CategoryCount(value=str(value), count=int(count), rate=int(count) / total)
        for value, count in top.items()
    ]
    return {"top_categories": categories, "other_count": total - int(top.sum())}


def _finite(value: float | None) -> float | None:
    """None for NaN/inf (e.g. the std of values near float64's limit), which JSON cannot hold."""
    return value if value is not None and math.isfinite(value) else None
