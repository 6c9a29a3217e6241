"""A chunk's column as the values drift is measured on, counting what is missing or mistyped.

Two feature types, named as Azure ML names them:

- ``numerical``: integer, floating and decimal columns. Values are compared as float64.
  Null and NaN are missing. +-inf are kept apart (``nonfinite``): they have no place in a
  histogram or a mean, and the data quality signal counts them out of bounds.
- ``categorical``: strings, booleans, dictionary-encoded columns. Values are compared by
  their text form as Arrow writes it (``true``/``false`` for booleans, ``1.5`` for
  numbers), so a category keeps its identity whatever file type carried it.

A type error is a non-missing value the reference's feature type cannot hold: text that
does not parse as a number in a numerical feature (collected files hold numbers as text
when one request sent a string), and nested values (lists, structs, maps) anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FeatureType = Literal["numerical", "categorical"]


@dataclass(frozen=True)
class NumericValues:
    finite: np.ndarray  # float64, missing and +-inf removed
    missing: int
    nonfinite: int
    type_errors: int


@dataclass(frozen=True)
class CategoryValues:
    counts: dict[str, int]
    missing: int
    type_errors: int


def feature_type_of(arrow_type: pa.DataType) -> FeatureType | None:
    """The feature type a column of this Arrow type is summarised as; None: not a feature."""
    if _is_number(arrow_type):
        return "numerical"
    if (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_dictionary(arrow_type)
    ):
        return "categorical"
    return None  # timestamps, binary, nested values: no drift metric is defined on them


def numeric_values(column: pa.ChunkedArray | pa.Array) -> NumericValues:
    array = _combined(column)
    kind = array.type
    if pa.types.is_null(kind):
        return NumericValues(np.empty(0), len(array), 0, 0)
    if _is_nested(kind):
        return NumericValues(np.empty(0), array.null_count, 0, len(array) - array.null_count)
    type_errors = 0
    if _is_number(kind) or pa.types.is_boolean(kind):
        values = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)
        missing = int(np.isnan(values).sum())  # nulls became NaN: both are missing
    else:
        # Text (or any other type) parses per value; what does not parse is a type error.
        import pandas as pd  # only text needs pandas' lenient parsing; it is slow to import

        text = pc.cast(array, pa.string()).to_pandas()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
        missing = int(text.isna().sum())
        type_errors = int(np.isnan(values).sum()) - missing
    finite_mask = np.isfinite(values)
    if finite_mask.all():  # the usual case: no copy
        return NumericValues(values, missing, 0, type_errors)
    nonfinite = int(np.isinf(values).sum())
    return NumericValues(values[finite_mask], missing, nonfinite, type_errors)


def category_values(column: pa.ChunkedArray | pa.Array) -> CategoryValues:
    array = _combined(column)
    kind = array.type
    if pa.types.is_null(kind):
        return CategoryValues({}, len(array), 0)
    if _is_nested(kind):
        return CategoryValues({}, array.null_count, len(array) - array.null_count)
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
    if pa.types.is_floating(array.type):
        array = pc.if_else(pc.is_nan(array), pa.scalar(None, array.type), array)
    text = array if pa.types.is_string(array.type) else pc.cast(array, pa.string())
    counted = pc.value_counts(text.drop_null())
    names = counted.field("values").to_pylist()
    tallies = counted.field("counts").to_pylist()
    return CategoryValues(dict(zip(names, tallies, strict=True)), text.null_count, 0)


def _combined(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def _is_number(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_decimal(arrow_type)
    )


def _is_nested(arrow_type: pa.DataType) -> bool:
    return pa.types.is_nested(arrow_type)
