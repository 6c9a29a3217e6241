"""The three scoring protocols parse into rows, and bad bodies name their problem."""

from __future__ import annotations

import pytest

from opsloop.scoring.open_inference import parse_v2
from opsloop.scoring.protocols import BadRequest, parse_azure, parse_mlflow

JSON = "application/json"


@pytest.mark.parametrize(
    "body",
    [
        b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}}',
        b'{"dataframe_records": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}',
        b'{"instances": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}',
        b'{"inputs": {"a": [1, 3], "b": [2, 4]}}',
    ],
)
def test_mlflow_bodies_with_columns(body: bytes) -> None:
    rows = parse_mlflow(body, JSON)
    assert rows.columns == ["a", "b"]
    assert rows.values == [[1, 2], [3, 4]]


def test_mlflow_instances_without_columns_and_params() -> None:
    rows = parse_mlflow(b'{"instances": [[1, 2]], "params": {"k": 1}}', JSON)
    assert rows.columns is None and rows.values == [[1, 2]] and rows.params == {"k": 1}


def test_csv_body() -> None:
    rows = parse_mlflow(b"a,b\n1,2.5\n3,x\n", "text/csv")
    assert rows.columns == ["a", "b"] and rows.values == [[1, 2.5], [3, "x"]]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "empty"),
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 422, "JSON object"),
        (b'{"rows": []}', 422, "exactly one of"),
        (b'{"instances": [[1]], "inputs": [[1]]}', 422, "found instances, inputs"),
        (b'{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}', 422, "row 0 has 2"),
        (b'{"dataframe_records": [{"a": 1}, {"b": 2}]}', 422, "lacks"),
        (b'{"inputs": {"a": [1, 2], "b": [1]}}', 422, "same number"),
    ],
)
def test_mlflow_errors_name_the_problem(body: bytes, status: int, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_mlflow(body, JSON)
    assert caught.value.status == status
    assert message in caught.value.message


def test_csv_errors() -> None:
    with pytest.raises(BadRequest, match="line 2 has 1 fields"):
        parse_mlflow(b"a,b\n1\n", "text/csv")


@pytest.mark.parametrize(
    "body",
    [
        b'{"input_data": {"columns": ["a", "b"], "index": [0], "data": [[1, 2]]}}',
        b'{"input_data": [{"a": 1, "b": 2}]}',
        b'{"data": {"columns": ["a", "b"], "data": [[1, 2]]}}',
    ],
)
def test_azure_bodies(body: bytes) -> None:
    rows = parse_azure(body)
    assert rows.columns == ["a", "b"] and rows.values == [[1, 2]]


def test_azure_rows_without_columns_and_errors() -> None:
    assert parse_azure(b'{"input_data": [[1, 2]]}').values == [[1, 2]]
    with pytest.raises(BadRequest, match='"input_data" or "data"'):
        parse_azure(b'{"inputs": [[1]]}')


def test_v2_matrix_and_named_columns() -> None:
    rows = parse_v2(
        b'{"id": "r1", "inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]}'
    )
    assert rows.reply.request_id == "r1" and rows.reply.binary is False
    assert rows.columns is None and rows.values == [[1, 2], [3, 4]]
    rows = parse_v2(
        b'{"inputs": [{"name": "a", "shape": [2], "datatype": "INT64", "data": [1, 3]},'
        b' {"name": "b", "shape": [2], "datatype": "FP64", "data": [2.0, 4.0]}]}'
    )
    assert rows.columns == ["a", "b"] and rows.values == [[1, 2.0], [3, 4.0]]


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        (b'{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2]}', "needs 3 values"),
        (b'{"name": "x", "shape": [1], "datatype": "FLOAT", "data": [1]}', "unknown datatype"),
        (b'{"name": "x", "shape": [1], "datatype": "INT32", "data": [1.5]}', "is not INT32"),
        (b'{"name": "x", "shape": [1], "data": [1]}', "lacks datatype"),
        (b'{"name": "x", "shape": [-1], "datatype": "FP32", "data": [1]}', "non-negative"),
    ],
)
def test_v2_errors(tensor: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_v2(b'{"inputs": [' + tensor + b"]}")
