"""The batch scoring engine behind batch endpoints, in Azure ML's batch deployment shape.

An invocation of a batch endpoint runs as a command job::

    python -m opsloop.serving.batch.scoring --model-dir D [--code-dir C] --input P \\
        --input-type uri_folder --output O --settings settings.json

The input is cut into mini-batches (files for folder input, rows for mltable input) that
``max_concurrency_per_instance`` worker processes score with the MLflow model or the
deployment's scoring script. A mini-batch that raises or runs past
``retry_settings.timeout`` is retried ``max_retries`` times (a late one by killing its
worker), then all its items count as failed; the job fails once more than
``error_threshold`` items failed. ``append_row`` writes the predictions, in input order, to
``<output>/<output_file_name>``; ``<output>/batch_summary.json`` is always written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, NoReturn

import pandas as pd

from opsloop.serving.batch.inputs import (
    INPUT_TYPES,
    BatchInputError,
    InputType,
    MiniBatch,
    plan_mini_batches,
)
from opsloop.serving.batch.pool import Event, Finished, InitFailed, WorkerPool
from opsloop.serving.batch.worker import Outcome, WorkerConfig
from opsloop.specs.endpoint import BatchDeploymentSpec

log = logging.getLogger("opsloop.serving.batch.scoring")

SUMMARY_FILE = "batch_summary.json"
MAX_ERRORS = 20  # kept in the summary; every error is logged
MLMODEL_FILE = "MLmodel"

__all__ = [
    "SUMMARY_FILE",
    "BatchInputError",
    "BatchSummary",
    "ProgressUpdate",
    "main",
    "run_batch_scoring",
]


@dataclass
class BatchSummary:
    """The job's result; also written as JSON to ``<output>/batch_summary.json``.

    When the job stops early (error threshold exceeded, model failed to load) the
    mini-batches never scored count neither as succeeded nor as failed.
    """

    total_items: int
    succeeded_items: int
    failed_items: int
    mini_batches: int
    failed_mini_batches: int  # mini-batches with at least one failed item
    retries: int
    elapsed_s: float
    output_file: str | None
    errors: list[str]  # the first MAX_ERRORS, each naming its mini-batch
    status: Literal["Completed", "Failed"]


@dataclass(frozen=True)
class ProgressUpdate:
    done_mini_batches: int
    total_mini_batches: int
    succeeded_items: int
    failed_items: int


@dataclass
class _Tally:
    """Counts and predictions gathered while mini-batches finish, in any order."""

    total_mini_batches: int
    error_threshold: int
    succeeded: int = 0
    failed: int = 0
    done: int = 0
    failed_batches: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    frames: dict[int, pd.DataFrame] = field(default_factory=dict)
    fatal: bool = False

    @property
    def stopped(self) -> bool:
        over = self.error_threshold >= 0 and self.failed > self.error_threshold
        return self.fatal or over

    def finish(self, batch: MiniBatch, outcome: Outcome) -> None:
        self.done += 1
        self.succeeded += outcome.succeeded
        self.failed += outcome.failed
        self.failed_batches += int(outcome.failed > 0)
        for message in outcome.errors:
            self.error(f"mini-batch {batch.index}: {message}")
        if outcome.frame is not None:
            self.frames[batch.index] = outcome.frame

    def error(self, message: str) -> None:
        log.error("%s", message)
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def progress(self) -> ProgressUpdate:
        return ProgressUpdate(self.done, self.total_mini_batches, self.succeeded, self.failed)


def run_batch_scoring(
    *,
    model_dir: Path | None,
    input_path: Path,
    input_type: InputType,
    output_dir: Path,
    settings: BatchDeploymentSpec,
    code_dir: Path | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
) -> BatchSummary:
    """Score ``input_path`` and write the outputs; raises BatchInputError when nothing can run."""
    started = time.monotonic()
    log.setLevel(settings.logging_level.upper())
    config = _worker_config(model_dir, code_dir, settings)
    batches, total_items = plan_mini_batches(
        Path(input_path).absolute(), input_type, settings.mini_batch_size
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    log.info("scoring %d items in %d mini-batches", total_items, len(batches))
    tally = _Tally(len(batches), settings.error_threshold)
    if batches:
        _score_all(batches, config, settings, tally, progress or (lambda _update: None))
    output_file = _write_predictions(output_dir, settings, tally)
    summary = BatchSummary(
        total_items=total_items,
        succeeded_items=tally.succeeded,
        failed_items=tally.failed,
        mini_batches=len(batches),
        failed_mini_batches=tally.failed_batches,
        retries=tally.retries,
        elapsed_s=round(time.monotonic() - started, 3),
        output_file=str(output_file) if output_file else None,
        errors=tally.errors,
        status="Failed" if tally.stopped else "Completed",
    )
    (output_dir / SUMMARY_FILE).write_text(json.dumps(asdict(summary), indent=2) + "\n")
    return summary


def _worker_config(
    model_dir: Path | None, code_dir: Path | None, settings: BatchDeploymentSpec
) -> WorkerConfig:
    """Check the model and script up front: a bad argument must not become N worker crashes."""
    script = _scoring_script(code_dir, settings)
    model = _model_path(model_dir, mlflow_model=script is None)
    env = {**os.environ, **settings.environment_variables}
    if model is not None:  # Azure scoring scripts find their model through this variable
        env |= {"AZUREML_MODEL_DIR": str(model), "OPSLOOP_MODEL_DIR": str(model)}
    return WorkerConfig(
        model_dir=model,
        script=script,
        keep_rows=settings.output_action == "append_row",
        env=env,
        cwd=os.getcwd(),
        logging_level=settings.logging_level,
    )


def _scoring_script(code_dir: Path | None, settings: BatchDeploymentSpec) -> Path | None:
    if settings.code_configuration is None:
        return None
    folder = Path(code_dir or settings.code_configuration.code)
    script = (folder / settings.code_configuration.scoring_script).absolute()
    if not script.is_file():
        raise BatchInputError(f"{script}: scoring script does not exist")
    return script


def _model_path(model_dir: Path | None, mlflow_model: bool) -> Path | None:
    """The model's absolute path; without a scoring script it must be an MLflow model."""
    if mlflow_model and (model_dir is None or not (Path(model_dir) / MLMODEL_FILE).is_file()):
        raise BatchInputError(
            f"{model_dir}: not an MLflow model folder (no {MLMODEL_FILE} file), and the "
            "deployment has no code_configuration with a scoring script"
        )
    if model_dir is None:
        return None
    if not Path(model_dir).exists():
        raise BatchInputError(f"{model_dir}: model path does not exist")
    return Path(model_dir).absolute()


