"""Batch scoring engine: real MLflow models, real scoring scripts, real worker processes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from opsloop.serving.batch.scoring import (
    SUMMARY_FILE,
    BatchInputError,
    BatchSummary,
    ProgressUpdate,
    main,
    run_batch_scoring,
)
from opsloop.specs.endpoint import BatchDeploymentSpec

FEATURES = ["x1", "x2", "x3"]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> tuple[LinearRegression, Path]:
    """A real scikit-learn model saved as an MLflow model folder (no tracking server)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=FEATURES)
    target = frame @ np.array([1.5, -2.0, 0.5]) + 3.0
    regression = LinearRegression().fit(frame, target)
    path = tmp_path_factory.mktemp("models") / "regression"
    # Explicit requirements skip MLflow's requirement inference (a subprocess, seconds), and
    # pickle loads seconds faster than the default skops in each worker.
    mlflow.sklearn.save_model(
        regression, str(path), pip_requirements=["scikit-learn"], serialization_format="pickle"
    )
    return regression, path


def spec(**overrides: Any) -> BatchDeploymentSpec:
    return BatchDeploymentSpec.model_validate(
        {"name": "blue", "endpoint_name": "scores", "model": "azureml:regression:1", **overrides}
    )


def feature_frame(seed: int, rows: int) -> pd.DataFrame:
    values = np.random.default_rng(seed).normal(size=(rows, 3)).round(4)
    return pd.DataFrame(values, columns=FEATURES)


def write_csv_folder(folder: Path, files: int, rows: int = 3) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"part_{i:02d}.csv" for i in range(files)]
    for i, path in enumerate(paths):
        feature_frame(i, rows).to_csv(path, index=False)
    return paths


def write_script(code_dir: Path, body: str, name: str = "score.py") -> Path:
    code_dir.mkdir(parents=True, exist_ok=True)
    (code_dir / name).write_text(textwrap.dedent(body))
    return code_dir


def script_spec(**overrides: Any) -> BatchDeploymentSpec:
    return spec(code_configuration={"code": "src", "scoring_script": "score.py"}, **overrides)


def read_predictions(summary: BatchSummary) -> pd.DataFrame:
    assert summary.output_file is not None
    return pd.read_csv(summary.output_file)


# A scoring script that names the file behind each result and shows what init() saw.
ECHO_SCRIPT = """
    import os
    from pathlib import Path

    import pandas as pd

    INITS = 0
    SCALE = None

    def init():
        global INITS, SCALE
        INITS += 1
        SCALE = float((Path(os.environ["AZUREML_MODEL_DIR"]) / "scale.txt").read_text())

    def run(mini_batch):
        assert isinstance(mini_batch, list) and all(isinstance(p, str) for p in mini_batch)
        return pd.DataFrame({
            "file": [Path(p).name for p in mini_batch],
            "scaled": [SCALE * len(Path(p).read_text()) for p in mini_batch],
            "inits": INITS,
            "pid": os.getpid(),
            "greeting": os.environ["GREETING"],
            "model_dir": os.environ["OPSLOOP_MODEL_DIR"],
        })
"""


def test_mlflow_model_scores_folder_in_input_order(
    model: tuple[LinearRegression, Path], tmp_path: Path
) -> None:
    regression, model_dir = model
    paths = write_csv_folder(tmp_path / "input", 25)
    (tmp_path / "input" / ".hidden.csv").write_text("not,a\nmodel,input\n")
    (tmp_path / "input" / "_SUCCESS").write_text("")
    updates: list[ProgressUpdate] = []

    summary = run_batch_scoring(
        model_dir=model_dir,
        input_path=tmp_path / "input",
        input_type="uri_folder",
        output_dir=tmp_path / "out",
        settings=spec(mini_batch_size=10),
        progress=updates.append,
    )

    assert (summary.status, summary.total_items, summary.succeeded_items) == ("Completed", 25, 25)
    assert (summary.mini_batches, summary.failed_mini_batches, summary.failed_items) == (3, 0, 0)
    assert summary.output_file == str(tmp_path / "out" / "predictions.csv")
    written = read_predictions(summary)
    inputs = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    assert list(written.columns) == ["file", "prediction"]
    assert list(written["file"]) == [p.name for p in paths for _ in range(3)]
    np.testing.assert_allclose(written["prediction"], regression.predict(inputs))
    assert [u.done_mini_batches for u in updates] == [1, 2, 3]
    assert updates[-1] == ProgressUpdate(3, 3, 25, 0)
    saved = json.loads((tmp_path / "out" / SUMMARY_FILE).read_text())
    assert saved["status"] == "Completed" and saved["succeeded_items"] == 25


