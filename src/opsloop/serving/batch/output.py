"""The predictions file of ``append_row``: encoded by the workers, written in input order.

Each worker encodes its mini-batch's predictions itself, columnar with pyarrow where it
writes every value as pandas would (CSV lines without a header; an Arrow stream for
Parquet), with pandas otherwise, so the parent only appends bytes and
never holds or formats every row. ``PredictionWriter`` appends the chunks in mini-batch
order as they arrive, whatever order the workers finish in. An ``output_file_name`` ending
in ``.parquet`` is written as Parquet, any other as CSV (a header line, then the rows).

Chunks whose columns differ from the first ones (a scoring script may return different
columns per mini-batch) are aligned by pandas when the file is closed, as one table would
have been.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

OutputFormat = Literal["csv", "parquet"]


@dataclass(frozen=True)
class Chunk:
    """One mini-batch's predictions: ``data`` is CSV lines or an Arrow IPC stream."""

    columns: tuple[str, ...]
    data: bytes
    rows: int


def output_format(file_name: str) -> OutputFormat:
    return "parquet" if file_name.lower().endswith(".parquet") else "csv"


def encode(frame: pd.DataFrame, fmt: OutputFormat) -> Chunk:
    columns = tuple(str(name) for name in frame.columns)
    if fmt == "parquet":
        table = pa.Table.from_pandas(frame, preserve_index=False)
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, table.schema) as stream:
            stream.write_table(table)
        return Chunk(columns, sink.getvalue(), len(frame))
    table = _as_pandas_spells(frame)
    if table is not None:
        import pyarrow.csv as pa_csv

        sink = io.BytesIO()
        # No quoting: a value that would need quotes raises, and pandas writes that chunk.
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
        try:
            pa_csv.write_csv(table, sink, options)
            return Chunk(columns, sink.getvalue(), len(frame))
        except (pa.ArrowException, TypeError, ValueError):
            pass
    return Chunk(columns, frame.to_csv(index=False, header=False).encode(), len(frame))


# pyarrow writes True as "true", 1.0 as "1" and large or small numbers in another exponent
# form than pandas. Within these bounds its float text is pandas' once whole numbers get
# their ".0", so the file reads the same whichever wrote it, at a tenth of the cost.
_PLAIN_FLOATS = {np.dtype(np.float64): 1e9, np.dtype(np.float32): 1e6}


def _as_pandas_spells(frame: pd.DataFrame) -> pa.Table | None:
    """The frame as a pyarrow table that writes each value as pandas would, or None."""
    for _, column in frame.items():
        kind = column.dtype.kind
        if kind in "iu" or (kind == "O" and pd.api.types.is_string_dtype(column)):
            continue
        if column.dtype not in _PLAIN_FLOATS:
            return None
        values = np.abs(column.to_numpy())
        values = values[~np.isnan(values) & (values != 0)]
        if not ((values >= 1e-4) & (values < _PLAIN_FLOATS[column.dtype])).all():
            return None
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    import pyarrow.compute as pc

    for position, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            numbers = table.column(position)
            text = pc.cast(numbers, pa.string())
            whole = pc.equal(numbers, pc.floor(numbers))
            text = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
            table = table.set_column(position, field.name, text)
    return table


class PredictionWriter:
    """Append chunks to ``path`` in mini-batch order; ``close`` writes what is left."""

    def __init__(self, path: Path, fmt: OutputFormat) -> None:
        self.path, self.fmt = path, fmt
        self._pending: dict[int, Chunk | None] = {}
        self._next = 0
        self._columns: tuple[str, ...] | None = None
        self._csv: BinaryIO | None = None
        self._parquet: Any = None  # pyarrow.parquet.ParquetWriter, once the schema is known
        self._odd: list[Chunk] = []  # after a chunk whose columns differ: aligned at close

    def add(self, index: int, chunk: Chunk | None) -> None:
        """Mini-batch ``index`` is done; ``None`` when it has no rows to write."""
        self._pending[index] = chunk
        while self._next in self._pending:
            self._write(self._pending.pop(self._next))
            self._next += 1

    def close(self) -> None:
        """Write the chunks still waiting (a stopped job leaves gaps) and finish the file."""
        for index in sorted(self._pending):
            self._write(self._pending.pop(index))
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if self._odd:
            self._realign()
        elif self._columns is None:
            self.path.write_text("")  # nothing succeeded; the file still exists where promised

    def _write(self, chunk: Chunk | None) -> None:
        if chunk is None:
            return
        if self._odd or (self._columns is not None and chunk.columns != self._columns):
            self._odd.append(chunk)
            return
        if self._columns is None:
            self._columns = chunk.columns
            self._open(chunk)
        if self.fmt == "parquet":
            try:
                table = _arrow(chunk).cast(self._parquet.schema)
            except (pa.ArrowException, ValueError):  # same names, other types: aligned at close
                self._odd.append(chunk)
                return
            self._parquet.write_table(table)
        else:
            assert self._csv is not None
            self._csv.write(chunk.data)

    def _open(self, chunk: Chunk) -> None:
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(self.path, _arrow(chunk).schema)
            return
        self._csv = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(chunk.columns)
        self._csv.write(header.getvalue().encode())

    def _realign(self) -> None:
        """Rare: chunks with other columns. One table, aligned by column name, as before."""
        frames = [self._read_written()] if self._columns is not None else []
        frames += [self._decode(chunk) for chunk in self._odd]
        table = pd.concat(frames, ignore_index=True)
        if self.fmt == "parquet":
            try:
                table.to_parquet(self.path, index=False)
            except (pa.ArrowException, ValueError):  # a column of mixed types: as text
                mixed = table.select_dtypes("object").columns
                table.astype(dict.fromkeys(mixed, "string")).to_parquet(self.path, index=False)
        else:
            table.to_csv(self.path, index=False)

    def _read_written(self) -> pd.DataFrame:
        if self.fmt == "parquet":
            return pd.read_parquet(self.path)
        return pd.read_csv(self.path)

    def _decode(self, chunk: Chunk) -> pd.DataFrame:
        if self.fmt == "parquet":
            return _arrow(chunk).to_pandas()
        if not chunk.data:
            return pd.DataFrame(columns=list(chunk.columns))
        return pd.read_csv(io.BytesIO(chunk.data), header=None, names=list(chunk.columns))


def _arrow(chunk: Chunk) -> pa.Table:
    with pa.ipc.open_stream(chunk.data) as stream:
        return stream.read_all()
