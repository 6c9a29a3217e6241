"""The data generator is deterministic and its output passes the data checks."""

from __future__ import annotations

from check import check
from generate import COLUMNS, generate_taxi_data


def test_generated_data_is_deterministic_and_passes_the_checks() -> None:
    first = generate_taxi_data(rows=300, seed=0)
    assert list(first.columns) == COLUMNS
    assert first.equals(generate_taxi_data(rows=300, seed=0))
    assert check(first) == []


def test_the_checks_name_the_broken_column() -> None:
    frame = generate_taxi_data(rows=300, seed=0)
    frame.loc[:10, "cost"] = None
    assert any("'cost'" in problem for problem in check(frame))
    assert check(frame.drop(columns=["vendor"])) == ["column 'vendor' is missing"]