def test_mlflow_model_reads_files_by_extension_and_fails_bad_files_alone(
    model: tuple[LinearRegression, Path], tmp_path: Path
) -> None:
    regression, model_dir = model
    folder = tmp_path / "input"
    folder.mkdir()
    good = {"a.parquet": feature_frame(1, 2), "b.jsonl": feature_frame(2, 3)}
    good["a.parquet"].to_parquet(folder / "a.parquet")
    good["b.jsonl"].to_json(folder / "b.jsonl", orient="records", lines=True)
    (folder / "c.csv").write_text("x1,x2\n1,2\n")  # a column short of the model's signature
    (folder / "d.txt").write_text("notes")

    summary = run_batch_scoring(
        model_dir=model_dir,
        input_path=folder,
        input_type="uri_folder",
        output_dir=tmp_path / "out",
        settings=spec(),
    )

    assert (summary.status, summary.succeeded_items, summary.failed_items) == ("Completed", 2, 2)
    assert (summary.failed_mini_batches, summary.retries) == (1, 0)
    assert any("mini-batch 0: c.csv" in e for e in summary.errors)
    assert any("mini-batch 0: d.txt" in e and "unsupported extension" in e for e in summary.errors)
    written = read_predictions(summary)
    assert list(written["file"]) == ["a.parquet"] * 2 + ["b.jsonl"] * 3
    expected = regression.predict(pd.concat(good.values(), ignore_index=True))
    np.testing.assert_allclose(written["prediction"], expected)


def test_mlflow_model_scores_mltable_in_row_mini_batches(
    model: tuple[LinearRegression, Path], tmp_path: Path
) -> None:
    regression, model_dir = model
    table = tmp_path / "table"
    table.mkdir()
    feature_frame(7, 8).to_csv(table / "one.csv", index=False)
    feature_frame(8, 5).to_csv(table / "two.csv", index=False)
    (table / "MLTable").write_text(
        "paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited:\n"
        "      delimiter: ','\n      header: all_files_same_headers\n"
    )
    updates: list[ProgressUpdate] = []

    summary = run_batch_scoring(
        model_dir=model_dir,
        input_path=table,
        input_type="mltable",
        output_dir=tmp_path / "out",
        settings=spec(mini_batch_size=5, output_file_name="scores.csv"),
        progress=updates.append,
    )

    assert (summary.total_items, summary.succeeded_items, summary.mini_batches) == (13, 13, 3)
    assert [u.succeeded_items for u in updates] == [5, 10, 13]
    written = read_predictions(summary)
    assert summary.output_file == str(tmp_path / "out" / "scores.csv")
    assert list(written.columns) == ["row", "prediction"]
    assert list(written["row"]) == list(range(13))
    inputs = pd.concat([feature_frame(7, 8), feature_frame(8, 5)], ignore_index=True)
    np.testing.assert_allclose(written["prediction"], regression.predict(inputs), rtol=1e-6)


