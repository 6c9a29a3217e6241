"""Tables read in chunks: the one way drift monitoring reads reference and production data.

A source is a pandas DataFrame, a pyarrow Table or Dataset, or a URL/path (or a list of
them) naming Parquet or CSV files or folders of them. Folders are searched recursively,
as the data collector writes them (``<collection>/YYYY/MM/DD[/HH]/<uuid>.parquet``), and
hidden names (the collector's ``.<uuid>.parquet.tmp`` files in flight) are skipped.

Every source is read as a sequence of :class:`pyarrow.Table` chunks of at most
``batch_rows`` rows holding exactly the asked columns (a column a file lacks is all
null), so memory is bounded by one chunk whatever the source's size. Files may differ in
their columns and column types, as collected files do when a model's inputs change.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import pandas as pd

TabularSource: TypeAlias = (
    "pd.DataFrame | pa.Table | ds.Dataset | str | os.PathLike[str] | Sequence[Any]"
)

DEFAULT_BATCH_ROWS = 262_144
TIME_COLUMN = "timestamp"  # what the data collector stamps each row with (UTC)
# The columns the data collector adds to every row (serving.collection.parquet's
# BASE_COLUMNS; services may not import serving): never features.
COLLECTOR_COLUMNS = ("correlationid", TIME_COLUMN, "row_index")
_SUFFIXES = (".parquet", ".csv")


class SourceError(ValueError):
    """A source that cannot be read as a table (no files, an unknown format, a bad column)."""


def iter_batches(
    source: TabularSource,
    columns: Sequence[str] | None = None,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    start: datetime | None = None,
    end: datetime | None = None,
    time_column: str = TIME_COLUMN,
    storage_options: dict[str, Any] | None = None,
) -> Iterator[pa.Table]:
    """Yield ``source`` in chunks of at most ``batch_rows`` rows.

    ``columns`` None reads every column (of the first file, for a list of files).
    ``start``/``end`` keep rows with ``start <= time_column < end`` (a production window).
    """
    if batch_rows < 1:
        raise SourceError(f"batch_rows must be at least 1, not {batch_rows}")
    window = (start, end, time_column) if start is not None or end is not None else None
    read_columns = _with_time_column(columns, window)
    for chunk in _raw_batches(source, read_columns, batch_rows, storage_options):
        if window is not None:
            chunk = _filter_window(chunk, *window)
        if columns is not None and read_columns != list(columns):
            chunk = chunk.select(list(columns))
        if chunk.num_rows:
            yield chunk


def source_schema(
    source: TabularSource, storage_options: dict[str, Any] | None = None
) -> pa.Schema:
    """The source's columns and types: a file's own schema, the first file's for a list."""
    if _is_frame(source):
        return pa.Schema.from_pandas(source.head(1000), preserve_index=False)
    if isinstance(source, pa.Table | ds.Dataset):
        return source.schema
    fs, paths = _files(source, storage_options)
    path = paths[0]
    with fs.open(path, "rb") as handle:
        if path.endswith(".parquet"):
            return pq.read_schema(handle)
        return pacsv.open_csv(handle).schema


def _with_time_column(
    columns: Sequence[str] | None, window: tuple[Any, Any, str] | None
) -> list[str] | None:
    if columns is None:
        return None
    names = list(columns)
    if window is not None and window[2] not in names:
        names.append(window[2])
    return names


def _filter_window(
    chunk: pa.Table, start: datetime | None, end: datetime | None, column: str
) -> pa.Table:
    if column not in chunk.column_names or pa.types.is_null(chunk.column(column).type):
        raise SourceError(f"a time window needs the column {column!r}, which the data lacks")
    stamps = chunk.column(column)
    mask = None
    for bound, compare in ((start, pc.greater_equal), (end, pc.less)):
        if bound is None:
            continue
        scalar = pa.scalar(bound, type=_timestamp_type(stamps.type, bound))
        keep = compare(stamps, scalar)
        mask = keep if mask is None else pc.and_(mask, keep)
    return chunk.filter(pc.fill_null(mask, False)) if mask is not None else chunk


def _timestamp_type(column_type: pa.DataType, bound: datetime) -> pa.DataType:
    if not pa.types.is_timestamp(column_type):
        raise SourceError(f"the time column holds {column_type}, not timestamps")
    if (column_type.tz is None) != (bound.tzinfo is None):
        raise SourceError("window bounds and the time column must both have a time zone or neither")
    return column_type


