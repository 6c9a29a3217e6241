"""Read an Azure ML ``MLTable`` definition (local, relative paths only) into a DataFrame.

Divergence from Azure: without a ``read_*`` transformation Azure yields a table of file paths;
here each file is read by its extension instead, which is what profiling needs.
"""

from __future__ import annotations

import codecs
import functools
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from opsloop.tabular.reader import (
    MLTABLE_FILENAME,
    TableReadError,
    concat_frames,
    detect_format,
    find_mltable_file,
    is_hidden,
    list_data_files,
    read_file,
)

_READERS = {"read_delimited": "csv", "read_parquet": "parquet", "read_json_lines": "jsonl"}
_READER_OPTIONS = {
    "read_delimited": {"delimiter", "header", "encoding", "empty_as_string", "infer_column_types",
                       "support_multi_line", "include_path_column", "path_column"},
    "read_parquet": {"include_path_column", "path_column"},
    "read_json_lines": {"encoding", "invalid_lines", "include_path_column", "path_column"},
}  # fmt: skip
_HEADERS = ("all_files_same_headers", "all_files_different_headers", "from_first_file",
            "no_header")  # fmt: skip
_ENCODINGS = {"utf8bom": "utf-8-sig", "iso88591": "iso-8859-1", "windows1252": "cp1252"}
_COLUMN_TYPES = ("int", "float", "string", "boolean", "datetime")
# "1.0"/"0.0": integer flags in a CSV column with gaps are read as floats.
_TRUE = ("true", "t", "yes", "y", "1", "1.0")
_FALSE = ("false", "f", "no", "n", "0", "0.0")
# A scheme of 2+ letters so that a Windows drive ("C:") is not mistaken for a URL.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def read_mltable(path: Path) -> pd.DataFrame:
    """Read the table an ``MLTable`` file describes; ``path`` is its folder or the file."""
    spec_file = find_mltable_file(Path(path))
    if spec_file is None:
        raise TableReadError(f"{path}: mltable folder has no {MLTABLE_FILENAME} file")
    spec_file = spec_file.resolve()  # containment checks and relative paths need one spelling
    try:
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TableReadError(f"{spec_file}: MLTable file is not valid YAML: {exc}") from exc
    if not isinstance(spec, dict):
        raise TableReadError(f"{spec_file}: MLTable file must be a YAML mapping")
    steps = _parse_steps(spec_file, spec.get("transformations"))
    reader, options = "", {}
    if steps and steps[0][1] in _READERS:
        key, reader, arg = steps.pop(0)
        options = _mapping(spec_file, key, arg)
        if unknown := set(options) - _READER_OPTIONS[reader]:
            raise _bad(spec_file, f"{key}.{sorted(unknown)[0]}", "unknown option")
    files = _resolve_paths(spec_file, spec.get("paths"), explicit_reader=bool(reader))
    df = _read_files(spec_file, files, reader, options)
    for key, name, arg in steps:
        df = _apply(spec_file, df, key, name, arg)
    return df


def _bad(spec_file: Path, key: str, problem: str) -> TableReadError:
    return TableReadError(f"{spec_file}: bad MLTable key '{key}': {problem}")


def _mapping(spec_file: Path, key: str, arg: Any) -> dict[str, Any]:
    if arg is None:
        return {}
    if not isinstance(arg, dict):
        raise _bad(spec_file, key, f"expected a mapping, got {arg!r}")
    return arg