def test_scoring_script_inits_once_and_appends_what_run_returns(tmp_path: Path) -> None:
    write_csv_folder(tmp_path / "input", 7)
    model_dir = tmp_path / "custom-model"
    model_dir.mkdir()
    (model_dir / "scale.txt").write_text("2.0")
    code_dir = write_script(tmp_path / "src", ECHO_SCRIPT)

    summary = run_batch_scoring(
        model_dir=model_dir,
        input_path=tmp_path / "input",
        input_type="uri_folder",
        output_dir=tmp_path / "out",
        settings=script_spec(mini_batch_size=3, environment_variables={"GREETING": "hello"}),
        code_dir=code_dir,
    )

    assert (summary.status, summary.succeeded_items, summary.mini_batches) == ("Completed", 7, 3)
    written = read_predictions(summary)
    assert list(written["file"]) == [f"part_{i:02d}.csv" for i in range(7)]
    sizes = [len((tmp_path / "input" / name).read_text()) for name in written["file"]]
    assert list(written["scaled"]) == [2.0 * size for size in sizes]
    assert set(written["inits"]) == {1} and written["pid"].nunique() == 1
    assert set(written["greeting"]) == {"hello"}
    assert set(written["model_dir"]) == {str(model_dir)}


def test_two_workers_score_mltable_dataframes_and_keep_input_order(tmp_path: Path) -> None:
    table = tmp_path / "table"
    table.mkdir()
    feature_frame(3, 12).to_csv(table / "rows.csv", index=False)
    (table / "MLTable").write_text("paths:\n  - file: ./rows.csv\n")
    # Even mini-batches are slow, so results arrive out of order.
    code_dir = write_script(
        tmp_path / "src",
        """
        import os, time
        import pandas as pd

        def run(mini_batch):
            assert isinstance(mini_batch, pd.DataFrame)
            if mini_batch.index[0] % 4 == 0:
                time.sleep(0.3)
            total = mini_batch[["x1", "x2", "x3"]].sum(axis=1)
            return pd.DataFrame({"position": mini_batch.index, "total": total, "pid": os.getpid()})
        """,
    )

    summary = run_batch_scoring(
        model_dir=None,
        input_path=table,
        input_type="mltable",
        output_dir=tmp_path / "out",
        settings=script_spec(mini_batch_size=2, max_concurrency_per_instance=2),
        code_dir=code_dir,
    )

    assert (summary.succeeded_items, summary.mini_batches) == (12, 6)
    written = read_predictions(summary)
    assert list(written["position"]) == list(range(12))
    np.testing.assert_allclose(written["total"], feature_frame(3, 12).sum(axis=1), rtol=1e-9)
    assert written["pid"].nunique() == 2


def test_run_returning_fewer_results_fails_the_rest_of_the_mini_batch(tmp_path: Path) -> None:
    write_csv_folder(tmp_path / "input", 5)
    code_dir = write_script(tmp_path / "src", "def run(mini_batch):\n    return mini_batch[:1]\n")

    summary = run_batch_scoring(
        model_dir=None,
        input_path=tmp_path / "input",
        input_type="uri_folder",
        output_dir=tmp_path / "out",
        settings=script_spec(mini_batch_size=5),
        code_dir=code_dir,
    )

    assert (summary.succeeded_items, summary.failed_items, summary.retries) == (1, 4, 0)
    assert summary.errors == ["mini-batch 0: run() returned 1 results for 5 items"]
    written = read_predictions(summary)
    assert list(written.columns) == ["prediction"]
    assert Path(written["prediction"][0]).name == "part_00.csv"


RAISING_SCRIPT = """
    from pathlib import Path

    def run(mini_batch):
        if any(Path(p).name == "part_04.csv" for p in mini_batch):
            with open(Path(mini_batch[0]).parents[1] / "attempts.log", "a") as log:
                log.write("attempt\\n")
            raise ValueError("cannot score part_04.csv")
        return [Path(p).name for p in mini_batch]
"""