def _raw_batches(
    source: TabularSource,
    columns: list[str] | None,
    batch_rows: int,
    storage_options: dict[str, Any] | None,
) -> Iterator[pa.Table]:
    if _is_frame(source):
        yield from _frame_batches(source, columns, batch_rows)
    elif isinstance(source, pa.Table):
        table = _conform(source, columns)
        for offset in range(0, table.num_rows, batch_rows):
            yield table.slice(offset, batch_rows)
    elif isinstance(source, ds.Dataset):
        present = _present(source.schema, columns)
        batches = source.to_batches(
            columns=present, batch_size=batch_rows, batch_readahead=2, fragment_readahead=1
        )
        for batch in batches:
            yield _conform(pa.Table.from_batches([batch]), columns)
    else:
        fs, paths = _files(source, storage_options)
        for path in paths:
            yield from _file_batches(fs, path, columns, batch_rows)


def _is_frame(source: object) -> TypeGuard[pd.DataFrame]:
    # pandas takes ~0.5 s to import; a source can only be a DataFrame once it is imported.
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(source, pandas.DataFrame)


def _frame_batches(
    frame: pd.DataFrame, columns: list[str] | None, batch_rows: int
) -> Iterator[pa.Table]:
    # Converted a slice at a time, so a large frame is never copied whole into Arrow.
    present = [c for c in columns if c in frame.columns] if columns is not None else None
    for offset in range(0, max(len(frame), 1), batch_rows):
        part = frame.iloc[offset : offset + batch_rows]
        if present is not None:
            part = part[present]
        if len(part):
            yield _conform(pa.Table.from_pandas(part, preserve_index=False), columns)


def _file_batches(
    fs: fsspec.AbstractFileSystem, path: str, columns: list[str] | None, batch_rows: int
) -> Iterator[pa.Table]:
    with fs.open(path, "rb") as handle:
        if path.endswith(".parquet"):
            # pre_buffer would read ahead the whole file through a Python file object (a
            # 3 GB file held 3.4 GB): off, memory stays at about one row group.
            parquet = pq.ParquetFile(handle, pre_buffer=False)
            present = _present(parquet.schema_arrow, columns)
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=present):
                yield _conform(pa.Table.from_batches([batch]), columns)
            return
        options = pacsv.ReadOptions(block_size=1 << 24)
        convert = pacsv.ConvertOptions(include_columns=columns or [], include_missing_columns=True)
        reader = pacsv.open_csv(handle, read_options=options, convert_options=convert)
        for batch in reader:
            table = pa.Table.from_batches([batch])
            for offset in range(0, table.num_rows, batch_rows):
                yield table.slice(offset, batch_rows)


def _present(schema: pa.Schema, columns: list[str] | None) -> list[str] | None:
    return None if columns is None else [c for c in columns if c in schema.names]


def _conform(table: pa.Table, columns: list[str] | None) -> pa.Table:
    """Exactly ``columns``, in order: a column the data lacks is all null."""
    if columns is None:
        return table
    arrays = [
        table.column(name) if name in table.column_names else pa.nulls(table.num_rows)
        for name in columns
    ]
    return pa.Table.from_arrays(arrays, names=list(columns))


def _files(
    source: Any, storage_options: dict[str, Any] | None
) -> tuple[fsspec.AbstractFileSystem, list[str]]:
    """Every Parquet/CSV file a path, URL or list of them names, in a stable order."""
    urls = [source] if isinstance(source, str | os.PathLike) else list(source)
    if not urls:
        raise SourceError("no files given")
    fs: fsspec.AbstractFileSystem | None = None
    paths: list[str] = []
    for url in urls:
        if not isinstance(url, str | os.PathLike):
            raise SourceError(f"a source is a table, a dataset or paths, not {type(url).__name__}")
        url_fs, root = fsspec.core.url_to_fs(os.fspath(url), **(storage_options or {}))
        fs = fs or url_fs
        if url_fs.isdir(root):
            found = sorted(p for p in url_fs.find(root) if _is_data_file(p))
        elif url_fs.exists(root):
            found = [root]
        else:
            raise SourceError(f"{os.fspath(url)}: no such file or folder")
        for path in found:
            if not path.endswith(_SUFFIXES):
                raise SourceError(f"{path}: not a .parquet or .csv file")
        paths.extend(found)
    if not paths or fs is None:
        raise SourceError(f"no .parquet or .csv files under {', '.join(str(u) for u in urls)}")
    return fs, paths


def _is_data_file(path: str) -> bool:
    return path.endswith(_SUFFIXES) and not path.rsplit("/", 1)[-1].startswith(".")
