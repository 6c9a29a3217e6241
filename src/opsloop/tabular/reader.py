"""Load a data asset (``uri_file``, ``uri_folder`` or ``mltable``) into a pandas DataFrame."""

from __future__ import annotations

import codecs
import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa

ASSET_TYPES: tuple[str, ...] = ("uri_file", "uri_folder", "mltable")
MLTABLE_FILENAME = "MLTable"

FORMAT_BY_SUFFIX: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
}
# pandas infers these from the file name, so "part.csv.gz" reads like "part.csv".
_COMPRESSION_SUFFIXES = frozenset({".gz", ".bz2", ".xz", ".zst"})
# Reading these as CSV (the uri_file fallback) could only produce garbage or a confusing error.
_NON_TABULAR_SUFFIXES = frozenset(
    {
        ".json", ".xlsx", ".xls", ".zip", ".tar", ".tgz", ".7z", ".pdf",
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".svg",
        ".wav", ".mp3", ".flac", ".mp4", ".avi", ".mov", ".npy", ".npz", ".pkl",
        ".pickle", ".joblib", ".pt", ".pth", ".onnx", ".h5", ".safetensors", ".bin",
    }
)  # fmt: skip
_SNIFF_BYTES = 8192


class TableReadError(ValueError):
    """A data asset cannot be read as a table; the message names the path and the problem."""


def read_table(path: pathlib.Path, asset_type: str) -> pd.DataFrame:
    """Read the data asset at ``path`` as one DataFrame.

    ``uri_file``: one file, format by extension (CSV when the extension is not a known one).
    ``uri_folder``: every CSV/TSV/parquet/JSONL file below the folder, concatenated in
    relative-path order. ``mltable``: a folder holding an ``MLTable`` file (or that file).
    """
    path = pathlib.Path(path)
    if asset_type == "uri_file":
        return _read_uri_file(path)
    if asset_type == "uri_folder":
        return _read_uri_folder(path)
    if asset_type == "mltable":
        # Imported here because mltable builds on this module's file readers.
        from opsloop.tabular.mltable import read_mltable

        return read_mltable(path)
    raise TableReadError(
        f"{path}: unsupported asset type {asset_type!r} (expected one of {', '.join(ASSET_TYPES)})"
    )


def is_tabular(path: pathlib.Path, asset_type: str) -> bool:
    """Whether ``read_table`` would find tabular content, without reading it.

    False (not an error) for e.g. a folder of images, a model file or an unknown asset type.
    A malformed ``MLTable`` still counts as tabular so that ``read_table`` reports the problem.
    """
    path = pathlib.Path(path)
    if asset_type == "uri_file":
        return path.is_file() and _uri_file_format(path) is not None and _looks_readable(path)
    if asset_type == "uri_folder":
        return path.is_dir() and any(detect_format(f) for f in _iter_data_files(path))
    if asset_type == "mltable":
        return find_mltable_file(path) is not None
    return False


def detect_format(path: pathlib.Path) -> str | None:
    """Format ("csv", "tsv", "parquet", "jsonl") implied by the file name, or None."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] in _COMPRESSION_SUFFIXES
    if compressed:
        suffixes = suffixes[:-1]
    fmt = FORMAT_BY_SUFFIX.get(suffixes[-1]) if suffixes else None
    # Parquet compresses internally; an externally compressed parquet file is not readable.
    return None if compressed and fmt == "parquet" else fmt


def read_file(path: pathlib.Path, fmt: str, **options: Any) -> pd.DataFrame:
    """Read one file in ``fmt``; ``options`` go to the pandas reader.

    Every parse/decode/IO failure becomes a TableReadError naming the file.
    """
    try:
        if fmt in ("csv", "tsv"):
            options.setdefault("sep", "\t" if fmt == "tsv" else ",")
            return pd.read_csv(path, **options)
        if fmt == "parquet":
            return pd.read_parquet(path, **options)
        if fmt == "jsonl":
            return pd.read_json(path, lines=True, **options)
    except (ValueError, OSError, pa.ArrowException) as exc:
        raise TableReadError(f"{path}: unreadable {fmt.upper()} file: {exc}") from exc
    raise TableReadError(f"{path}: unsupported table format {fmt!r}")


def list_data_files(folder: pathlib.Path) -> list[pathlib.Path]:
    """Non-hidden files below ``folder``, recursively, sorted by relative path."""
    return sorted(_iter_data_files(folder), key=lambda f: f.relative_to(folder).parts)


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack frames read from several files; columns missing in some files become missing.

    Empty (header-only) files add their columns but not their object dtype, which would
    otherwise turn every numeric column of the result into object.
    """
    if len(frames) == 1:
        return frames[0]
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    df = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    return df if list(df.columns) == columns else df.reindex(columns=columns)


def find_mltable_file(path: pathlib.Path) -> pathlib.Path | None:
    """The ``MLTable`` file for an mltable asset given as its folder or as the file itself."""
    if path.is_file() and path.name == MLTABLE_FILENAME:
        return path
    candidate = path / MLTABLE_FILENAME
    return candidate if candidate.is_file() else None


def is_hidden(name: str) -> bool:
    """Dot-files and the Hadoop/Spark "_" convention (_SUCCESS, _delta_log, _temporary)."""
    return name.startswith((".", "_"))


def _read_uri_file(path: pathlib.Path) -> pd.DataFrame:
    if not path.exists():
        raise TableReadError(f"{path}: uri_file does not exist")
    if not path.is_file():
        raise TableReadError(f"{path}: uri_file is not a file")
    fmt = _uri_file_format(path)
    if fmt is None:
        raise TableReadError(
            f"{path}: unsupported extension {path.suffix!r} for a table "
            f"(expected one of {', '.join(FORMAT_BY_SUFFIX)})"
        )
    return read_file(path, fmt)


def _read_uri_folder(path: pathlib.Path) -> pd.DataFrame:
    if not path.exists():
        raise TableReadError(f"{path}: uri_folder does not exist")
    if not path.is_dir():
        raise TableReadError(f"{path}: uri_folder is not a directory")
    files = [(f, detect_format(f)) for f in list_data_files(path)]
    frames = [read_file(f, fmt) for f, fmt in files if fmt is not None]
    if not frames:
        raise TableReadError(
            f"{path}: no tabular files ({', '.join(FORMAT_BY_SUFFIX)}) found in uri_folder"
        )
    return concat_frames(frames)


def _uri_file_format(path: pathlib.Path) -> str | None:
    fmt = detect_format(path)
    if fmt is not None:
        return fmt
    # Exports without a meaningful extension (.txt, .data, none) are CSV more often than not.
    return None if path.suffix.lower() in _NON_TABULAR_SUFFIXES else "csv"


def _looks_readable(path: pathlib.Path) -> bool:
    """Cheap check that a uri_file has content and, unless columnar, is UTF-8 text."""
    if path.stat().st_size == 0:
        return False
    if detect_format(path) is not None:
        return True
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    try:
        # Incremental decoding tolerates a multi-byte character cut at the sniff boundary.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def _iter_data_files(folder: pathlib.Path) -> Iterator[pathlib.Path]:
    for root, dirs, names in os.walk(folder):
        # Pruning in place keeps os.walk out of .git, _delta_log and friends entirely.
        dirs[:] = [d for d in dirs if not is_hidden(d)]
        for name in names:
            if not is_hidden(name):
                yield pathlib.Path(root, name)