@pytest.mark.parametrize(("threshold", "status"), [(-1, "Completed"), (0, "Failed")])
def test_raising_mini_batch_is_retried_then_its_items_fail(
    tmp_path: Path, threshold: int, status: str
) -> None:
    write_csv_folder(tmp_path / "input", 9)
    code_dir = write_script(tmp_path / "src", RAISING_SCRIPT)
    settings = script_spec(
        mini_batch_size=3, error_threshold=threshold, retry_settings={"max_retries": 2}
    )

    summary = run_batch_scoring(
        model_dir=None,
        input_path=tmp_path / "input",
        input_type="uri_folder",
        output_dir=tmp_path / "out",
        settings=settings,
        code_dir=code_dir,
    )

    assert (tmp_path / "attempts.log").read_text().count("attempt") == 3
    assert (summary.status, summary.retries, summary.failed_items) == (status, 2, 3)
    assert summary.failed_mini_batches == 1
    assert summary.errors == [
        "mini-batch 1: failed after 3 attempts: ValueError: cannot score part_04.csv"
    ]
    written = read_predictions(summary)
    # Past the threshold nothing more is scheduled: mini-batch 2 never runs.
    expected = [0, 1, 2, 6, 7, 8] if threshold < 0 else [0, 1, 2]
    assert list(written["prediction"]) == [f"part_{i:02d}.csv" for i in expected]
    assert summary.succeeded_items == len(expected)


def test_mini_batch_past_its_timeout_is_killed_retried_and_failed(tmp_path: Path) -> None:
    write_csv_folder(tmp_path / "input", 6)
    code_dir = write_script(
        tmp_path / "src",
        """
        import os, time
        from pathlib import Path

        def run(mini_batch):
            if any(p.endswith("part_02.csv") for p in mini_batch):
                pids = Path(mini_batch[0]).parents[1] / "slow_pids.txt"
                with open(pids, "a") as out:
                    out.write(f"{os.getpid()}\\n")
                time.sleep(60)
            return [Path(p).name for p in mini_batch]
        """,
    )
    settings = script_spec(mini_batch_size=2, retry_settings={"max_retries": 1, "timeout": 1})

    summary = run_batch_scoring(
        model_dir=None,
        input_path=tmp_path / "input",
        input_type="uri_folder",
        output_dir=tmp_path / "out",
        settings=settings,
        code_dir=code_dir,
    )

    assert (summary.status, summary.succeeded_items, summary.failed_items) == ("Completed", 4, 2)
    assert (summary.retries, summary.failed_mini_batches) == (1, 1)
    assert summary.errors == ["mini-batch 1: failed after 2 attempts: timed out after 1 s"]
    assert summary.elapsed_s < 6
    slow_pids = [int(pid) for pid in (tmp_path / "slow_pids.txt").read_text().split()]
    assert len(set(slow_pids)) == 2  # each attempt ran in a fresh worker
    for pid in slow_pids:  # the hung workers were really stopped
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    written = read_predictions(summary)
    assert list(written["prediction"]) == [
        "part_00.csv",
        "part_01.csv",
        "part_04.csv",
        "part_05.csv",
    ]


def test_mini_batch_whose_worker_dies_is_retried_in_a_new_worker(tmp_path: Path) -> None:
    write_csv_folder(tmp_path / "input", 4)
    code_dir = write_script(
        tmp_path / "src",
        """
        import os, signal

        def run(mini_batch):
            if mini_batch[0].endswith("part_01.csv"):
                os._exit(3)
            if mini_batch[0].endswith("part_02.csv"):
                os.kill(os.getpid(), signal.SIGKILL)
            return mini_batch
        """,
    )

    summary = run_batch_scoring(
        model_dir=None,
        input_path=tmp_path / "input",
        input_type="uri_folder",
        output_dir=tmp_path / "out",
        settings=script_spec(mini_batch_size=1, retry_settings={"max_retries": 1}),
        code_dir=code_dir,
    )

    assert (summary.succeeded_items, summary.failed_items, summary.retries) == (2, 2, 2)
    assert summary.errors == [
        "mini-batch 1: failed after 2 attempts: the worker process exited with code 3",
        "mini-batch 2: failed after 2 attempts: the worker process was killed by signal 9",
    ]


def test_summary_only_writes_no_predictions_file(tmp_path: Path) -> None:
    write_csv_folder(tmp_path / "input", 4)
    code_dir = write_script(tmp_path / "src", "def run(mini_batch):\n    return mini_batch\n")

    summary = run_batch_scoring(
        model_dir=None,
        input_path=tmp_path / "input",
        input_type="uri_folder",
        output_dir=tmp_path / "out",
        settings=script_spec(output_action="summary_only"),
        code_dir=code_dir,
    )

    assert (summary.status, summary.succeeded_items, summary.output_file) == ("Completed", 4, None)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [SUMMARY_FILE]


