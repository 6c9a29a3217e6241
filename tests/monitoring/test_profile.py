"""profile_table: exact statistics, every column kind, and the edge cases of a baseline."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from opsloop.monitoring.profile import ColumnProfile, DataProfile, profile_table

QUANTILE_KEYS = ["0.01", "0.05", "0.25", "0.5", "0.75", "0.95", "0.99"]


def _column(df: pd.DataFrame, name: str) -> ColumnProfile:
    return next(c for c in profile_table(df).columns if c.name == name)


def _strict_json(profile: DataProfile) -> str:
    # allow_nan=False fails on NaN/inf exactly as strict JSON parsers do.
    return json.dumps(profile.model_dump(mode="json"), allow_nan=False)


# --- numeric ----------------------------------------------------------------------------------


def test_numeric_stats_of_a_known_array() -> None:
    col = _column(pd.DataFrame({"x": np.arange(101, dtype="float64")}), "x")
    assert col.kind == "numeric"
    assert (col.min, col.max, col.mean) == (0.0, 100.0, 50.0)
    assert col.std == pytest.approx(np.arange(101).std(ddof=1))
    assert col.quantiles is not None
    assert list(col.quantiles) == QUANTILE_KEYS
    assert col.quantiles == pytest.approx(
        {"0.01": 1.0, "0.05": 5.0, "0.25": 25.0, "0.5": 50.0, "0.75": 75.0, "0.95": 95.0,
         "0.99": 99.0}
    )  # fmt: skip
    assert col.histogram is not None
    assert col.histogram.bin_edges == pytest.approx([float(e) for e in range(0, 101, 10)])
    # Each bin is [lo, hi) except the last, which also takes the maximum.
    assert col.histogram.counts == [10] * 9 + [11]
    assert col.distinct_count == 101
    assert (col.missing_count, col.missing_rate, col.infinite_count) == (0, 0.0, 0)


def test_quantiles_interpolate_linearly() -> None:
    col = _column(pd.DataFrame({"x": [1, 2, 3, 4]}), "x")
    assert col.quantiles is not None
    assert col.quantiles["0.5"] == 2.5
    assert col.quantiles["0.25"] == 1.75
    assert col.quantiles["0.99"] == pytest.approx(3.97)
    assert col.dtype == "int64"


def test_missing_values() -> None:
    col = _column(pd.DataFrame({"x": [1.0, np.nan, 3.0, np.nan]}), "x")
    assert (col.missing_count, col.missing_rate) == (2, 0.5)
    assert col.histogram is not None
    assert sum(col.histogram.counts) == 2
    assert col.mean == 2.0


def test_infinities_are_counted_but_not_in_stats() -> None:
    col = _column(pd.DataFrame({"x": [1.0, 2.0, np.inf, -np.inf, np.nan, 3.0]}), "x")
    assert col.infinite_count == 2
    assert col.missing_count == 1
    assert (col.min, col.max, col.mean) == (1.0, 3.0, 2.0)
    assert col.histogram is not None
    non_missing = 6 - col.missing_count
    assert sum(col.histogram.counts) == non_missing - col.infinite_count
    assert col.histogram.bin_edges[0] == 1.0
    assert col.histogram.bin_edges[-1] == 3.0


def test_only_infinities() -> None:
    col = _column(pd.DataFrame({"x": [np.inf, -np.inf, np.nan]}), "x")
    assert col.kind == "numeric"
    assert col.infinite_count == 2
    assert col.min is col.max is col.mean is col.std is col.quantiles is col.histogram is None


def test_constant_column_has_a_degenerate_but_valid_histogram() -> None:
    col = _column(pd.DataFrame({"x": [7] * 5}), "x")
    assert (col.min, col.max, col.mean, col.std) == (7.0, 7.0, 7.0, 0.0)
    assert col.quantiles == dict.fromkeys(QUANTILE_KEYS, 7.0)
    assert col.histogram is not None
    edges = col.histogram.bin_edges
    assert len(edges) == 11
    assert edges[0] == 6.5 and edges[-1] == 7.5
    assert np.all(np.diff(edges) > 0)
    assert col.histogram.counts == [0, 0, 0, 0, 0, 5, 0, 0, 0, 0]


def test_constant_huge_value_keeps_increasing_edges() -> None:
    col = _column(pd.DataFrame({"x": [1e20, 1e20]}), "x")
    assert col.histogram is not None
    edges = col.histogram.bin_edges
    assert np.all(np.diff(edges) > 0)
    assert sum(col.histogram.counts) == 2


def test_single_value_has_no_std() -> None:
    col = _column(pd.DataFrame({"x": [4.0]}), "x")
    assert col.std is None
    assert col.mean == 4.0


def test_all_nan_column() -> None:
    profile = profile_table(pd.DataFrame({"x": [np.nan] * 4}))
    col = profile.columns[0]
    assert col.kind == "numeric"
    assert (col.missing_count, col.missing_rate, col.distinct_count) == (4, 1.0, 0)
    assert col.min is col.max is col.mean is col.std is col.quantiles is col.histogram is None
    _strict_json(profile)


def test_all_none_object_column() -> None:
    col = _column(pd.DataFrame({"x": [None, None]}, dtype=object), "x")
    assert (col.missing_rate, col.distinct_count) == (1.0, 0)
    assert col.top_categories == []
    assert col.other_count == 0


def test_values_near_float_limits_stay_strict_json() -> None:
    profile = profile_table(pd.DataFrame({"x": [1.7e308, -1.7e308, 1.7e308, 0.0]}))
    col = profile.columns[0]
    assert (col.min, col.max) == (-1.7e308, 1.7e308)
    assert col.histogram is not None
    assert sum(col.histogram.counts) == 4
    assert col.histogram.bin_edges[0] == -1.7e308 and col.histogram.bin_edges[-1] == 1.7e308
    assert col.mean == pytest.approx(0.425e308)
    assert col.std == pytest.approx(1.6276260831857747e308)
    _strict_json(profile)


def test_nullable_integer_and_timedelta() -> None:
    df = pd.DataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "t": pd.to_timedelta(["1s", "3s", None]),
        }
    )
    n, t = profile_table(df).columns
    assert (n.kind, n.dtype, n.missing_count, n.mean) == ("numeric", "Int64", 1, 2.0)
    assert (t.kind, t.missing_count, t.min, t.max) == ("numeric", 1, 1.0, 3.0)


def test_numeric_object_columns_are_profiled_as_numeric() -> None:
    df = pd.DataFrame(
        {
            "mixed": pd.Series([1, 2.5, None, 4], dtype=object),
            "decimal": pd.Series([Decimal("1.25"), None, Decimal("3.5")], dtype=object),
        }
    )
    mixed, decimal = profile_table(df).columns
    assert (mixed.kind, mixed.dtype) == ("numeric", "object")
    assert (mixed.min, mixed.max, mixed.missing_count) == (1.0, 4.0, 1)
    assert (decimal.kind, decimal.min, decimal.max) == ("numeric", 1.25, 3.5)


def test_huge_value_std_that_does_not_fit_is_none() -> None:
    profile = profile_table(pd.DataFrame({"x": [1.79e308, -1.79e308]}))
    assert profile.columns[0].std is None  # ~2.5e308
    assert profile.columns[0].mean == 0.0
    _strict_json(profile)


# --- categorical / boolean / text -------------------------------------------------------------


def test_categorical_top_categories_and_other_rollup() -> None:
    # Category "c{i}" appears 30 - i times: 30 categories, 465 values, 10 left for "other".
    values = [f"c{i:02d}" for i in range(30) for _ in range(30 - i)]
    df = pd.DataFrame({"cat": values + [None] * 35})
    col = _column(df, "cat")
    assert col.kind == "categorical"
    assert (col.missing_count, col.missing_rate, col.distinct_count) == (35, 0.07, 30)
    assert col.top_categories is not None
    assert len(col.top_categories) == 20
    assert [c.value for c in col.top_categories[:3]] == ["c00", "c01", "c02"]
    assert [c.count for c in col.top_categories] == list(range(30, 10, -1))
    assert col.other_count == sum(range(1, 11))
    assert col.top_categories[0].rate == pytest.approx(30 / 465)
    assert sum(c.count for c in col.top_categories) + col.other_count == 465
    assert col.min is None and col.histogram is None


def test_category_dtype_skips_unused_categories() -> None:
    series = pd.Categorical(["a", "b", "a"], categories=["a", "b", "zzz"])
    col = _column(pd.DataFrame({"c": series}), "c")
    assert (col.kind, col.dtype, col.distinct_count) == ("categorical", "category", 2)
    assert col.top_categories is not None
    assert [(c.value, c.count) for c in col.top_categories] == [("a", 2), ("b", 1)]


@pytest.mark.parametrize(
    "values",
    [
        pd.array([True, False, True, None], dtype="boolean"),
        pd.Series([True, False, True, None], dtype=object),
    ],
)
def test_boolean(values: pd.Series) -> None:
    col = _column(pd.DataFrame({"b": values}), "b")
    assert col.kind == "boolean"
    assert (col.missing_count, col.distinct_count) == (1, 2)
    assert col.top_categories is not None
    assert [(c.value, c.count, c.rate) for c in col.top_categories] == [
        ("True", 2, pytest.approx(2 / 3)),
        ("False", 1, pytest.approx(1 / 3)),
    ]
    assert col.other_count == 0


def test_numpy_bool_is_boolean_not_numeric() -> None:
    col = _column(pd.DataFrame({"b": np.array([True] * 3 + [False])}), "b")
    assert (col.kind, col.dtype) == ("boolean", "bool")
    assert col.mean is None


def test_mixed_type_object_column() -> None:
    values = pd.Series([1, "a", 2.5, None, [1, 2], "a", {"k": 1}], dtype=object)
    profile = profile_table(pd.DataFrame({"m": values}))
    col = profile.columns[0]
    assert (col.kind, col.dtype) == ("categorical", "object")
    assert (col.missing_count, col.distinct_count) == (1, 5)
    assert col.top_categories is not None
    assert col.top_categories[0].value == "a"
    assert col.top_categories[0].count == 2
    assert {c.value for c in col.top_categories} == {"a", "1", "2.5", "[1, 2]", "{'k': 1}"}
    _strict_json(profile)


def test_high_cardinality_strings_are_text() -> None:
    words = [f"comment number {i}" for i in range(200)]
    col = _column(pd.DataFrame({"t": [*words, None]}), "t")
    assert col.kind == "text"
    assert (col.distinct_count, col.missing_count) == (200, 1)
    assert col.mean_length == pytest.approx(np.mean([len(w) for w in words]))
    assert col.top_categories is None and col.other_count is None


def test_text_thresholds() -> None:
    # 100 distinct values are not "more than 100"; 150 of 400 rows are not "more than half".
    assert _column(pd.DataFrame({"s": [f"v{i}" for i in range(100)]}), "s").kind == "categorical"
    repeated = [f"v{i % 150}" for i in range(400)]
    assert _column(pd.DataFrame({"s": repeated}), "s").kind == "categorical"
    unique = [f"v{i}" for i in range(101)]
    assert _column(pd.DataFrame({"s": unique}), "s").kind == "text"


# --- datetime ---------------------------------------------------------------------------------


def test_datetime() -> None:
    stamps = pd.to_datetime(
        ["2024-03-01", None, "2023-01-15 08:30", "2024-03-01"], format="ISO8601"
    )
    col = _column(pd.DataFrame({"d": stamps}), "d")
    assert col.kind == "datetime"
    assert (col.missing_count, col.distinct_count) == (1, 2)
    assert (col.earliest, col.latest) == ("2023-01-15T08:30:00", "2024-03-01T00:00:00")


def test_timezone_aware_datetime_and_date_objects() -> None:
    df = pd.DataFrame(
        {
            "tz": pd.to_datetime(["2024-01-01T00:00:00Z", "2024-06-01T12:00:00Z"]),
            "dates": pd.Series([dt.date(2020, 5, 1), dt.date(2019, 1, 2)], dtype=object),
        }
    )
    tz, dates = profile_table(df).columns
    assert (tz.kind, tz.latest) == ("datetime", "2024-06-01T12:00:00+00:00")
    assert (dates.kind, dates.earliest) == ("datetime", "2019-01-02T00:00:00")


# --- frame level ------------------------------------------------------------------------------


def test_empty_frame() -> None:
    df = pd.DataFrame(
        {"x": pd.Series(dtype="float64"), "s": pd.Series(dtype="str"), "o": pd.Series(dtype=object)}
    )
    profile = profile_table(df)
    assert (profile.row_count, profile.column_count) == (0, 3)
    x, s, o = profile.columns
    assert (x.kind, x.missing_rate, x.distinct_count) == ("numeric", 0.0, 0)
    assert x.min is x.mean is x.std is x.quantiles is x.histogram is None
    assert (s.kind, s.top_categories, s.other_count) == ("categorical", [], 0)
    assert o.missing_count == 0
    _strict_json(profile)


def test_frame_without_columns() -> None:
    profile = profile_table(pd.DataFrame())
    assert (profile.row_count, profile.column_count, profile.columns) == (0, 0, [])


def test_duplicate_and_non_string_column_names() -> None:
    df = pd.DataFrame([[1, "a", 2.0]], columns=["x", 0, "x"])
    profile = profile_table(df)
    assert [c.name for c in profile.columns] == ["x", "0", "x"]
    assert [c.kind for c in profile.columns] == ["numeric", "categorical", "numeric"]
    assert profile.columns[2].mean == 2.0


def test_json_round_trip_is_strict() -> None:
    df = pd.DataFrame(
        {
            "x": [1.0, np.nan, np.inf, 4.0],
            "c": ["a", None, "b", "a"],
            "b": [True, None, False, True],
            "d": pd.to_datetime(["2024-01-01", None, None, "2024-01-02"]),
            "nan": [np.nan] * 4,
        }
    )
    profile = profile_table(df)
    text = _strict_json(profile)
    assert "NaN" not in text and "Infinity" not in text
    assert DataProfile.model_validate(json.loads(text)) == profile
    assert json.loads(text)["columns"][4]["mean"] is None


def test_nan_cannot_slip_into_a_profile() -> None:
    with pytest.raises(ValueError):
        ColumnProfile(
            name="x", dtype="float64", kind="numeric", missing_count=0, missing_rate=0.0,
            distinct_count=1, mean=float("nan"),
        )  # fmt: skip
