"""The worker process of batch scoring: load the model or scoring script once, then score.

A worker talks to the parent over its own pipe only. A shared queue would be unsafe here:
the parent kills workers whose mini-batch runs past its timeout, and a process killed while
holding a shared queue's lock leaves that queue unusable for everyone else.

Protocol (worker -> parent): ``("ready",)`` or ``("init_failed", message)`` once, then per
mini-batch ``("done", Outcome)`` or ``("error", message)``, and ``("logged", problem)`` for a
``MetricsRequest``. Parent -> worker: a ``MiniBatch``, a ``MetricsRequest``, or ``None`` to
stop. mlflow is imported only by workers that load an MLflow
model, because importing it takes seconds and scoring scripts rarely need it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import pandas as pd

from opsloop.scoring.signature_types import SignatureWidening, schema_problem
from opsloop.serving.batch.inputs import MiniBatch, read_item_file
from opsloop.serving.batch.output import Chunk, OutputFormat, encode
from opsloop.serving.batch.splitting import FileRange, read_range

log = logging.getLogger("opsloop.serving.batch.scoring")
_SCRIPT_MODULE = "opsloop_batch_scoring_script"


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs, sent once when it starts."""

    model_dir: Path | None
    script: Path | None  # the scoring script; None scores the MLflow model in model_dir
    keep_rows: bool  # append_row: send predictions back, not just counts
    env: dict[str, str] = field(default_factory=dict)  # the worker's whole environment
    cwd: str = "."
    logging_level: str = "info"
    output_format: OutputFormat = "csv"
    runtime: str = "pyfunc"  # runtime_choice's: onnx, or the model's own flavor via pyfunc
    onnx_path: Path | None = None  # the verified ONNX file when runtime is onnx


@dataclass(frozen=True)
class Outcome:
    """The result of one mini-batch attempt that did not raise."""

    succeeded: int
    failed: int
    chunk: Chunk | None = None  # the encoded predictions, when keep_rows
    errors: list[str] = field(default_factory=list)  # per-item problems, for the summary
    # Folder input: positions in the mini-batch's file ranges that failed.
    failed_positions: tuple[int, ...] = ()
    rows: int = 0  # rows predicted (MLflow models)
    seconds: dict[str, float] = field(default_factory=dict)  # read, predict, encode

    @classmethod
    def all_failed(cls, batch: MiniBatch, reason: str) -> Outcome:
        positions = tuple(range(len(batch.ranges))) if batch.ranges is not None else ()
        return cls(0, batch.size, errors=[reason], failed_positions=positions)


@dataclass(frozen=True)
class MetricsRequest:
    """Parent -> worker: log the job's counts to its MLflow run. A worker of an MLflow model
    has mlflow imported already; the parent would pay seconds to import it."""

    run_id: str
    metrics: dict[str, float]


def log_job_metrics(run_id: str, metrics: dict[str, float]) -> str | None:
    """Log to the job's MLflow run; None, or why it could not."""
    try:
        import mlflow

        # run_id= logs to the job's run without making it this process's active run.
        mlflow.log_metrics(metrics, run_id=run_id)
    except Exception as exc:
        return str(exc)
    return None


class Scorer(Protocol):
    def score(self, batch: MiniBatch) -> Outcome: ...

    def shutdown(self) -> None: ...


def worker_main(config: WorkerConfig, conn: Connection) -> None:
    """Entry point of a worker process."""
    _prepare_process(config)
    try:
        scorer = load_scorer(config)
    except Exception as exc:
        log.error("worker init failed:\n%s", traceback.format_exc())
        conn.send(("init_failed", describe(exc)))
        return
    conn.send(("ready",))
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):  # the parent is gone; nobody wants the results
            return
        if batch is None:
            break
        if isinstance(batch, MetricsRequest):
            answer: tuple[str, Any] = ("logged", log_job_metrics(batch.run_id, batch.metrics))
        else:
            answer = _score(scorer, batch)
        if not _send(conn, answer):
            return
    scorer.shutdown()