def test_failing_init_fails_the_job(tmp_path: Path) -> None:
    write_csv_folder(tmp_path / "input", 4)
    code_dir = write_script(
        tmp_path / "src",
        "def init():\n    raise RuntimeError('no weights')\n\ndef run(mini_batch):\n    return []\n",
    )

    summary = run_batch_scoring(
        model_dir=None,
        input_path=tmp_path / "input",
        input_type="uri_folder",
        output_dir=tmp_path / "out",
        settings=script_spec(),
        code_dir=code_dir,
    )

    assert (summary.status, summary.succeeded_items, summary.failed_items) == ("Failed", 0, 0)
    assert summary.errors == [
        "the model or scoring script failed to load: RuntimeError: no weights"
    ]


@pytest.mark.parametrize(
    ("input_type", "problem"),
    [("uri_file", "not an existing file"), ("mltable", "no MLTable file")],
)
def test_unusable_input_raises_before_anything_runs(
    tmp_path: Path, input_type: str, problem: str
) -> None:
    code_dir = write_script(tmp_path / "src", "def run(mini_batch):\n    return mini_batch\n")
    (tmp_path / "input").mkdir()

    with pytest.raises(BatchInputError, match=problem):
        run_batch_scoring(
            model_dir=None,
            input_path=tmp_path / "input",
            input_type=input_type,  # type: ignore[arg-type]
            output_dir=tmp_path / "out",
            settings=script_spec(),
            code_dir=code_dir,
        )
    assert not (tmp_path / "out").exists()


def test_model_folder_without_mlmodel_or_script_is_rejected(tmp_path: Path) -> None:
    write_csv_folder(tmp_path / "input", 1)
    with pytest.raises(BatchInputError, match="not an MLflow model folder"):
        run_batch_scoring(
            model_dir=tmp_path,
            input_path=tmp_path / "input",
            input_type="uri_folder",
            output_dir=tmp_path / "out",
            settings=spec(),
        )


def cli_args(tmp_path: Path, settings: BatchDeploymentSpec, **changes: str) -> list[str]:
    (tmp_path / "settings.json").write_text(settings.model_dump_json())
    args = {
        "--code-dir": str(tmp_path / "src"),
        "--input": str(tmp_path / "input"),
        "--input-type": "uri_folder",
        "--output": str(tmp_path / "out"),
        "--settings": str(tmp_path / "settings.json"),
        **changes,
    }
    return [item for pair in args.items() for item in pair]


def test_main_prints_progress_and_returns_0_when_completed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv_folder(tmp_path / "input", 25)
    write_script(tmp_path / "src", "def run(mini_batch):\n    return mini_batch\n")

    assert main(cli_args(tmp_path, script_spec(mini_batch_size=10))) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        "[1/3 mini-batches] 10 succeeded, 0 failed",
        "[2/3 mini-batches] 20 succeeded, 0 failed",
        "[3/3 mini-batches] 25 succeeded, 0 failed",
    ]
    assert lines[3].startswith("Batch scoring Completed: 25 of 25 items succeeded, 0 failed")
    assert len(pd.read_csv(tmp_path / "out" / "predictions.csv")) == 25


def test_main_returns_1_when_the_error_threshold_is_exceeded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv_folder(tmp_path / "input", 9)
    write_script(tmp_path / "src", RAISING_SCRIPT)
    settings = script_spec(mini_batch_size=3, error_threshold=2, retry_settings={"max_retries": 0})

    assert main(cli_args(tmp_path, settings)) == 1

    assert "Batch scoring Failed: 3 of 9 items succeeded, 3 failed" in capsys.readouterr().out
    saved = json.loads((tmp_path / "out" / SUMMARY_FILE).read_text())
    assert saved["status"] == "Failed"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"--input": "missing"}, "uri_folder input is not an existing folder"),
        ({"--settings": "nowhere.json"}, "cannot read settings"),
        ({"--model-dir": "no-model"}, "model path does not exist"),
        ({"--input-type": "tabular"}, "invalid choice: 'tabular'"),
    ],
)
def test_main_returns_2_with_one_message_for_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, str], message: str
) -> None:
    write_script(tmp_path / "src", "def run(mini_batch):\n    return mini_batch\n")
    changes = {k: str(tmp_path / v) if k != "--input-type" else v for k, v in changes.items()}

    assert main(cli_args(tmp_path, script_spec(), **changes)) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err