def _score_all(
    batches: list[MiniBatch],
    config: WorkerConfig,
    settings: BatchDeploymentSpec,
    tally: _Tally,
    progress: Callable[[ProgressUpdate], None],
) -> None:
    pending, attempts = deque(batches), dict.fromkeys(range(len(batches)), 0)
    size = min(settings.max_concurrency_per_instance, len(batches))
    with WorkerPool(config, size, settings.retry_settings.timeout) as pool:
        while (pending or pool.busy) and not tally.stopped:
            for worker in pool.idle()[: len(pending)]:
                pool.submit(worker, pending.popleft())
            # Every event is accounted for, even past the threshold: those results exist.
            for event in pool.wait():
                if _record(event, settings, tally, attempts, pending):
                    progress(tally.progress())


def _record(
    event: Event,
    settings: BatchDeploymentSpec,
    tally: _Tally,
    attempts: dict[int, int],
    pending: deque[MiniBatch],
) -> bool:
    """Account for one event; True when it finished a mini-batch."""
    if isinstance(event, InitFailed):
        tally.fatal = True
        tally.error(f"the model or scoring script failed to load: {event.reason}")
        return False
    if isinstance(event, Finished):
        tally.finish(event.batch, event.outcome)
        return True
    batch = event.batch
    attempts[batch.index] += 1
    if attempts[batch.index] <= settings.retry_settings.max_retries:
        log.warning("mini-batch %d failed (%s); retrying", batch.index, event.reason)
        tally.retries += 1
        pending.appendleft(batch)  # first in line, so a late mini-batch is not starved
        return False
    reason = f"failed after {attempts[batch.index]} attempts: {event.reason}"
    tally.finish(batch, Outcome(0, batch.size, errors=[reason]))
    return True


