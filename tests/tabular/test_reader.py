"""read_table / is_tabular against real files of every supported layout."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from opsloop.tabular.reader import TableReadError, is_tabular, read_table


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _parquet(path: Path, df: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)
    return path


# --- uri_file ---------------------------------------------------------------------------------


def test_uri_file_csv(tmp_path: Path) -> None:
    df = read_table(_write(tmp_path / "d.csv", "a,b\n1,x\n2,y\n"), "uri_file")
    assert list(df.columns) == ["a", "b"]
    assert df["a"].tolist() == [1, 2]
    assert df["b"].tolist() == ["x", "y"]


def test_uri_file_tsv(tmp_path: Path) -> None:
    df = read_table(_write(tmp_path / "d.tsv", "a\tb\n1\t2,5\n"), "uri_file")
    assert df.to_dict("records") == [{"a": 1, "b": "2,5"}]


@pytest.mark.parametrize("name", ["d.parquet", "d.pq"])
def test_uri_file_parquet(tmp_path: Path, name: str) -> None:
    source = pd.DataFrame({"x": [1.5, 2.5], "y": ["p", "q"]})
    df = read_table(_parquet(tmp_path / name, source), "uri_file")
    pd.testing.assert_frame_equal(df, source)


def test_uri_file_jsonl(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.jsonl", '{"a": 1, "b": "x"}\n{"a": 2, "b": null}\n')
    df = read_table(path, "uri_file")
    assert df["a"].tolist() == [1, 2]
    assert df["b"].isna().tolist() == [False, True]


def test_uri_file_unknown_extension_is_read_as_csv(tmp_path: Path) -> None:
    df = read_table(_write(tmp_path / "export.txt", "k,v\n1,2\n"), "uri_file")
    assert df.to_dict("records") == [{"k": 1, "v": 2}]
    df = read_table(_write(tmp_path / "noext", "k\n7\n"), "uri_file")
    assert df["k"].tolist() == [7]


def test_uri_file_gzipped_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv.gz"
    path.write_bytes(gzip.compress(b"a\n1\n2\n3\n"))
    assert read_table(path, "uri_file")["a"].sum() == 6


def test_uri_file_extension_is_case_insensitive(tmp_path: Path) -> None:
    source = pd.DataFrame({"x": [1]})
    assert read_table(_parquet(tmp_path / "D.PARQUET", source), "uri_file")["x"].tolist() == [1]


def test_uri_file_header_only_csv_gives_empty_frame(tmp_path: Path) -> None:
    df = read_table(_write(tmp_path / "d.csv", "a,b\n"), "uri_file")
    assert list(df.columns) == ["a", "b"]
    assert len(df) == 0


def test_uri_file_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(TableReadError, match=r"cat\.png.*unsupported extension '\.png'"):
        read_table(path, "uri_file")


def test_uri_file_missing(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match=r"nope\.csv: uri_file does not exist"):
        read_table(tmp_path / "nope.csv", "uri_file")


def test_uri_file_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match="uri_file is not a file"):
        read_table(tmp_path, "uri_file")


def test_unreadable_csv_bad_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name\nJos\xe9\n".encode("latin-1"))
    with pytest.raises(TableReadError, match=r"latin\.csv: unreadable CSV file"):
        read_table(path, "uri_file")


def test_unreadable_csv_empty_file(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match=r"empty\.csv: unreadable CSV file"):
        read_table(_write(tmp_path / "empty.csv", ""), "uri_file")


def test_unreadable_csv_ragged_rows(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match="unreadable CSV file"):
        read_table(_write(tmp_path / "r.csv", "a,b\n1,2\n1,2,3,4\n"), "uri_file")


def test_unreadable_parquet(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match=r"bad\.parquet: unreadable PARQUET file"):
        read_table(_write(tmp_path / "bad.parquet", "not parquet at all"), "uri_file")


def test_unreadable_jsonl(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match=r"bad\.jsonl: unreadable JSONL file"):
        read_table(_write(tmp_path / "bad.jsonl", '{"a": 1}\n{oops\n'), "uri_file")


def test_table_read_error_is_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        read_table(tmp_path / "missing.csv", "uri_file")


# --- uri_folder -------------------------------------------------------------------------------


def test_uri_folder_concatenates_recursively_in_relative_path_order(tmp_path: Path) -> None:
    _write(tmp_path / "b.csv", "n\n3\n")
    _write(tmp_path / "a" / "z.csv", "n\n2\n")
    _write(tmp_path / "a" / "b" / "deep.csv", "n\n1\n")
    _write(tmp_path / "c" / "last.csv", "n\n4\n")
    df = read_table(tmp_path, "uri_folder")
    assert df["n"].tolist() == [1, 2, 3, 4]
    assert df.index.tolist() == [0, 1, 2, 3]


def test_uri_folder_ignores_hidden_and_non_tabular_files(tmp_path: Path) -> None:
    _write(tmp_path / "part-0.csv", "n\n1\n")
    _write(tmp_path / ".hidden.csv", "n\n100\n")
    _write(tmp_path / "_SUCCESS", "")
    _write(tmp_path / ".git" / "x.csv", "n\n200\n")
    _write(tmp_path / "_temporary" / "part-9.csv", "n\n300\n")
    _write(tmp_path / "README.md", "# not data\n")
    (tmp_path / "img.png").write_bytes(b"\x89PNG")
    assert read_table(tmp_path, "uri_folder")["n"].tolist() == [1]


def test_uri_folder_mixes_csv_and_parquet(tmp_path: Path) -> None:
    _write(tmp_path / "1.csv", "id,v\n1,10\n")
    _parquet(tmp_path / "2.parquet", pd.DataFrame({"id": [2], "v": [20]}))
    df = read_table(tmp_path, "uri_folder")
    assert df.to_dict("records") == [{"id": 1, "v": 10}, {"id": 2, "v": 20}]


def test_uri_folder_differing_columns_become_missing(tmp_path: Path) -> None:
    _write(tmp_path / "1.csv", "a\n1\n")
    _write(tmp_path / "2.csv", "a,b\n2,x\n")
    df = read_table(tmp_path, "uri_folder")
    assert df["a"].tolist() == [1, 2]
    assert df["b"].isna().tolist() == [True, False]


def test_uri_folder_empty_part_files_keep_dtypes(tmp_path: Path) -> None:
    _write(tmp_path / "part-0.csv", "a,b,c\n")
    _write(tmp_path / "part-1.csv", "a,b\n1,2.5\n")
    df = read_table(tmp_path, "uri_folder")
    assert list(df.columns) == ["a", "b", "c"]
    assert (str(df["a"].dtype), str(df["b"].dtype)) == ("int64", "float64")
    assert df["c"].isna().all()


def test_uri_folder_without_tables(tmp_path: Path) -> None:
    (tmp_path / "img.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(TableReadError, match=r"no tabular files .* found in uri_folder"):
        read_table(tmp_path, "uri_folder")


def test_uri_folder_errors_name_the_bad_file(tmp_path: Path) -> None:
    _write(tmp_path / "good.csv", "a\n1\n")
    _write(tmp_path / "bad.parquet", "garbage")
    with pytest.raises(TableReadError, match=r"bad\.parquet: unreadable PARQUET"):
        read_table(tmp_path, "uri_folder")


def test_uri_folder_missing_or_a_file(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match="uri_folder does not exist"):
        read_table(tmp_path / "nope", "uri_folder")
    with pytest.raises(TableReadError, match="uri_folder is not a directory"):
        read_table(_write(tmp_path / "f.csv", "a\n1\n"), "uri_folder")


# --- mltable / asset types --------------------------------------------------------------------


def test_mltable_asset(tmp_path: Path) -> None:
    _write(tmp_path / "data.csv", "a;b\n1;2\n3;4\n")
    _write(
        tmp_path / "MLTable",
        "paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n"
        "      delimiter: ';'\n",
    )
    df = read_table(tmp_path, "mltable")
    assert df.to_dict("records") == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]


def test_mltable_asset_without_mltable_file(tmp_path: Path) -> None:
    _write(tmp_path / "data.csv", "a\n1\n")
    with pytest.raises(TableReadError, match="mltable folder has no MLTable file"):
        read_table(tmp_path, "mltable")


def test_unknown_asset_type(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match="unsupported asset type 'custom_model'"):
        read_table(tmp_path, "custom_model")


# --- is_tabular -------------------------------------------------------------------------------


def test_is_tabular_uri_file(tmp_path: Path) -> None:
    assert is_tabular(_write(tmp_path / "d.csv", "a\n1\n"), "uri_file")
    assert is_tabular(_parquet(tmp_path / "d.parquet", pd.DataFrame({"a": [1]})), "uri_file")
    assert is_tabular(_write(tmp_path / "d.txt", "a\n1\n"), "uri_file")
    assert not is_tabular(_write(tmp_path / "empty.csv", ""), "uri_file")
    assert not is_tabular(_write(tmp_path / "meta.json", '{"a": 1}'), "uri_file")
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04\x95")
    assert not is_tabular(tmp_path / "model.pkl", "uri_file")
    (tmp_path / "blob.dat").write_bytes(b"\x00\x01\xfe\xff" * 10)
    assert not is_tabular(tmp_path / "blob.dat", "uri_file")
    assert not is_tabular(tmp_path / "missing.csv", "uri_file")
    assert not is_tabular(tmp_path, "uri_file")


def test_is_tabular_uri_folder(tmp_path: Path) -> None:
    images = tmp_path / "images"
    (images / "cats").mkdir(parents=True)
    (images / "cats" / "1.jpg").write_bytes(b"\xff\xd8")
    _write(images / ".cache" / "index.csv", "a\n1\n")
    assert not is_tabular(images, "uri_folder")
    _write(images / "labels" / "labels.csv", "file,label\n1.jpg,cat\n")
    assert is_tabular(images, "uri_folder")
    assert not is_tabular(tmp_path / "missing", "uri_folder")


def test_is_tabular_mltable(tmp_path: Path) -> None:
    assert not is_tabular(tmp_path, "mltable")
    mltable = _write(tmp_path / "MLTable", "paths: []\n")
    # A broken MLTable is still reported as tabular so read_table surfaces its error.
    assert is_tabular(tmp_path, "mltable")
    assert is_tabular(mltable, "mltable")


def test_is_tabular_agrees_with_read_table(tmp_path: Path) -> None:
    _write(tmp_path / "t" / "x.csv", "a\n1\n")
    (tmp_path / "i").mkdir()
    (tmp_path / "i" / "x.png").write_bytes(b"\x89PNG")
    for folder in (tmp_path / "t", tmp_path / "i"):
        readable = True
        try:
            read_table(folder, "uri_folder")
        except TableReadError:
            readable = False
        assert is_tabular(folder, "uri_folder") is readable


def test_is_tabular_unknown_asset_type(tmp_path: Path) -> None:
    assert not is_tabular(_write(tmp_path / "d.csv", "a\n1\n"), "mlflow_model")
