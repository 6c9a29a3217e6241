"""Request bodies of the three scoring protocols, parsed into one tabular shape.

Every protocol becomes ``Rows``: optional column names plus row-major values. That keeps
the single-row path free of pandas: a predictor can turn rows into one numpy array.

- MLflow scoring (``/invocations``): ``dataframe_split``, ``dataframe_records``,
  ``instances``, ``inputs`` or a CSV body.
- Open Inference Protocol V2 (``/v2/models/<name>/infer``): typed tensors, in JSON or
  binary (see ``open_inference``).
- Azure ML (``/score``): ``{"input_data": ...}`` or ``{"data": ...}``.
"""

from __future__ import annotations

import csv
import io
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np
import orjson


class BadRequest(Exception):
    """The body cannot be read (400) or does not have the expected shape (422)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Rows(NamedTuple):
    # A NamedTuple: built once or twice per request, and a frozen dataclass costs ~1 µs.
    columns: list[str] | None
    # A 2-D array when the request held one binary matrix: it reaches the model uncopied.
    values: list[list[Any]] | np.ndarray
    params: dict[str, Any] | None = None
    # What the protocol asks of the answer (V2: the request's id, binary or JSON outputs).
    reply: Any = None


def load_json(body: bytes) -> Any:
    if not body:
        raise BadRequest("the request body is empty", 400)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}", 400) from None


# ---- MLflow /invocations -------------------------------------------------------------
_MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_MLFLOW_KEY_SET = frozenset(_MLFLOW_KEYS)


def parse_mlflow(body: bytes, content_type: str) -> Rows:
    if content_type.startswith("text/csv"):
        return parse_csv(body)
    document = load_json(body)
    if not isinstance(document, dict):
        raise BadRequest(f"the body must be a JSON object with one of {', '.join(_MLFLOW_KEYS)}")
    present = _MLFLOW_KEY_SET.intersection(document)
    if len(present) != 1:
        found = ", ".join(k for k in _MLFLOW_KEYS if k in present) if present else "none"
        raise BadRequest(
            f"the body must have exactly one of {', '.join(_MLFLOW_KEYS)} (found {found})"
        )
    (key,) = present
    value = document[key]
    if key == "dataframe_split":
        rows = _split(value, key)
    elif key == "dataframe_records":
        rows = _records(value, key)
    else:
        rows = _instances(value, key)
    params = document.get("params")
    if params is None:
        return rows
    if not isinstance(params, dict):
        raise BadRequest("params must be a JSON object")
    return rows._replace(params=params)


def parse_csv(body: bytes) -> Rows:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise BadRequest("the CSV body is not UTF-8", 400) from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise BadRequest("the CSV body is empty", 400) from None
    check_unique(header, "the CSV header")
    values = [[_csv_value(cell) for cell in line] for line in reader if line]
    for number, row in enumerate(values, start=2):
        if len(row) != len(header):
            raise BadRequest(f"CSV line {number} has {len(row)} fields, the header {len(header)}")
    return Rows(header, values)


def _csv_value(cell: str) -> Any:
    try:
        return float(cell) if any(c in cell for c in ".eE") else int(cell)
    except ValueError:
        return cell if cell != "" else None


def _split(value: Any, where: str) -> Rows:
    if not isinstance(value, dict):
        raise BadRequest(f"{where} must be an object with columns and data")
    data = value.get("data")
    columns = value.get("columns")
    if not isinstance(data, list):
        raise BadRequest(f"{where}.data must be a list of rows")
    if columns is not None and (
        not isinstance(columns, list) or not all(map(isinstance, columns, repeat(str)))
    ):
        raise BadRequest(f"{where}.columns must be a list of names")
    if columns is not None:
        check_unique(columns, f"{where}.columns")
    rows = data if all(map(isinstance, data, repeat(list))) else [_as_row(row) for row in data]
    if columns is not None:
        _check_widths(rows, len(columns), where)
    return Rows(columns, rows)


def _as_row(row: Any) -> list[Any]:
    return row if isinstance(row, list) else [row]


def _records(value: Any, where: str) -> Rows:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise BadRequest(f"{where} must be a list of objects")
    if not value:
        raise BadRequest(f"{where} holds no rows")
    columns = list(value[0])
    try:
        rows = [[record[c] for c in columns] for record in value]
    except KeyError as exc:
        raise BadRequest(f"{where}: every record needs the same fields; one lacks {exc}") from None
    return Rows(columns, rows)


def _instances(value: Any, where: str) -> Rows:
    if isinstance(value, dict):
        return columnar(value, where)
    if not isinstance(value, list) or not value:
        raise BadRequest(f"{where} must be a non-empty list of rows or an object of columns")
    if all(isinstance(row, dict) for row in value):
        return _records(value, where)
    rows = [_as_row(row) for row in value]
    _check_widths(rows, len(rows[0]), where)
    return Rows(None, rows)


def columnar(value: dict[str, Any], where: str) -> Rows:
    columns = list(value)
    series = [_as_row(v) for v in value.values()]
    lengths = {len(s) for s in series}
    if len(lengths) > 1:
        raise BadRequest(f"{where}: every column needs the same number of values")
    return Rows(columns, [list(row) for row in zip(*series, strict=True)])


def check_unique(columns: list[str], where: str) -> None:
    # A model input is found by its name: with two columns of one name either could be
    # meant, so the request is the caller's error rather than a model failure.
    if len(set(columns)) == len(columns):
        return
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise BadRequest(f"{where} names the column {name!r} more than once")
        seen.add(name)


def _check_widths(rows: list[list[Any]], width: int, where: str) -> None:
    for index, row in enumerate(rows):
        if len(row) != width:
            raise BadRequest(f"{where}: row {index} has {len(row)} values, expected {width}")


# ---- Azure /score ----------------------------------------------------------------------
def parse_azure(body: bytes) -> Rows:
    document = load_json(body)
    if not isinstance(document, dict) or not ({"input_data", "data"} & set(document)):
        raise BadRequest('the body must be an object with "input_data" or "data"')
    key = "input_data" if "input_data" in document else "data"
    value = document[key]
    params = document.get("params")
    if isinstance(value, dict) and "data" in value:
        rows = _split(value, key)
    else:
        rows = _instances(value, key)
    return Rows(rows.columns, rows.values, params if isinstance(params, dict) else None)
