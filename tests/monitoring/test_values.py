"""numeric_values and category_values: missing values, type errors and text forms."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from opsloop.monitoring.values import category_values, feature_type_of, numeric_values


def test_numbers_nulls_nan_and_infinities() -> None:
    values = numeric_values(pa.array([1, None, 3.5, float("nan"), float("inf"), -float("inf")]))
    assert values.finite.tolist() == [1.0, 3.5]
    assert (values.missing, values.nonfinite, values.type_errors) == (2, 2, 0)


def test_numbers_as_text_parse_and_the_rest_are_type_errors() -> None:
    values = numeric_values(pa.array(["1.5", "oops", None, "2", "{}"]))
    assert values.finite.tolist() == [1.5, 2.0]
    assert (values.missing, values.type_errors) == (1, 2)


def test_nested_values_are_type_errors_of_either_type() -> None:
    nested = pa.array([[1, 2], None, [3]])
    assert numeric_values(nested).type_errors == 2
    assert category_values(nested).type_errors == 2
    assert category_values(nested).missing == 1


def test_categories_are_counted_by_their_text_form() -> None:
    values = category_values(pa.array(["a", "b", "a", None]))
    assert values.counts == {"a": 2, "b": 1}
    assert values.missing == 1
    assert category_values(pa.array([True, False, True])).counts == {"true": 2, "false": 1}
    dictionary = pa.array(["x", "y", "x"]).dictionary_encode()
    assert category_values(dictionary).counts == {"x": 2, "y": 1}
    assert category_values(pa.array([1.0, np.nan, 1.0])).counts == {"1": 2}


def test_feature_types_of_arrow_types() -> None:
    assert feature_type_of(pa.int8()) == "numerical"
    assert feature_type_of(pa.decimal128(5, 2)) == "numerical"
    assert feature_type_of(pa.string()) == "categorical"
    assert feature_type_of(pa.bool_()) == "categorical"
    assert feature_type_of(pa.timestamp("us")) is None
