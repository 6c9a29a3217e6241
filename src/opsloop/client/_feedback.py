"""Ground-truth files for ``online_endpoints.feedback``: JSON lines (one row object a line)
or CSV with a header (``correlation_id,ground_truth[,row_index]``).

CSV holds text only, so a CSV value that reads as a whole number or a decimal is sent as
one (labels ``0``/``1`` compare equal to a classifier's integer predictions); quote-free
text stays text. JSON lines keep their own types.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from opsloop.errors import ValidationError

_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


def read_feedback_file(path: str | Path) -> list[dict[str, Any]]:
    source = Path(path)
    if not source.is_file():
        raise ValidationError(f"no such file: {source}", field="file")
    if source.suffix.lower() == ".csv":
        return _read_csv(source)
    if source.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return _read_json_lines(source)
    raise ValidationError(
        f"{source.name}: give a .jsonl (one row object a line) or a .csv file", field="file"
    )


def _read_json_lines(source: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    f"not JSON: {exc.msg}", file=str(source), line=number
                ) from None
            if not isinstance(row, dict):
                raise ValidationError(
                    "each line must be one JSON object", file=str(source), line=number
                )
            rows.append(row)
    return rows


def _read_csv(source: Path) -> list[dict[str, Any]]:
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"correlation_id", "ground_truth"} - set(reader.fieldnames or ())
        if missing:
            raise ValidationError(
                f"the header needs the columns {', '.join(sorted(missing))}",
                file=str(source), line=1,
            )  # fmt: skip
        rows: list[dict[str, Any]] = []
        for record in reader:
            row: dict[str, Any] = {k: v for k, v in record.items() if k is not None and v != ""}
            if "ground_truth" in row:
                row["ground_truth"] = _number_or_text(row["ground_truth"])
            if "row_index" in row and _INTEGER.match(row["row_index"]):
                row["row_index"] = int(row["row_index"])
            rows.append(row)
    return rows


def _number_or_text(value: str) -> Any:
    if _INTEGER.match(value):
        return int(value)
    if _DECIMAL.match(value):
        return float(value)
    return value
