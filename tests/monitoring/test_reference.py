"""summarize_reference: exact counts, quantile edges, streaming, and a JSON round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opsloop.monitoring import reference as reference_module
from opsloop.monitoring.reference import (
    CategoricalSummary,
    NumericalSummary,
    ReferenceSummary,
    summarize_reference,
)


def _frame(rows: int = 5000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(10, 2, rows)
    x[:5] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 4, rows),
            "c": rng.choice(["red", "green", "blue"], rows, p=[0.5, 0.3, 0.2]),
            "t": pd.date_range("2026-01-01", periods=rows, freq="min"),
        }
    )


def test_numerical_summary_is_exact_where_it_claims_to_be() -> None:
    frame = _frame()
    summary = summarize_reference(frame, bins=50)
    x = summary.features["x"]
    assert isinstance(x, NumericalSummary)
    values = frame["x"].dropna().to_numpy()
    assert (x.count, x.missing_count, x.nonfinite_count) == (values.size, 5, 0)
    assert (x.min, x.max) == (values.min(), values.max())
    assert x.mean == pytest.approx(values.mean())
    assert x.std == pytest.approx(values.std(ddof=0))
    edges = np.asarray(x.bin_edges)
    assert len(edges) == 51 and np.all(np.diff(edges) > 0)
    # Counts equal numpy's histogram on the same edges (numpy's last bin is closed, ours is
    # the single point max, so add the two last bins).
    expected, _ = np.histogram(values, bins=edges)
    assert x.bin_counts[:-2] == expected[:-1].tolist()
    assert x.bin_counts[-2] + x.bin_counts[-1] == expected[-1]
    # Equal-frequency: the whole sample fits, so every bin holds ~2% of the values.
    assert max(x.bin_counts[:-1]) <= values.size / 50 + 2


def test_a_discrete_feature_gets_one_edge_per_value() -> None:
    summary = summarize_reference(_frame(), ["k"])
    k = summary.features["k"]
    assert isinstance(k, NumericalSummary)
    assert k.bin_edges == [0.0, 1.0, 2.0, 3.0]
    assert k.bin_means == [0.0, 1.0, 2.0, 3.0]
    assert sum(k.bin_counts) == 5000


def test_categories_are_counted_exactly_and_odd_columns_skipped() -> None:
    frame = _frame()
    summary = summarize_reference(frame, categorical=["k"])
    c = summary.features["c"]
    assert isinstance(c, CategoricalSummary)
    assert c.categories == frame["c"].value_counts().to_dict()
    k = summary.features["k"]
    assert isinstance(k, CategoricalSummary)
    assert set(k.categories) == {"0", "1", "2", "3"}
    assert "t" not in summary.features and "timestamp" in summary.skipped["t"]


def test_streaming_in_small_chunks_from_parquet_gives_the_same_counts(tmp_path: Path) -> None:
    frame = _frame()
    pq.write_table(pa.Table.from_pandas(frame[["x", "c"]]), tmp_path / "ref.parquet")
    whole = summarize_reference(frame, ["x", "c"], bins=20)
    chunked = summarize_reference(tmp_path / "ref.parquet", bins=20, batch_rows=333)
    assert chunked.features["c"] == whole.features["c"]
    x_whole, x_chunked = whole.features["x"], chunked.features["x"]
    assert isinstance(x_whole, NumericalSummary) and isinstance(x_chunked, NumericalSummary)
    assert x_chunked.bin_edges == x_whole.bin_edges  # the sample is the whole column here
    assert x_chunked.bin_counts == x_whole.bin_counts
    assert x_chunked.std == pytest.approx(x_whole.std)


def test_edges_come_from_a_sample_but_counts_stay_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reference_module, "SAMPLE_SIZE", 500)
    values = np.random.default_rng(1).exponential(1, 20_000)
    summary = summarize_reference(pd.DataFrame({"x": values}), bins=10, batch_rows=1000)
    x = summary.features["x"]
    assert isinstance(x, NumericalSummary)
    assert sum(x.bin_counts) == values.size
    assert (x.min, x.max) == (values.min(), values.max())
    shares = np.asarray(x.bin_counts[:-1]) / values.size
    assert np.all(np.abs(shares - 0.1) < 0.04)  # quantiles of a 500-value sample


def test_the_summary_round_trips_through_strict_json() -> None:
    summary = summarize_reference(_frame(), bins=30)
    text = summary.model_dump_json()
    assert ReferenceSummary.model_validate_json(text) == summary


def test_bad_arguments_name_the_problem() -> None:
    with pytest.raises(ValueError, match="columns not in the reference data: nope"):
        summarize_reference(_frame(), ["x", "nope"])
    with pytest.raises(ValueError, match="bins must be at least 2"):
        summarize_reference(_frame(), bins=1)
    with pytest.raises(KeyError, match="'nope' is not in the reference summary"):
        summarize_reference(_frame(), ["x"]).feature("nope")


def test_a_column_of_only_missing_values_is_skipped_with_a_reason() -> None:
    summary = summarize_reference(pd.DataFrame({"x": [np.nan, np.nan]}))
    assert summary.features == {} and summary.skipped == {"x": "no finite values"}