def _parse_steps(spec_file: Path, raw: Any) -> list[tuple[str, str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(spec_file, "transformations", "expected a list")
    steps = []
    for i, item in enumerate(raw):
        if isinstance(item, str):  # "- read_parquet" with no options
            item = {item: None}
        if not isinstance(item, dict) or len(item) != 1:
            raise _bad(spec_file, f"transformations[{i}]", "expected a single-key mapping")
        ((name, arg),) = item.items()
        steps.append((f"transformations[{i}].{name}", str(name), arg))
    return steps


def _resolve_paths(spec_file: Path, entries: Any, explicit_reader: bool) -> list[Path]:
    if not isinstance(entries, list) or not entries:
        raise _bad(spec_file, "paths", "expected a non-empty list of file/folder/pattern entries")
    base = spec_file.parent
    files: list[Path] = []
    for i, entry in enumerate(entries):
        kinds = entry.keys() & {"file", "folder", "pattern"} if isinstance(entry, dict) else set()
        if len(kinds) != 1:
            raise _bad(spec_file, f"paths[{i}]", "expected exactly one of file, folder, pattern")
        kind = kinds.pop()
        key, value = f"paths[{i}].{kind}", entry[kind]
        if not isinstance(value, str) or not value:
            raise _bad(spec_file, key, "expected a non-empty path string")
        if _URL.match(value) or Path(value).is_absolute():
            raise _bad(spec_file, key, f"{value!r} is not a path relative to the MLTable folder")
        found = _expand(base, kind, value, explicit_reader)
        if not found:
            missing = kind != "pattern" and not (base / value).exists()
            problem = "does not exist" if missing else "matches no data files"
            raise _bad(spec_file, key, f"{value!r} {problem}")
        if escaped := [f for f in found if not f.resolve().is_relative_to(base)]:
            raise _bad(spec_file, key, f"{escaped[0]} is outside the MLTable folder")
        files.extend(found)
    return list(dict.fromkeys(files))  # overlapping entries must not duplicate rows


def _expand(base: Path, kind: str, value: str, explicit_reader: bool) -> list[Path]:
    target = base / value
    if kind == "file":
        return [target] if target.is_file() else []
    if kind == "folder":
        found = list_data_files(target) if target.is_dir() else []
        # Without a read_* step only recognisable table files are picked out of a folder.
        return found if explicit_reader else [f for f in found if detect_format(f)]
    matches = sorted(p for p in base.glob(value) if p.is_file())
    return [p for p in matches if _visible(p.parts[len(base.parts) :])]


def _visible(parts: tuple[str, ...]) -> bool:
    # ".." is left for the containment check to report rather than silently dropped as hidden.
    return not any(is_hidden(name) and name != ".." for name in parts)


def _read_files(
    spec_file: Path, files: list[Path], reader: str, opts: dict[str, Any]
) -> pd.DataFrame:
    key = f"transformations[0].{reader}"
    kwargs = _reader_kwargs(spec_file, key, reader, opts)
    # Header modes are a read_delimited notion; other files are stacked like a uri_folder.
    header = opts.get("header", "all_files_same_headers") if reader == "read_delimited" else ""
    frames: list[pd.DataFrame] = []
    for f in files:
        fmt = _READERS.get(reader) or detect_format(f)
        if fmt is None:
            raise TableReadError(
                f"{f}: unsupported extension {f.suffix!r}; add a read_* transformation to "
                f"{spec_file}"
            )
        first = list(frames[0].columns) if frames else None
        if first and header == "from_first_file":
            frame = read_file(f, fmt, **{**kwargs, "header": None, "names": first})
        else:
            frame = read_file(f, fmt, **kwargs)
        if first and header == "all_files_same_headers" and list(frame.columns) != first:
            raise _bad(spec_file, f"{key}.header", f"{f} has different column headers")
        if header == "no_header":
            frame.columns = [f"Column{i + 1}" for i in range(frame.shape[1])]
        frames.append(frame)
    if opts.get("include_path_column"):
        column = opts.get("path_column", "Path")
        for f, frame in zip(files, frames, strict=True):
            frame[column] = f.relative_to(spec_file.parent).as_posix()
    return concat_frames(frames)


def _reader_kwargs(spec_file: Path, key: str, reader: str, opts: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if "encoding" in opts:
        encoding = _ENCODINGS.get(str(opts["encoding"]).lower(), str(opts["encoding"]))
        try:
            kwargs["encoding"] = codecs.lookup(encoding).name
        except LookupError:
            raise _bad(spec_file, f"{key}.encoding", f"unknown encoding {encoding!r}") from None
    if opts.get("invalid_lines", "error") != "error":
        raise _bad(spec_file, f"{key}.invalid_lines", "only 'error' is supported")
    if reader != "read_delimited":
        return kwargs
    header = opts.get("header", "all_files_same_headers")
    if header not in _HEADERS:
        raise _bad(spec_file, f"{key}.header", f"{header!r} is not one of {', '.join(_HEADERS)}")
    delimiter = opts.get("delimiter", ",")
    if not isinstance(delimiter, str) or not delimiter:
        raise _bad(spec_file, f"{key}.delimiter", "expected a non-empty string")
    # Single-quoted YAML keeps '\t' literal; nobody means a two-character delimiter there.
    kwargs["sep"] = "\t" if delimiter == "\\t" else delimiter
    kwargs["header"] = None if header == "no_header" else 0
    if opts.get("empty_as_string"):
        kwargs["keep_default_na"] = False
    if opts.get("infer_column_types") is False:
        kwargs["dtype"] = str
    return kwargs


def _apply(spec_file: Path, df: pd.DataFrame, key: str, name: str, arg: Any) -> pd.DataFrame:
    if name == "take":
        if isinstance(arg, bool) or not isinstance(arg, int) or arg < 0:
            raise _bad(spec_file, key, f"expected a non-negative integer, got {arg!r}")
        return df.head(arg)
    if name == "drop_columns":
        return df.drop(columns=_columns(spec_file, key, df, arg))
    if name == "keep_columns":
        return df[_columns(spec_file, key, df, arg)]
    if name == "convert_column_types":
        return _convert_types(spec_file, key, df, arg)
    if name in _READERS:
        raise _bad(spec_file, key, "a read transformation must be the first and only one")
    raise _bad(spec_file, key, f"unknown transformation {name!r}")


def _columns(spec_file: Path, key: str, df: pd.DataFrame, arg: Any) -> list[str]:
    names = [arg] if isinstance(arg, str) else arg
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _bad(spec_file, key, "expected a column name or a list of column names")
    if missing := [n for n in names if n not in df.columns]:
        raise _bad(spec_file, key, f"no column named {missing[0]!r} (have {list(df.columns)})")
    return names


def _convert_types(spec_file: Path, key: str, df: pd.DataFrame, arg: Any) -> pd.DataFrame:
    if not isinstance(arg, list):
        raise _bad(spec_file, key, "expected a list of {columns, column_type} entries")
    df = df.copy()
    for i, item in enumerate(arg):
        item_key = f"{key}[{i}]"
        if not isinstance(item, dict) or not {"columns", "column_type"} <= item.keys():
            raise _bad(spec_file, item_key, "expected a mapping with columns and column_type")
        type_name, raw_opts = _column_type(item["column_type"])
        type_opts = _mapping(spec_file, f"{item_key}.column_type", raw_opts)
        if type_name not in _COLUMN_TYPES:
            raise _bad(spec_file, f"{item_key}.column_type", f"unknown column type {type_name!r}")
        for column in _columns(spec_file, f"{item_key}.columns", df, item["columns"]):
            try:
                df[column] = _convert(df[column], type_name, type_opts)
            except (ValueError, TypeError) as exc:
                raise _bad(spec_file, item_key, f"column {column!r} to {type_name}: {exc}") from exc
    return df


def _column_type(raw: Any) -> tuple[str, Any]:
    # Azure allows "column_type: int" and "column_type: {datetime: {formats: [...]}}".
    if isinstance(raw, dict) and len(raw) == 1:
        ((name, opts),) = raw.items()
        return str(name), opts
    return str(raw), None


def _convert(series: pd.Series, type_name: str, opts: dict[str, Any]) -> pd.Series:
    if type_name == "int":
        return pd.to_numeric(series).astype("Int64")
    if type_name == "float":
        return pd.to_numeric(series).astype("float64")
    if type_name == "string":
        return series.astype("str")
    if type_name == "boolean":
        true = [str(v).lower() for v in opts.get("true_values", _TRUE)]
        false = [str(v).lower() for v in opts.get("false_values", _FALSE)]
        text = series.astype("str").str.strip().str.lower()
        result = pd.Series(pd.NA, index=series.index, dtype="boolean")
        result[text.isin(true)], result[text.isin(false)] = True, False
    else:
        formats = opts.get("formats") or [None]
        # Each value takes the first format that parses it; the first parse fixes unit and zone.
        parsed = [
            pd.to_datetime(series, format=fmt, errors="coerce")
            for fmt in ([formats] if isinstance(formats, str) else formats)
        ]
        result = functools.reduce(lambda acc, more: acc.fillna(more), parsed)
    if (bad := series.notna() & result.isna()).any():
        raise ValueError(f"cannot convert value {series[bad].iloc[0]!r}")
    return result
