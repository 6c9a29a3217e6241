"""The worker process of batch scoring: load the model or scoring script once, then score.

A worker talks to the parent over its own pipe only. A shared queue would be unsafe here:
the parent kills workers whose mini-batch runs past its timeout, and a process killed while
holding a shared queue's lock leaves that queue unusable for everyone else.

Protocol (worker -> parent): ``("ready",)`` or ``("init_failed", message)`` once, then per
mini-batch ``("done", Outcome)`` or ``("error", message)``. Parent -> worker: a
``MiniBatch``, or ``None`` to stop. mlflow is imported only by workers that load an MLflow
model, because importing it takes seconds and scoring scripts rarely need it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
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


@dataclass(frozen=True)
class Outcome:
    """The result of one mini-batch attempt that did not raise."""

    succeeded: int
    failed: int
    frame: pd.DataFrame | None = None  # predictions, when keep_rows
    errors: list[str] = field(default_factory=list)  # per-item problems, for the summary


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
        if not _send(conn, _score(scorer, batch)):
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
        return ScriptScorer(config.script, config.keep_rows)
    assert config.model_dir is not None  # checked by the parent before starting workers
    return MlflowScorer(config.model_dir, config.keep_rows)


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

    def __init__(self, script: Path, keep_rows: bool) -> None:
        self.module = _import_script(script)
        self.keep_rows = keep_rows
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
        return Outcome(succeeded, batch.size - succeeded, frame if self.keep_rows else None, errors)

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
    """An MLflow model scored without a script, the way Azure scores MLflow deployments."""

    def __init__(self, model_dir: Path, keep_rows: bool) -> None:
        import mlflow.pyfunc  # seconds to import: only workers that need it pay

        self.model = mlflow.pyfunc.load_model(str(model_dir))
        self.widen = SignatureWidening(self.model.metadata.get_input_schema())
        self.keep_rows = keep_rows

    def score(self, batch: MiniBatch) -> Outcome:
        if batch.files is None:
            rows = batch.payload
            assert isinstance(rows, pd.DataFrame)
            frame = predictions(self.model.predict(self.widen(rows)), len(rows))
            frame.insert(0, "row", range(batch.first_row, batch.first_row + len(rows)))
            return Outcome(len(rows), 0, frame if self.keep_rows else None)
        return self._score_files(batch.files)

    def _score_files(self, files: list[str]) -> Outcome:
        # A file that cannot be read or scored is one failed item; retrying would not help.
        frames, errors = [], []
        for path in files:
            try:
                table = read_item_file(Path(path))
                frame = predictions(self.model.predict(self.widen(table)), len(table))
            except Exception as exc:
                errors.append(f"{Path(path).name}: {describe(exc)}")
                continue
            frame.insert(0, "file", Path(path).name)
            frames.append(frame)
        frame = pd.concat(frames, ignore_index=True) if frames and self.keep_rows else None
        return Outcome(len(frames), len(errors), frame, errors)

    def shutdown(self) -> None:
        pass


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
