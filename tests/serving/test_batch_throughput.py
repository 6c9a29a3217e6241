"""Batch scoring at speed (issue 17): files cut for the workers, predictions encoded by the
workers (CSV or real Parquet), metrics logged by a worker, and the ``auto`` runtime.

Real MLflow models, real files, real worker processes."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression

from opsloop.serving.batch.output import PredictionWriter, encode
from opsloop.serving.batch.scoring import BatchInputError, run_batch_scoring
from opsloop.serving.batch.splitting import read_range, split_evenly
from opsloop.specs.endpoint import BatchDeploymentSpec

FEATURES = ["x1", "x2", "x3"]
COEFFICIENTS = np.array([1.5, -2.0, 0.5])


def features(seed: int, rows: int) -> pd.DataFrame:
    values = np.random.default_rng(seed).normal(size=(rows, 3)).round(4)
    return pd.DataFrame(values, columns=FEATURES)


def save(regression: LinearRegression, path: Path, example: bool) -> Path:
    frame = features(0, 5)
    extra: dict[str, Any] = {}
    if example:
        extra = {"signature": infer_signature(frame, regression.predict(frame))}
        extra["input_example"] = frame
    mlflow.sklearn.save_model(
        regression, str(path), pip_requirements=["scikit-learn"],
        serialization_format="pickle", **extra,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    frame = features(1, 60)
    regression = LinearRegression().fit(frame, frame.to_numpy() @ COEFFICIENTS + 3.0)
    folder = tmp_path_factory.mktemp("models")
    return {
        "estimator": regression,
        "with_example": save(regression, folder / "with-example", example=True),
        "bare": save(regression, folder / "bare", example=False),
    }


def spec(**overrides: Any) -> BatchDeploymentSpec:
    return BatchDeploymentSpec.model_validate(
        {"name": "blue", "endpoint_name": "scores", "model": "regression:1", **overrides}
    )


def score(model: Path, source: Path, out: Path, **overrides: Any) -> Any:
    return run_batch_scoring(
        model_dir=model, input_path=source, input_type="uri_folder" if source.is_dir()
        else "uri_file", output_dir=out, settings=spec(**overrides),
    )  # fmt: skip


def test_ranges_of_a_csv_file_hold_every_row_once_in_order(tmp_path: Path) -> None:
    table = features(2, 5000)
    path = tmp_path / "big.csv"
    table.to_csv(path, index=False)
    small = tmp_path / "small.csv"
    features(3, 10).to_csv(small, index=False)

    pieces = split_evenly([str(path), str(small)], workers=3, piece_bytes=40_000)

    assert len(pieces) % 3 == 0 and len(pieces) >= 3
    ranges = [item for piece in pieces for item in piece]
    big = [item for item in ranges if item.path == str(path)]
    assert [item.part for item in big] == list(range(len(big))) and big[0].parts == len(big)
    assert all(a.end == b.start for a, b in itertools.pairwise(big))
    rebuilt = pd.concat([read_range(item) for item in big], ignore_index=True)
    pd.testing.assert_frame_equal(rebuilt, table)
    sizes = [sum((r.end or path.stat().st_size) - r.start for r in p if r.path == str(path))
             for p in pieces[:-1]]  # fmt: skip
    assert max(sizes) - min(sizes) < 200  # even, to within a line or two


def test_a_file_with_quotes_is_never_cut(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    pd.DataFrame({"note": ['a "b"\nc'] * 2000, "x": range(2000)}).to_csv(path, index=False)

    pieces = split_evenly([str(path)], workers=2, piece_bytes=1000)

    assert [[(r.start, r.end, r.parts) for r in piece] for piece in pieces] == [[(0, None, 1)]]


def test_one_file_is_scored_by_every_worker_in_order(
    tmp_path: Path, models: dict[str, Any]
) -> None:
    table = features(4, 3000)
    table.to_csv(tmp_path / "only.csv", index=False)

    summary = score(
        models["bare"], tmp_path / "only.csv", tmp_path / "out", max_concurrency_per_instance=2
    )

    assert (summary.status, summary.total_items, summary.succeeded_items) == ("Completed", 1, 1)
    assert summary.mini_batches == 2 and summary.rows == 3000
    assert set(summary.worker_seconds) == {"read", "predict", "encode"}
    written = pd.read_csv(tmp_path / "out" / "predictions.csv")
    assert list(written.columns) == ["file", "prediction"]
    assert (written["file"] == "only.csv").all()
    expected = models["estimator"].predict(table)
    np.testing.assert_allclose(written["prediction"], expected, rtol=1e-12)


def test_scripts_and_files_making_enough_mini_batches_are_not_cut(
    tmp_path: Path, models: dict[str, Any]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for index in range(4):
        features(index, 50).to_csv(folder / f"part-{index}.csv", index=False)

    summary = score(
        models["bare"], folder, tmp_path / "out", max_concurrency_per_instance=2,
        mini_batch_size=2,
    )  # fmt: skip
    assert summary.mini_batches == 2 and summary.succeeded_items == 4

    # A scoring script's run() is promised whole files: one mini-batch of four.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("def run(mini_batch):\n    return mini_batch\n")
    summary = score(
        models["bare"], folder, tmp_path / "out-script", max_concurrency_per_instance=2,
        code_configuration={"code": str(tmp_path / "src"), "scoring_script": "score.py"},
    )  # fmt: skip
    assert summary.mini_batches == 1 and summary.succeeded_items == 4
    assert summary.runtime == "script"


def test_a_failing_range_fails_its_file_once(tmp_path: Path, models: dict[str, Any]) -> None:
    table = features(5, 2000).astype(object)
    table.loc[1900, "x2"] = "oops"  # only the second half of the file cannot be scored
    table.to_csv(tmp_path / "bad.csv", index=False)
    features(6, 10).to_csv(tmp_path / "good.csv", index=False)

    summary = score(
        models["bare"], tmp_path, tmp_path / "out", max_concurrency_per_instance=2,
        retry_settings={"max_retries": 0},
    )  # fmt: skip

    assert (summary.total_items, summary.succeeded_items, summary.failed_items) == (2, 1, 1)
    assert any("bad.csv (part 2 of 2)" in error for error in summary.errors), summary.errors
    written = pd.read_csv(tmp_path / "out" / "predictions.csv")
    # The ranges that did score keep their rows, as mltable row mini-batches do.
    assert (written["file"] == "good.csv").sum() == 10
    assert 0 < (written["file"] == "bad.csv").sum() < 2000


def test_parquet_output_is_real_parquet_in_input_order(
    tmp_path: Path, models: dict[str, Any]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    frames = [features(10 + i, 400) for i in range(3)]
    for index, frame in enumerate(frames):
        frame.to_csv(folder / f"part-{index}.csv", index=False)

    summary = score(
        models["bare"], folder, tmp_path / "out", max_concurrency_per_instance=2,
        output_file_name="scores.parquet",
    )  # fmt: skip

    assert summary.output_file == str(tmp_path / "out" / "scores.parquet")
    written = pd.read_parquet(summary.output_file)
    assert list(written["file"].unique()) == ["part-0.csv", "part-1.csv", "part-2.csv"]
    expected = np.concatenate([models["estimator"].predict(frame) for frame in frames])
    np.testing.assert_allclose(written["prediction"], expected, rtol=1e-12)


def test_auto_runtime_scores_with_onnx_where_the_conversion_is_proven(
    tmp_path: Path, models: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    table = features(7, 500)
    table.to_csv(tmp_path / "in.csv", index=False)

    with caplog.at_level(logging.INFO, logger="opsloop.serving.batch.scoring"):
        summary = score(models["with_example"], tmp_path / "in.csv", tmp_path / "out")

    assert summary.runtime == "onnx" and summary.status == "Completed"
    assert "inference runtime onnx (auto: converted to ONNX, same predictions" in caplog.text
    written = pd.read_csv(tmp_path / "out" / "predictions.csv")
    expected = models["estimator"].predict(table)
    np.testing.assert_allclose(written["prediction"], expected, rtol=1e-4, atol=1e-4)
    # ONNX computes in float32: not the bits scikit-learn gives, so ONNX really scored.
    assert not np.array_equal(written["prediction"].to_numpy(), expected)


@pytest.mark.parametrize(
    ("model", "runtime", "runtime_used", "reason"),
    [("bare", "auto", "sklearn", "auto: the model has no input example"),
     ("with_example", "native", "sklearn", "native: the model's own flavor")],
)  # fmt: skip
def test_the_models_own_flavor_scores_otherwise(
    tmp_path: Path, models: dict[str, Any], model: str, runtime: str, runtime_used: str,
    reason: str,
) -> None:  # fmt: skip
    table = features(8, 100)
    table.to_csv(tmp_path / "in.csv", index=False)

    summary = score(models[model], tmp_path / "in.csv", tmp_path / "out", inference_runtime=runtime)

    assert summary.runtime == runtime_used and summary.runtime_reason.startswith(reason)
    written = pd.read_csv(tmp_path / "out" / "predictions.csv")
    np.testing.assert_array_equal(written["prediction"], models["estimator"].predict(table))


def test_pinned_onnx_that_cannot_convert_stops_before_scoring(
    tmp_path: Path, models: dict[str, Any]
) -> None:
    features(9, 10).to_csv(tmp_path / "in.csv", index=False)

    with pytest.raises(BatchInputError, match="inference_runtime onnx cannot serve this model"):
        score(models["bare"], tmp_path / "in.csv", tmp_path / "out", inference_runtime="onnx")
    assert not (tmp_path / "out").exists()


def test_module_entry_runs_the_job_command(tmp_path: Path, models: dict[str, Any]) -> None:
    features(11, 20).to_csv(tmp_path / "in.csv", index=False)
    settings = tmp_path / "settings.json"
    settings.write_text(spec().model_dump_json())
    done = subprocess.run(
        [sys.executable, "-m", "opsloop.serving.batch", "--model-dir", str(models["bare"]),
         "--input", str(tmp_path / "in.csv"), "--input-type", "uri_file",
         "--output", str(tmp_path / "out"), "--settings", str(settings)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "inference runtime sklearn (auto: the model has no input example" in done.stderr
    assert len(pd.read_csv(tmp_path / "out" / "predictions.csv")) == 20


def test_worker_csv_encoding_reads_back_as_pandas_wrote_it() -> None:
    rng = np.random.default_rng(0)
    numbers = np.concatenate([rng.normal(0, 50, 3000), np.arange(-5, 5.0), [0.0, np.nan, 1e-7]])
    frames = [
        pd.DataFrame({"file": "a.csv", "p": numbers, "n": np.arange(len(numbers))}),
        pd.DataFrame({"file": "a,b.csv", "p": numbers[:50]}),  # needs quotes
        pd.DataFrame({"flag": [True, False], "p": np.array([1.5, 2.0], dtype=np.float32)}),
    ]
    for frame in frames:
        chunk = encode(frame, "csv")
        assert chunk.data == frame.to_csv(index=False, header=False).encode()
        assert chunk.columns == tuple(frame.columns) and chunk.rows == len(frame)


def test_writer_keeps_mini_batch_order_and_aligns_other_columns(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    writer = PredictionWriter(path, "csv")
    writer.add(1, encode(pd.DataFrame({"a": [2, 3]}), "csv"))
    writer.add(2, None)
    writer.add(0, encode(pd.DataFrame({"a": [1]}), "csv"))
    writer.add(3, encode(pd.DataFrame({"b": ["x"]}), "csv"))
    writer.close()

    written = pd.read_csv(path)
    assert written["a"].tolist()[:3] == [1, 2, 3] and np.isnan(written["a"].tolist()[3])
    assert written["b"].tolist()[3] == "x" and written["b"].isna().sum() == 3


def test_parquet_writer_keeps_chunks_whose_types_differ(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    writer = PredictionWriter(path, "parquet")
    writer.add(0, encode(pd.DataFrame({"label": [1, 2]}), "parquet"))
    writer.add(1, encode(pd.DataFrame({"label": ["cat"]}), "parquet"))
    writer.close()

    assert pd.read_parquet(path)["label"].astype(str).tolist() == ["1", "2", "cat"]
