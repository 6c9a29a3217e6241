"""What a batch scoring job scores: its items, cut into mini-batches, and how a file is read.

Azure ML semantics: for ``uri_folder``/``uri_file`` input an item is a file and a mini-batch
is up to ``mini_batch_size`` file paths; for ``mltable`` input an item is a row and a
mini-batch is up to ``mini_batch_size`` rows of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from opsloop.serving.batch.splitting import FileRange, split_evenly
from opsloop.tabular.reader import (
    TableReadError,
    detect_format,
    list_data_files,
    read_file,
    read_table,
)

InputType = Literal["uri_folder", "uri_file", "mltable"]
INPUT_TYPES: tuple[str, ...] = ("uri_folder", "uri_file", "mltable")


class BatchInputError(ValueError):
    """The job's arguments are unusable (missing input, wrong type, no model); nothing ran."""


@dataclass(frozen=True)
class MiniBatch:
    """One unit of work sent to a worker; ``index`` fixes its place in the output."""

    index: int
    files: list[str] | None = None  # folder input: absolute file paths
    # Folder input cut into even pieces (see splitting); ``files`` names the same files.
    ranges: list[FileRange] | None = None
    rows: pd.DataFrame | None = None  # mltable input: a slice of the table
    first_row: int = 0  # position of ``rows``' first row in the whole table

    @property
    def size(self) -> int:
        """The number of items, which is what success and failure are counted in (a file
        cut into ranges counts once, in the tally, when its last range is scored)."""
        return len(self.files) if self.files is not None else len(self._rows())

    def file_ranges(self) -> list[FileRange]:
        """The files of folder input as ranges, whole files unless the input was cut."""
        if self.ranges is not None:
            return self.ranges
        return [FileRange(path) for path in self.files or []]

    @property
    def payload(self) -> list[str] | pd.DataFrame:
        """What a scoring script's ``run(mini_batch)`` receives."""
        return self.files if self.files is not None else self._rows()

    def _rows(self) -> pd.DataFrame:
        assert self.rows is not None  # a mini-batch holds either files or rows
        return self.rows


def plan_mini_batches(
    input_path: Path, input_type: str, mini_batch_size: int, *, cut_for_workers: int = 0
) -> tuple[list[MiniBatch], int]:
    """The mini-batches for the input and the total number of items in them.

    ``cut_for_workers``: when files make fewer mini-batches than this many workers, cut
    them into even pieces instead (only for an MLflow model: a scoring script's ``run()``
    is promised whole files)."""
    if input_type == "mltable":
        table = _load_mltable(input_path)
        batches = [
            MiniBatch(index=i, rows=table.iloc[start : start + mini_batch_size], first_row=start)
            for i, start in enumerate(range(0, len(table), mini_batch_size))
        ]
        return batches, len(table)
    files = [str(f) for f in _input_files(input_path, input_type)]
    if files and -(-len(files) // mini_batch_size) < cut_for_workers:
        pieces = split_evenly(files, cut_for_workers)
        cut = [
            MiniBatch(index=i, files=[r.path for r in piece], ranges=piece)
            for i, piece in enumerate(pieces)
        ]
        return cut, len(files)
    batches = [
        MiniBatch(index=i, files=files[start : start + mini_batch_size])
        for i, start in enumerate(range(0, len(files), mini_batch_size))
    ]
    return batches, len(files)


def _input_files(input_path: Path, input_type: str) -> list[Path]:
    if input_type == "uri_file":
        if not input_path.is_file():
            raise BatchInputError(f"{input_path}: uri_file input is not an existing file")
        return [input_path]
    if input_type == "uri_folder":
        if not input_path.is_dir():
            raise BatchInputError(f"{input_path}: uri_folder input is not an existing folder")
        return list_data_files(input_path)
    raise BatchInputError(
        f"unsupported input type {input_type!r} (expected one of {', '.join(INPUT_TYPES)})"
    )


def _load_mltable(input_path: Path) -> pd.DataFrame:
    if not input_path.exists():
        raise BatchInputError(f"{input_path}: mltable input does not exist")
    try:
        table = read_table(input_path, "mltable")
    except TableReadError as exc:
        raise BatchInputError(str(exc)) from exc
    # Positions, not whatever index the files produced, identify rows in the output.
    return table.reset_index(drop=True)


def read_item_file(path: Path) -> pd.DataFrame:
    """Read one input file as a table by its extension, for an MLflow model to score.

    ``.json`` is read as JSON lines like ``.jsonl`` (Azure's MLflow batch scoring does the
    same) and, failing that, as one JSON document of records.
    """
    if path.suffix.lower() == ".json":
        try:
            return read_file(path, "jsonl")
        except TableReadError:
            return pd.read_json(path)
    fmt = detect_format(path)
    if fmt is None:
        raise TableReadError(
            f"{path.name}: unsupported extension {path.suffix!r} (expected .csv, .tsv, "
            ".parquet, .json or .jsonl)"
        )
    return read_file(path, fmt)
