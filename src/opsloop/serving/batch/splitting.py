"""Even shares for every worker when the input makes fewer mini-batches than workers.

Azure cuts folder input into mini-batches of ``mini_batch_size`` files, so four large files
and the default ``mini_batch_size: 10`` make one mini-batch that one worker scores while
the others wait. When an MLflow model (no scoring script: a script's ``run()`` is promised
whole files) has fewer mini-batches than ``max_concurrency_per_instance``, the files are
cut instead into pieces of about equal bytes, a multiple of the workers in number and at
most about ``PIECE_BYTES`` each (which bounds a worker's memory), a large CSV or TSV file
into ranges of whole lines. A file still counts as one item: it succeeds when all of its
ranges do.

A file is only cut where a line ends, and never when it holds a double quote, since a
quoted field may hold a line break that is not the end of a row.
"""

from __future__ import annotations

import io
import math
import mmap
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

PIECE_BYTES = 8 * 1024 * 1024
_CUTTABLE = {".csv": ",", ".tsv": "\t"}


@dataclass(frozen=True)
class FileRange:
    """Lines ``[start, end)`` of ``path`` (in bytes), part ``part`` of ``parts``; one part
    is the whole file. A range that starts past 0 is read under the file's header line."""

    path: str
    start: int = 0
    end: int | None = None
    part: int = 0
    parts: int = 1

    @property
    def whole(self) -> bool:
        return self.parts == 1


def split_evenly(
    files: list[str], workers: int, piece_bytes: int = PIECE_BYTES
) -> list[list[FileRange]]:
    """Consecutive pieces of ``files``, in order, of about equal bytes."""
    sizes = [Path(path).stat().st_size for path in files]
    total = sum(sizes)
    count = math.ceil(max(workers, math.ceil(total / piece_bytes)) / workers) * workers
    target = max(1.0, total / count)
    pieces: list[list[tuple[str, int, int | None]]] = [[]]
    filled = 0.0
    for path, size in zip(files, sizes, strict=True):
        cuts = _cut_points(path, size, target - filled, target) if size > target - filled else []
        start = 0
        for cut in cuts:
            pieces[-1].append((path, start, cut))
            pieces.append([])
            start, filled = cut, 0.0
        pieces[-1].append((path, start, None))
        filled += size - start
        if filled >= target:
            pieces.append([])
            filled = 0.0
    return _numbered([piece for piece in pieces if piece])


def _cut_points(path: str, size: int, first: float, step: float) -> list[int]:
    """Offsets just past a line end at about ``first``, ``first + step``, ...; none for a
    file that cannot be cut safely."""
    if Path(path).suffix.lower() not in _CUTTABLE or size == 0:
        return []
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data.find(b'"') != -1:
            return []
        body = data.find(b"\n") + 1  # the header line is never cut off
        cuts: list[int] = []
        wanted = max(first, float(body))
        while wanted < size:
            newline = data.find(b"\n", max(int(wanted), body, cuts[-1] if cuts else 0))
            if newline == -1 or newline + 1 >= size:
                break
            cuts.append(newline + 1)
            wanted = cuts[-1] + step
        return cuts


def _numbered(pieces: list[list[tuple[str, int, int | None]]]) -> list[list[FileRange]]:
    parts: dict[str, int] = {}
    for piece in pieces:
        for path, _, _ in piece:
            parts[path] = parts.get(path, 0) + 1
    seen: dict[str, int] = {}
    numbered = []
    for piece in pieces:
        ranges = []
        for path, start, end in piece:
            ranges.append(FileRange(path, start, end, seen.get(path, 0), parts[path]))
            seen[path] = seen.get(path, 0) + 1
        numbered.append(ranges)
    return numbered


def read_range(item: FileRange) -> pd.DataFrame:
    """The rows of a part of a CSV or TSV file, under the file's header."""
    with open(item.path, "rb") as handle:
        header = handle.readline() if item.start > 0 else b""
        handle.seek(item.start)
        body = handle.read() if item.end is None else handle.read(item.end - item.start)
    sep = _CUTTABLE[Path(item.path).suffix.lower()]
    return pd.read_csv(io.BytesIO(header + body), sep=sep)
