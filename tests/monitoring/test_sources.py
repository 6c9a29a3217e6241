"""iter_batches: every kind of source, in bounded chunks, as the data collector lays files out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from opsloop.monitoring.sources import SourceError, iter_batches, source_schema


def _rows(chunks: list[pa.Table]) -> pd.DataFrame:
    return pa.concat_tables(chunks).to_pandas()


def test_a_frame_is_read_in_chunks_of_at_most_batch_rows() -> None:
    frame = pd.DataFrame({"x": np.arange(10.0), "c": list("abcdeabcde")})
    chunks = list(iter_batches(frame, ["c", "x"], batch_rows=3))
    assert [c.num_rows for c in chunks] == [3, 3, 3, 1]
    assert chunks[0].column_names == ["c", "x"]
    pd.testing.assert_frame_equal(_rows(chunks), frame[["c", "x"]])


def test_a_column_the_data_lacks_is_all_null() -> None:
    table = pa.table({"x": [1.0, 2.0]})
    (chunk,) = iter_batches(table, ["x", "gone"])
    assert chunk.column("gone").null_count == 2


def test_collected_folders_skip_hidden_files_and_union_columns(tmp_path: Path) -> None:
    day = tmp_path / "ep" / "blue" / "model_inputs" / "2026" / "12" / "05"
    day.mkdir(parents=True)
    pq.write_table(pa.table({"x": [1.0, 2.0], "c": ["a", "b"]}), day / "1.parquet")
    pq.write_table(pa.table({"x": ["3.5"]}), day / "2.parquet")  # text, and no c
    pq.write_table(pa.table({"x": [99.0]}), day / ".3.parquet.tmp")  # in flight
    (day / ".4.parquet").write_bytes(b"not parquet")  # hidden: never opened
    chunks = list(iter_batches(tmp_path / "ep", ["x", "c"]))
    assert [c.column("x").type for c in chunks] == [pa.float64(), pa.string()]
    assert sum(c.num_rows for c in chunks) == 3
    assert chunks[1].column("c").null_count == 1


def test_csv_files_and_a_list_of_paths(tmp_path: Path) -> None:
    pd.DataFrame({"x": [1, 2], "c": ["a", "b"]}).to_csv(tmp_path / "a.csv", index=False)
    pq.write_table(pa.table({"x": [3]}), tmp_path / "b.parquet")
    rows = _rows(list(iter_batches([tmp_path / "a.csv", str(tmp_path / "b.parquet")], ["x"])))
    assert rows["x"].tolist() == [1, 2, 3]
    assert source_schema(tmp_path / "a.csv").names == ["x", "c"]


def test_a_pyarrow_dataset_streams_its_batches(tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": np.arange(100)}), tmp_path / "t.parquet", row_group_size=10)
    chunks = list(iter_batches(ds.dataset(tmp_path), ["x"], batch_rows=25))
    assert max(c.num_rows for c in chunks) <= 25
    assert _rows(chunks)["x"].tolist() == list(range(100))


def test_a_time_window_keeps_start_inclusive_end_exclusive() -> None:
    stamps = pa.array(
        [datetime(2026, 12, 5, h, tzinfo=UTC) for h in range(4)], pa.timestamp("us", tz="UTC")
    )
    table = pa.table({"timestamp": stamps, "x": [0.0, 1.0, 2.0, 3.0]})
    chunks = iter_batches(
        table,
        ["x"],
        start=datetime(2026, 12, 5, 1, tzinfo=UTC),
        end=datetime(2026, 12, 5, 3, tzinfo=UTC),
    )
    rows = _rows(list(chunks))
    assert rows.columns.tolist() == ["x"]
    assert rows["x"].tolist() == [1.0, 2.0]


def test_bad_sources_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        list(iter_batches(tmp_path / "missing.parquet"))
    with pytest.raises(SourceError, match=r"no \.parquet or \.csv files"):
        list(iter_batches(tmp_path))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SourceError, match=r"not a \.parquet or \.csv"):
        list(iter_batches(tmp_path / "notes.txt"))
    with pytest.raises(SourceError, match="needs the column 'timestamp'"):
        list(iter_batches(pa.table({"x": [1]}), ["x"], start=datetime(2026, 1, 1, tzinfo=UTC)))
    with pytest.raises(SourceError, match="batch_rows"):
        list(iter_batches(pa.table({"x": [1]}), batch_rows=0))
