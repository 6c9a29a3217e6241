"""MLTable parsing: paths, read transformations, column transformations and every error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from opsloop.tabular.mltable import read_mltable
from opsloop.tabular.reader import TableReadError


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def _mltable(folder: Path, yaml_text: str) -> Path:
    return _write(folder / "MLTable", textwrap.dedent(yaml_text))


@pytest.fixture
def people(tmp_path: Path) -> Path:
    _write(tmp_path / "people.csv", "name,age,score,active\nann,31,1.5,yes\nbob,,2.5,no\ncy,40,,\n")
    return tmp_path


# --- paths ------------------------------------------------------------------------------------


def test_file_path_with_read_delimited(people: Path) -> None:
    _mltable(
        people,
        """
        type: mltable
        paths:
          - file: ./people.csv
        transformations:
          - read_delimited:
              delimiter: ','
              header: all_files_same_headers
              encoding: utf8
              empty_as_string: false
        """,
    )
    df = read_mltable(people)
    assert list(df.columns) == ["name", "age", "score", "active"]
    assert df["name"].tolist() == ["ann", "bob", "cy"]
    assert df["age"].isna().tolist() == [False, True, False]


def test_path_may_be_the_mltable_file_itself(people: Path) -> None:
    spec = _mltable(people, "paths:\n  - file: people.csv\n")
    assert len(read_mltable(spec)) == 3


def test_folder_path_reads_recursively_sorted_and_skips_hidden(tmp_path: Path) -> None:
    _write(tmp_path / "data" / "2024" / "02.csv", "n\n2\n")
    _write(tmp_path / "data" / "2024" / "01.csv", "n\n1\n")
    _write(tmp_path / "data" / "2025" / "01.csv", "n\n3\n")
    _write(tmp_path / "data" / ".ipynb_checkpoints" / "01.csv", "n\n99\n")
    _write(tmp_path / "data" / "notes.md", "ignored without a read_* step")
    _mltable(tmp_path, "paths:\n  - folder: ./data\n")
    assert read_mltable(tmp_path)["n"].tolist() == [1, 2, 3]


def test_folder_with_read_delimited_reads_every_file(tmp_path: Path) -> None:
    _write(tmp_path / "data" / "a.txt", "n\n1\n")
    _write(tmp_path / "data" / "b.dat", "n\n2\n")
    _mltable(tmp_path, "paths:\n  - folder: data\ntransformations:\n  - read_delimited: {}\n")
    assert read_mltable(tmp_path)["n"].tolist() == [1, 2]


def test_pattern_path(tmp_path: Path) -> None:
    _write(tmp_path / "raw" / "x" / "part-1.csv", "n\n1\n")
    _write(tmp_path / "raw" / "y" / "part-2.csv", "n\n2\n")
    _write(tmp_path / "raw" / "y" / "skip.tsv", "n\n3\n")
    _mltable(tmp_path, "paths:\n  - pattern: ./raw/**/*.csv\n")
    assert read_mltable(tmp_path)["n"].tolist() == [1, 2]


def test_overlapping_paths_do_not_duplicate_rows(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", "n\n1\n")
    _mltable(tmp_path, "paths:\n  - file: a.csv\n  - pattern: '*.csv'\n")
    assert read_mltable(tmp_path)["n"].tolist() == [1]


def test_format_inferred_from_extension_without_read_step(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", "id,v\n1,x\n")
    pd.DataFrame({"id": [2], "v": ["y"]}).to_parquet(tmp_path / "b.parquet", index=False)
    _write(tmp_path / "c.jsonl", '{"id": 3, "v": "z"}\n')
    _mltable(tmp_path, "paths:\n  - file: a.csv\n  - file: b.parquet\n  - file: c.jsonl\n")
    assert read_mltable(tmp_path).to_dict("list") == {"id": [1, 2, 3], "v": ["x", "y", "z"]}


# --- read transformations ---------------------------------------------------------------------


def test_read_parquet(tmp_path: Path) -> None:
    pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(tmp_path / "d.bin", index=False)
    _mltable(tmp_path, "paths:\n  - file: d.bin\ntransformations:\n  - read_parquet\n")
    assert read_mltable(tmp_path)["x"].tolist() == [1.0, 2.0]


def test_read_json_lines_with_encoding(tmp_path: Path) -> None:
    _write(tmp_path / "d.json", '{"city": "Z\u00fcrich"}\n', encoding="latin-1")
    _mltable(
        tmp_path,
        """
        paths:
          - file: d.json
        transformations:
          - read_json_lines:
              encoding: iso88591
              invalid_lines: error
              include_path_column: false
        """,
    )
    assert read_mltable(tmp_path)["city"].tolist() == ["Z\u00fcrich"]


def test_read_delimited_encoding_and_tab_delimiter(tmp_path: Path) -> None:
    _write(tmp_path / "d.tsv", "name\tcity\nJos\u00e9\tS\u00e3o Paulo\n", encoding="latin-1")
    _mltable(
        tmp_path,
        """
        paths:
          - file: d.tsv
        transformations:
          - read_delimited:
              delimiter: '\\t'
              encoding: latin1
        """,
    )
    expected = [{"name": "Jos\u00e9", "city": "S\u00e3o Paulo"}]
    assert read_mltable(tmp_path).to_dict("records") == expected


def test_header_no_header(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", "1,x\n2,y\n")
    _write(tmp_path / "b.csv", "3,z\n")
    _mltable(
        tmp_path,
        "paths:\n  - pattern: '*.csv'\ntransformations:\n  - read_delimited: {header: no_header}\n",
    )
    df = read_mltable(tmp_path)
    assert list(df.columns) == ["Column1", "Column2"]
    assert df["Column1"].tolist() == [1, 2, 3]


def test_header_from_first_file(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", "id,label\n1,x\n")
    _write(tmp_path / "b.csv", "2,y\n3,z\n")
    _mltable(
        tmp_path,
        "paths:\n  - pattern: '*.csv'\n"
        "transformations:\n  - read_delimited: {header: from_first_file}\n",
    )
    assert read_mltable(tmp_path).to_dict("list") == {"id": [1, 2, 3], "label": ["x", "y", "z"]}


def test_header_all_files_same_headers_rejects_different_headers(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", "id,label\n1,x\n")
    _write(tmp_path / "b.csv", "id,name\n2,y\n")
    _mltable(tmp_path, "paths:\n  - pattern: '*.csv'\ntransformations:\n  - read_delimited\n")
    with pytest.raises(TableReadError, match=r"read_delimited\.header'.*b\.csv has different"):
        read_mltable(tmp_path)


def test_differing_columns_are_stacked_without_read_delimited(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", "id\n1\n")
    pd.DataFrame({"id": [2], "extra": ["x"]}).to_parquet(tmp_path / "b.parquet", index=False)
    _mltable(tmp_path, "paths:\n  - file: a.csv\n  - file: b.parquet\n")
    df = read_mltable(tmp_path)
    assert df["id"].tolist() == [1, 2]
    assert df["extra"].isna().tolist() == [True, False]


def test_empty_as_string(tmp_path: Path) -> None:
    _write(tmp_path / "d.csv", "a,b\nx,\n,y\n")
    _mltable(tmp_path, "paths: [{file: d.csv}]\ntransformations: [{read_delimited: {}}]\n")
    assert read_mltable(tmp_path)["b"].isna().tolist() == [True, False]
    _mltable(
        tmp_path,
        "paths: [{file: d.csv}]\ntransformations: [{read_delimited: {empty_as_string: true}}]\n",
    )
    assert read_mltable(tmp_path)["b"].tolist() == ["", "y"]


def test_include_path_column(tmp_path: Path) -> None:
    _write(tmp_path / "p" / "a.csv", "n\n1\n")
    _write(tmp_path / "p" / "b.csv", "n\n2\n")
    _mltable(
        tmp_path,
        "paths: [{folder: p}]\n"
        "transformations: [{read_delimited: {include_path_column: true, path_column: src}}]\n",
    )
    assert read_mltable(tmp_path)["src"].tolist() == ["p/a.csv", "p/b.csv"]


# --- column transformations -------------------------------------------------------------------


def test_take_drop_and_keep_columns(people: Path) -> None:
    _mltable(
        people,
        """
        paths: [{file: people.csv}]
        transformations:
          - read_delimited: {}
          - take: 2
          - drop_columns: active
          - keep_columns: [score, name]
        """,
    )
    df = read_mltable(people)
    assert list(df.columns) == ["score", "name"]
    assert df["name"].tolist() == ["ann", "bob"]


def test_convert_column_types(people: Path) -> None:
    _mltable(
        people,
        """
        paths: [{file: people.csv}]
        transformations:
          - convert_column_types:
              - columns: age
                column_type: int
              - columns: [score]
                column_type: float
              - columns: active
                column_type: boolean
              - columns: [name]
                column_type: string
        """,
    )
    df = read_mltable(people)
    assert str(df["age"].dtype) == "Int64"
    assert df["age"].tolist() == [31, pd.NA, 40]
    assert df["score"].dtype == "float64"
    assert df["score"].fillna(-1).tolist() == [1.5, 2.5, -1.0]
    assert str(df["active"].dtype) == "boolean"
    assert df["active"].tolist() == [True, False, pd.NA]
    assert df["name"].tolist() == ["ann", "bob", "cy"]


def test_convert_datetime_with_formats_and_custom_booleans(tmp_path: Path) -> None:
    _write(tmp_path / "d.csv", "when,flag\n2024-01-31,Y\n31/12/2023,N\n,\n")
    _mltable(
        tmp_path,
        """
        paths: [{file: d.csv}]
        transformations:
          - convert_column_types:
              - columns: when
                column_type:
                  datetime:
                    formats: ['%Y-%m-%d', '%d/%m/%Y']
              - columns: flag
                column_type:
                  boolean: {true_values: ['Y'], false_values: ['N']}
        """,
    )
    df = read_mltable(tmp_path)
    assert df["when"].tolist()[:2] == [pd.Timestamp("2024-01-31"), pd.Timestamp("2023-12-31")]
    assert pd.isna(df["when"].iloc[2])
    assert df["flag"].tolist() == [True, False, pd.NA]


def test_convert_column_types_rejects_unconvertible_values(people: Path) -> None:
    _mltable(
        people,
        "paths: [{file: people.csv}]\n"
        "transformations:\n  - convert_column_types: [{columns: name, column_type: int}]\n",
    )
    with pytest.raises(TableReadError, match=r"convert_column_types\[0\]'.*'name' to int"):
        read_mltable(people)


def test_convert_boolean_rejects_unknown_values(tmp_path: Path) -> None:
    _write(tmp_path / "d.csv", "f\nyes\nmaybe\n")
    _mltable(
        tmp_path,
        "paths: [{file: d.csv}]\n"
        "transformations:\n  - convert_column_types: [{columns: f, column_type: boolean}]\n",
    )
    with pytest.raises(TableReadError, match="cannot convert value 'maybe'"):
        read_mltable(tmp_path)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("paths: [{file: people.csv}\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("type: mltable\n", r"key 'paths': expected a non-empty list"),
        ("paths: []\n", r"key 'paths': expected a non-empty list"),
        ("paths: [{file: a.csv, folder: b}]\n", r"key 'paths\[0\]': expected exactly one"),
        ("paths: [people.csv]\n", r"key 'paths\[0\]': expected exactly one"),
        ("paths: [{file: 3}]\n", r"key 'paths\[0\].file': expected a non-empty path"),
        (
            "paths: [{file: people.csv}, {folder: 'azureml://datastores/blob/paths/x/'}]\n",
            r"key 'paths\[1\].folder': 'azureml://datastores/blob/paths/x/' is not a path rel",
        ),
        (
            "paths: [{file: 'https://example.com/data.csv'}]\n",
            r"'https://example.com/data.csv' is not a path relative to the MLTable folder",
        ),
        ("paths: [{file: /etc/passwd}]\n", "'/etc/passwd' is not a path relative"),
        ("paths: [{file: missing.csv}]\n", r"key 'paths\[0\].file': 'missing.csv' does not exist"),
        ("paths: [{folder: nope}]\n", r"'nope' does not exist"),
        ("paths: [{pattern: '*.parquet'}]\n", r"'\*.parquet' matches no data files"),
        (
            "paths: [{file: people.csv}]\ntransformations: {take: 1}\n",
            "key 'transformations': expected a list",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{take: 1, skip: 2}]\n",
            r"key 'transformations\[0\]': expected a single-key mapping",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{filter: 'age > 3'}]\n",
            r"key 'transformations\[0\].filter': unknown transformation 'filter'",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{take: 1}, read_delimited]\n",
            "read transformation must be the first",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{read_delimited: {delimeter: ';'}}]\n",
            r"key 'transformations\[0\].read_delimited.delimeter': unknown option",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{read_delimited: {header: maybe}}]\n",
            r"read_delimited.header': 'maybe' is not one of",
        ),
        (
            "paths: [{file: people.csv}]\n"
            "transformations: [{read_delimited: {encoding: klingon}}]\n",
            r"read_delimited.encoding': unknown encoding 'klingon'",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{read_delimited: {delimiter: ''}}]\n",
            r"read_delimited.delimiter': expected a non-empty string",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{read_delimited: [1]}]\n",
            r"transformations\[0\].read_delimited': expected a mapping",
        ),
        (
            "paths: [{file: people.csv}]\n"
            "transformations: [{read_json_lines: {invalid_lines: drop}}]\n",
            r"read_json_lines.invalid_lines': only 'error' is supported",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{take: -1}]\n",
            r"transformations\[0\].take': expected a non-negative integer",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{take: true}]\n",
            r"transformations\[0\].take': expected a non-negative integer",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{drop_columns: [age, height]}]\n",
            r"drop_columns': no column named 'height'",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{keep_columns: {a: 1}}]\n",
            r"keep_columns': expected a column name or a list",
        ),
        (
            "paths: [{file: people.csv}]\ntransformations: [{convert_column_types: age}]\n",
            r"convert_column_types': expected a list",
        ),
        (
            "paths: [{file: people.csv}]\n"
            "transformations: [{convert_column_types: [{columns: age}]}]\n",
            r"convert_column_types\[0\]': expected a mapping with columns and column_type",
        ),
        (
            "paths: [{file: people.csv}]\n"
            "transformations: [{convert_column_types: [{columns: age, column_type: decimal}]}]\n",
            r"convert_column_types\[0\].column_type': unknown column type 'decimal'",
        ),
        (
            "paths: [{file: people.csv}]\n"
            "transformations: [{convert_column_types: [{columns: nope, column_type: int}]}]\n",
            r"convert_column_types\[0\].columns': no column named 'nope'",
        ),
    ],
)
def test_bad_mltable(people: Path, yaml_text: str, message: str) -> None:
    spec = _write(people / "MLTable", yaml_text)
    with pytest.raises(TableReadError, match=message) as info:
        read_mltable(people)
    # Every MLTable problem names the MLTable file it is in.
    assert str(spec.resolve()) in str(info.value)


def test_path_escaping_the_mltable_folder(tmp_path: Path) -> None:
    _write(tmp_path / "secret.csv", "token\nabc\n")
    folder = tmp_path / "asset"
    _mltable(folder, "paths: [{file: ../secret.csv}]\n")
    with pytest.raises(TableReadError, match=r"key 'paths\[0\].file'.*outside the MLTable folder"):
        read_mltable(folder)
    _mltable(folder, "paths: [{pattern: '../*.csv'}]\n")
    with pytest.raises(TableReadError, match="outside the MLTable folder"):
        read_mltable(folder)


def test_symlink_out_of_the_mltable_folder(tmp_path: Path) -> None:
    _write(tmp_path / "secret.csv", "token\nabc\n")
    folder = tmp_path / "asset"
    folder.mkdir()
    (folder / "link.csv").symlink_to(tmp_path / "secret.csv")
    _mltable(folder, "paths: [{file: link.csv}]\n")
    with pytest.raises(TableReadError, match="outside the MLTable folder"):
        read_mltable(folder)


def test_unsupported_extension_without_read_step(tmp_path: Path) -> None:
    _write(tmp_path / "data.dat", "a\n1\n")
    _mltable(tmp_path, "paths: [{file: data.dat}]\n")
    with pytest.raises(TableReadError, match=r"data\.dat: unsupported extension '\.dat'"):
        read_mltable(tmp_path)


def test_missing_mltable_file(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match="has no MLTable file"):
        read_mltable(tmp_path)


def test_unreadable_data_file_is_named(tmp_path: Path) -> None:
    _write(tmp_path / "d.parquet", "not parquet")
    _mltable(tmp_path, "paths: [{file: d.parquet}]\ntransformations: [read_parquet]\n")
    with pytest.raises(TableReadError, match=r"d\.parquet: unreadable PARQUET file"):
        read_mltable(tmp_path)