def _write_predictions(
    output_dir: Path, settings: BatchDeploymentSpec, tally: _Tally
) -> Path | None:
    """Predictions in input order, whatever order the workers finished in."""
    if settings.output_action != "append_row":
        return None
    path = output_dir / settings.output_file_name
    frames = [tally.frames[index] for index in sorted(tally.frames)]
    if frames:
        pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    else:
        path.write_text("")  # nothing succeeded; the file still exists where promised
    return path


# ---- command line -------------------------------------------------------------------
class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m opsloop.serving.batch.scoring", description="Run a batch scoring job."
    )
    parser.add_argument("--model-dir", type=Path, help="model folder (an MLflow model or files)")
    parser.add_argument("--code-dir", type=Path, help="folder holding the scoring script")
    parser.add_argument("--input", type=Path, required=True, help="input file or folder")
    parser.add_argument("--input-type", choices=INPUT_TYPES, default="uri_folder")
    parser.add_argument("--output", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--settings", type=Path, required=True, help="JSON of the batch deployment spec"
    )
    return parser


def load_settings(path: Path) -> BatchDeploymentSpec:
    """The deployment spec as JSON (``BatchDeploymentSpec.model_dump_json()``)."""
    try:
        return BatchDeploymentSpec.model_validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise _UsageError(f"cannot read settings {path}: {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    """Exit code 0: Completed; 1: Failed; 2: bad arguments (one message on stderr)."""
    try:
        args = _parser().parse_args(argv)
        settings = load_settings(args.settings)
        logging.basicConfig(
            level=settings.logging_level.upper(),
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        summary = run_batch_scoring(
            model_dir=args.model_dir,
            input_path=args.input,
            input_type=args.input_type,
            output_dir=args.output,
            settings=settings,
            code_dir=args.code_dir,
            progress=_print_progress,
        )
    except (_UsageError, BatchInputError) as exc:
        print(f"batch scoring: error: {exc}", file=sys.stderr, flush=True)
        return 2
    print(_summary_line(summary), flush=True)
    _log_metrics(summary)
    return 0 if summary.status == "Completed" else 1


def _print_progress(update: ProgressUpdate) -> None:
    width = len(str(update.total_mini_batches))
    print(
        f"[{update.done_mini_batches:>{width}}/{update.total_mini_batches} mini-batches] "
        f"{update.succeeded_items} succeeded, {update.failed_items} failed",
        flush=True,
    )


def _summary_line(summary: BatchSummary) -> str:
    output = f"; predictions in {summary.output_file}" if summary.output_file else ""
    return (
        f"Batch scoring {summary.status}: {summary.succeeded_items} of {summary.total_items} "
        f"items succeeded, {summary.failed_items} failed, {summary.failed_mini_batches} of "
        f"{summary.mini_batches} mini-batches failed, {summary.retries} retries, "
        f"{summary.elapsed_s:.1f} s{output}"
    )


def _log_metrics(summary: BatchSummary) -> None:
    """Inside an opsloop job the counts also become metrics of the job's MLflow run."""
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if not run_id:
        return
    metrics = {
        "succeeded_items": summary.succeeded_items,
        "failed_items": summary.failed_items,
        "failed_mini_batches": summary.failed_mini_batches,
        "retries": summary.retries,
    }
    try:
        import mlflow

        # run_id= logs to the job's run without making it this process's active run.
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, run_id=run_id)
    except Exception as exc:
        log.warning("could not log batch scoring metrics to MLflow run %s: %s", run_id, exc)


if __name__ == "__main__":
    sys.exit(main())
