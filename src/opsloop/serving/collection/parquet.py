"""The data collector's Parquet: rows to one table, files written whole, and read back."""

from __future__ import annotations

import json
import logging
from typing import Any

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from opsloop.tabular.parquet_files import ATOMIC_PUT, atomic_put, write_table

__all__ = ["ATOMIC_PUT", "atomic_put", "read_collected", "table_of", "write_file", "write_table"]
logger = logging.getLogger(__name__)

BASE_COLUMNS = ("correlationid", "timestamp", "row_index")
_TIMESTAMP = pa.timestamp("us", tz="UTC")
# One request's rows of one collection: (collection, epoch seconds, correlation id, rows).
Entry = tuple[str, float, str, list[dict[str, Any]]]


def write_file(
    fs: fsspec.AbstractFileSystem, atomic: bool, folder: str, final: str, entries: list[Entry]
) -> None:
    """Write ``entries`` to ``final`` so that a reader sees the whole file or none of it."""
    write_table(fs, atomic, folder, final, table_of(entries))


def table_of(entries: list[Entry]) -> pa.Table:
    """Rows of any shapes -> one table: the union of their columns, missing values null."""
    ids: list[str] = []
    stamps: list[int] = []
    indexes: list[int] = []
    flat: list[dict[str, Any]] = []
    keys: dict[Any, None] = {}
    for _collection, stamp, correlation_id, rows in entries:
        micros = round(stamp * 1_000_000)
        for index, row in enumerate(rows):
            ids.append(correlation_id)
            stamps.append(micros)
            indexes.append(index)
            flat.append(row)
            keys.update(dict.fromkeys(row))
    names = list(BASE_COLUMNS)
    arrays = _base_arrays(ids, stamps, indexes)
    for key in keys:
        # A payload column named like a base column is kept, under a prefixed name.
        name = f"payload.{key}" if key in BASE_COLUMNS else str(key)
        names.append(name)
        arrays.append(_array([row.get(key) for row in flat]))
    return pa.Table.from_arrays(arrays, names=names)


def _base_arrays(ids: list[str], stamps: list[int], indexes: list[int]) -> list[pa.Array]:
    return [pa.array(ids, pa.string()), pa.array(stamps, _TIMESTAMP), pa.array(indexes, pa.int64())]


def _array(values: list[Any]) -> pa.Array:
    """Arrow's own type when the values agree on one, else text, so a flush never gets stuck."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        texts = [
            v if v is None or isinstance(v, str) else json.dumps(v, default=str) for v in values
        ]
        return pa.array(texts, pa.string())


def read_collected(
    root_url: str,
    endpoint: str,
    deployment: str,
    collection: str,
    storage_options: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Every row collected for one collection, sorted by timestamp, correlationid, row_index.

    Files are written whole or not at all, so hidden temporary names are skipped. Different
    files may have different columns (the model's inputs changed); the union is returned.
    """
    fs, root_path = fsspec.core.url_to_fs(root_url.rstrip("/"), **(storage_options or {}))
    folder = f"{root_path.rstrip('/')}/{endpoint}/{deployment}/{collection}"
    paths = sorted(
        path
        for path in (fs.find(folder) if fs.exists(folder) else [])
        if path.endswith(".parquet") and not path.rsplit("/", 1)[-1].startswith(".")
    )
    tables = []
    for path in paths:
        with fs.open(path, "rb") as handle:
            tables.append(pq.read_table(handle))
    if not tables:
        return pa.Table.from_arrays(_base_arrays([], [], []), names=list(BASE_COLUMNS)).to_pandas()
    try:
        frame = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # one column's type changed between files
        frame = pd.concat([table.to_pandas() for table in tables], ignore_index=True)
    order = ["timestamp", "correlationid", "row_index"]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)