def _prepare_process(config: WorkerConfig) -> None:
    # A forkserver child inherits the server's environment and cwd, not the parent's now.
    os.environ.clear()
    os.environ.update(config.env)
    os.chdir(config.cwd)
    logging.basicConfig(
        level=config.logging_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s [worker %(process)d] %(name)s: %(message)s",
    )
    if config.script is not None:
        # Azure puts the code folder on sys.path so the script can import its siblings.
        sys.path.insert(0, str(config.script.parent))


def load_scorer(config: WorkerConfig) -> Scorer:
    if config.script is not None:
        return ScriptScorer(config.script, config)
    assert config.model_dir is not None  # checked by the parent before starting workers
    return MlflowScorer(config.model_dir, config)


def _score(scorer: Scorer, batch: MiniBatch) -> tuple[str, Any]:
    try:
        return ("done", scorer.score(batch))
    except Exception as exc:
        log.warning("mini-batch %d raised:\n%s", batch.index, traceback.format_exc())
        return ("error", describe(exc))


def _send(conn: Connection, message: tuple[str, Any]) -> bool:
    """Send a result; False when the parent is gone."""
    try:
        conn.send(message)
    except (EOFError, OSError):
        return False
    except Exception as exc:  # pickling failed before anything was written
        return _send(conn, ("error", f"cannot send the results back: {describe(exc)}"))
    return True


def describe(exc: BaseException) -> str:
    if type(exc).__name__ == "MlflowException":  # the reason, not the quoted data
        return f"MlflowException: {schema_problem(str(exc))}"
    return f"{type(exc).__name__}: {exc}"


class ScriptScorer:
    """An Azure-style scoring script: ``init()`` once, ``run(mini_batch)`` per mini-batch."""

    def __init__(self, script: Path, config: WorkerConfig) -> None:
        self.module = _import_script(script)
        self.keep_rows, self.output_format = config.keep_rows, config.output_format
        if not callable(getattr(self.module, "run", None)):
            raise TypeError(f"{script.name} defines no run(mini_batch) function")
        if callable(init := getattr(self.module, "init", None)):
            init()

    def score(self, batch: MiniBatch) -> Outcome:
        result = self.module.run(batch.payload)
        if result is None:
            raise TypeError("run() returned None; return a pandas DataFrame or a list")
        frame = to_frame(result)
        # Azure: each returned element is one succeeded item; the rest of the batch failed.
        succeeded = min(len(frame), batch.size)
        errors = []
        if succeeded < batch.size:
            errors.append(f"run() returned {len(frame)} results for {batch.size} items")
        chunk = encode(frame, self.output_format) if self.keep_rows else None
        return Outcome(succeeded, batch.size - succeeded, chunk, errors)

    def shutdown(self) -> None:
        if callable(shutdown := getattr(self.module, "shutdown", None)):
            shutdown()