def test_main_rejects_settings_that_are_not_a_deployment_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "input").mkdir()
    args = cli_args(tmp_path, script_spec())
    (tmp_path / "settings.json").write_text(json.dumps({"mini_batch_size": 0}))

    assert main(args) == 2
    assert "cannot read settings" in capsys.readouterr().err


def test_main_logs_counts_to_the_jobs_mlflow_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv_folder(tmp_path / "input", 3)
    write_script(tmp_path / "src", "def run(mini_batch):\n    return mini_batch[:-1]\n")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    tracking = mlflow.MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri())
    run = tracking.create_run(tracking.create_experiment("batch"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_RUN_ID", run.info.run_id)

    assert main(cli_args(tmp_path, script_spec())) == 0

    metrics = tracking.get_run(run.info.run_id).data.metrics
    assert metrics == {
        "succeeded_items": 2.0,
        "failed_items": 1.0,
        "failed_mini_batches": 1.0,
        "retries": 0.0,
    }
    assert mlflow.active_run() is None  # the job's run stays the job's to end


def test_main_warns_when_metrics_cannot_be_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write_csv_folder(tmp_path / "input", 1)
    write_script(tmp_path / "src", "def run(mini_batch):\n    return mini_batch\n")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_RUN_ID", "no-such-run")

    with caplog.at_level(logging.WARNING, logger="opsloop.serving.batch.scoring"):
        assert main(cli_args(tmp_path, script_spec())) == 0
    assert "could not log batch scoring metrics" in caplog.text


# The old name too: batch endpoint jobs created before the move store it as their command.
@pytest.mark.parametrize(
    "module",
    ["opsloop.serving.batch", "opsloop.serving.batch.scoring", "opsloop.serving.batch_scoring"],
)
def test_module_runs_as_a_command(tmp_path: Path, module: str) -> None:
    write_csv_folder(tmp_path / "input", 3)
    write_script(tmp_path / "src", "def run(mini_batch):\n    return mini_batch\n")
    command = [sys.executable, "-m", module]

    done = subprocess.run(
        command + cli_args(tmp_path, script_spec(mini_batch_size=2)),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [
        "[1/2 mini-batches] 2 succeeded, 0 failed",
        "[2/2 mini-batches] 3 succeeded, 0 failed",
    ]
    assert len(pd.read_csv(tmp_path / "out" / "predictions.csv")) == 3


LOGGING_SCRIPT = """
    import logging

    log = logging.getLogger("score")

    def run(mini_batch):
        log.debug("debug from run")
        log.warning("warning from run")
        return mini_batch
"""


@pytest.mark.parametrize(
    ("level", "shown", "hidden"),
    [("warning", ["warning from run"], ["debug from run", "scoring 2 items"]),
     ("DEBUG", ["warning from run", "debug from run", "scoring 2 items"], [])],
)  # fmt: skip
def test_logging_level_filters_the_job_and_worker_logs(
    tmp_path: Path, level: str, shown: list[str], hidden: list[str]
) -> None:
    write_csv_folder(tmp_path / "input", 2)
    write_script(tmp_path / "src", LOGGING_SCRIPT)
    command = [sys.executable, "-m", "opsloop.serving.batch.scoring"]
    arguments = cli_args(tmp_path, script_spec(logging_level=level))
    done = subprocess.run([*command, *arguments], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for text in shown:
        assert text in done.stderr, (text, done.stderr)
    for text in hidden:
        assert text not in done.stderr, (text, done.stderr)
