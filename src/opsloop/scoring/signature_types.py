"""Tabular inputs and MLflow's schema: widened to the float types a signature declares, and
schema errors told in one line.

MLflow's schema enforcement refuses an int64 column for a ``double`` input when any value
is not 0 or 1 ("Can not safely convert int64 to float64"), yet whole numbers are how a CSV
file or a JSON body usually writes 3.0: a file of trips scores when its first distance is
1 and fails when it is 2. Azure ML casts batch inputs to the signature's types; this does
the widening part of that (whole numbers to floats), so the same data scores whatever
values it happens to hold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

_FLOATS = {"double": np.float64, "float": np.float32}
MAX_PROBLEM_CHARS = 500
_FLOAT32_EXACT = 2**24  # every integer up to this is a float32


class SignatureWidening:
    """Built once per loaded model from its input schema (``model.metadata.get_input_schema()``,
    None without a signature); called on each frame before ``predict``."""

    def __init__(self, schema: Any) -> None:
        self.float_columns: dict[str, Any] = {}
        if schema is None or not schema.has_input_names() or schema.is_tensor_spec():
            return
        for spec in schema.inputs:
            kind = getattr(spec.type, "name", None)
            if kind in _FLOATS:
                self.float_columns[spec.name] = _FLOATS[kind]

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        casts = {
            name: dtype
            for name, dtype in self.float_columns.items()
            if name in frame.columns and _widens_exactly(frame[name], dtype)
        }
        return frame.astype(casts) if casts else frame


def _widens_exactly(column: pd.Series, dtype: Any) -> bool:
    # Integers only (booleans stay MLflow's to refuse), and float32 only while exact.
    if column.dtype.kind not in "iu":
        return False
    return dtype is np.float64 or bool(column.abs().max() <= _FLOAT32_EXACT)


def schema_problem(message: str) -> str:
    """MLflow's schema error without the data it quotes: "Failed to enforce schema of data
    '<the frame, several lines>' with schema '...'. Error: <the reason>" -> the reason."""
    _, marker, reason = message.rpartition(" Error: ")
    text = reason if marker else message
    return " ".join(text.split())[:MAX_PROBLEM_CHARS]