def _import_script(script: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(_SCRIPT_MODULE, script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import scoring script {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_SCRIPT_MODULE] = module  # pickling and dataclasses look modules up here
    spec.loader.exec_module(module)
    return module


class MlflowScorer:
    """An MLflow model scored without a script, the way Azure scores MLflow deployments, by
    the runtime the parent chose (``runtime_choice``): ONNX Runtime on a float matrix, or
    the model's own flavor through pyfunc. Predictions are encoded here, in the worker."""

    def __init__(self, model_dir: Path, config: WorkerConfig) -> None:
        self.keep_rows, self.output_format = config.keep_rows, config.output_format
        self.predict = _load_model(model_dir, config)

    def score(self, batch: MiniBatch) -> Outcome:
        if batch.files is None:
            rows = batch.payload
            assert isinstance(rows, pd.DataFrame)
            started = time.perf_counter()
            frame = predictions(self.predict(rows), len(rows))
            frame.insert(0, "row", range(batch.first_row, batch.first_row + len(rows)))
            predicted = time.perf_counter()
            chunk = encode(frame, self.output_format) if self.keep_rows else None
            seconds = {"predict": predicted - started, "encode": time.perf_counter() - predicted}
            return Outcome(len(rows), 0, chunk, rows=len(rows), seconds=seconds)
        return self._score_files(batch.file_ranges())

    def _score_files(self, ranges: list[FileRange]) -> Outcome:
        # A file that cannot be read or scored is one failed item; retrying would not help.
        frames, errors, failed, seconds = [], [], [], dict.fromkeys(_PHASES, 0.0)
        for position, item in enumerate(ranges):
            name = Path(item.path).name
            try:
                started = time.perf_counter()
                table = read_item_file(Path(item.path)) if item.whole else read_range(item)
                read = time.perf_counter()
                frame = predictions(self.predict(table), len(table))
            except Exception as exc:
                where = name if item.whole else f"{name} (part {item.part + 1} of {item.parts})"
                errors.append(f"{where}: {describe(exc)}")
                failed.append(position)
                continue
            seconds["read"] += read - started
            seconds["predict"] += time.perf_counter() - read
            frame.insert(0, "file", name)
            frames.append(frame)
        rows = sum(len(frame) for frame in frames)
        started = time.perf_counter()
        chunk = None
        if frames and self.keep_rows:
            chunk = encode(pd.concat(frames, ignore_index=True), self.output_format)
        seconds["encode"] = time.perf_counter() - started
        succeeded = len(ranges) - len(failed)
        return Outcome(succeeded, len(failed), chunk, errors, tuple(failed), rows, seconds)

    def shutdown(self) -> None:
        pass


_PHASES = ("read", "predict", "encode")


def _load_model(model_dir: Path, config: WorkerConfig) -> Any:
    """A function from a table of input rows to the model's output."""
    if config.runtime == "onnx" and config.onnx_path is not None:
        from opsloop.scoring.onnx_runtime import OnnxPredictor
        from opsloop.scoring.predictors import MlflowModelInfo

        info = MlflowModelInfo.read(model_dir)
        onnx = OnnxPredictor(config.onnx_path, info)
        columns = info.input_columns

        def predict_onnx(table: pd.DataFrame) -> Any:
            if columns is not None:
                missing = [name for name in columns if name not in table.columns]
                if missing:
                    raise ValueError(f"the input lacks column(s) {', '.join(missing[:5])}")
                table = table[columns]
            return onnx.predict_matrix(table.to_numpy(dtype=np.float32))

        return predict_onnx
    import mlflow.pyfunc  # seconds to import: only workers that need it pay

    model = mlflow.pyfunc.load_model(str(model_dir))
    widen = SignatureWidening(model.metadata.get_input_schema())
    return lambda table: model.predict(widen(table))


def predictions(output: Any, rows: int) -> pd.DataFrame:
    """A model's output as a table with one row per input row."""
    frame = to_frame(output)
    if len(frame) != rows:
        raise ValueError(f"the model returned {len(frame)} predictions for {rows} rows")
    return frame


def to_frame(output: Any) -> pd.DataFrame:
    """Predictions as a table: a 1-D output is the ``prediction`` column."""
    if isinstance(output, pd.DataFrame):
        return output.reset_index(drop=True)
    if isinstance(output, dict):
        return pd.DataFrame(output)
    if isinstance(output, pd.Series | list | tuple):
        return pd.DataFrame({"prediction": list(output)})
    array = np.asarray(output)
    if array.ndim == 1:
        return pd.DataFrame({"prediction": array})
    if array.ndim == 2:
        names = ["prediction"] if array.shape[1] == 1 else None
        return pd.DataFrame(
            array, columns=names or [f"prediction_{i}" for i in range(array.shape[1])]
        )
    raise TypeError(f"cannot turn a {type(output).__name__} of shape {array.shape} into rows")
