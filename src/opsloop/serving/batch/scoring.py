"""The batch scoring engine behind batch endpoints, in Azure ML's batch deployment shape.

An invocation of a batch endpoint runs as a command job::

    python -m opsloop.serving.batch --model-dir D [--code-dir C] --input P \\
        --input-type uri_folder --output O --settings settings.json

(``python -m opsloop.serving.batch.scoring`` and the older ``opsloop.serving.batch_scoring``
run the same, for jobs stored with those commands.) The input is cut into mini-batches
(files for folder input, rows for mltable input; see splitting for fewer mini-batches than
workers) that ``max_concurrency_per_instance`` worker processes score with the MLflow model,
by the runtime ``inference_runtime`` chooses as for online deployments, or with the
deployment's scoring script. A mini-batch that raises or runs past
``retry_settings.timeout`` is retried ``max_retries`` times (a late one by killing its
worker), then all its items count as failed; the job fails once more than
``error_threshold`` items failed. ``append_row`` writes the predictions, in input order, to
``<output>/<output_file_name>`` (Parquet for a ``.parquet`` name, CSV otherwise), each
worker encoding its own; ``<output>/batch_summary.json`` is always written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, NoReturn

from opsloop.errors import ValidationError
from opsloop.scoring.runtime_choice import RuntimeChoice, choose_runtime
from opsloop.security.secret_references import referenced_names
from opsloop.serving.batch.inputs import (
    INPUT_TYPES,
    BatchInputError,
    InputType,
    MiniBatch,
    plan_mini_batches,
)
from opsloop.serving.batch.output import PredictionWriter, output_format
from opsloop.serving.batch.pool import Event, Finished, InitFailed, WorkerPool
from opsloop.serving.batch.tally import ProgressUpdate, Tally
from opsloop.serving.batch.worker import MetricsRequest, Outcome, WorkerConfig, log_job_metrics
from opsloop.specs.endpoint import BatchDeploymentSpec

log = logging.getLogger("opsloop.serving.batch.scoring")

SUMMARY_FILE = "batch_summary.json"
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
    runtime: str = "script"  # what scored: onnx, the model's own flavor, or the script
    runtime_reason: str = ""
    rows: int = 0  # rows an MLflow model predicted
    # Summed over the workers: reading inputs, predicting, encoding predictions.
    worker_seconds: dict[str, float] = field(default_factory=dict)


def run_batch_scoring(
    *,
    model_dir: Path | None,
    input_path: Path,
    input_type: InputType,
    output_dir: Path,
    settings: BatchDeploymentSpec,
    code_dir: Path | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
    metrics_run_id: str | None = None,
) -> BatchSummary:
    """Score ``input_path`` and write the outputs; raises BatchInputError when nothing can run.

    ``metrics_run_id``: the MLflow run (the job's) that gets the counts as metrics."""
    started = time.monotonic()
    log.setLevel(settings.logging_level.upper())
    with tempfile.TemporaryDirectory(prefix="opsloop-batch-") as scratch:
        config, choice = _worker_config(model_dir, code_dir, settings, Path(scratch))
        batches, total_items = plan_mini_batches(
            Path(input_path).absolute(),
            input_type,
            settings.mini_batch_size,
            cut_for_workers=settings.max_concurrency_per_instance if config.script is None else 0,
        )
        output_dir.mkdir(parents=True, exist_ok=True)
        log.info("scoring %d items in %d mini-batches", total_items, len(batches))
        tally = Tally(len(batches), settings.error_threshold)
        writer = None
        if settings.output_action == "append_row":
            path = output_dir / settings.output_file_name
            writer = PredictionWriter(path, output_format(settings.output_file_name))
        if batches:
            scoring = _Scoring(settings, tally, writer, progress or (lambda _u: None))
            scoring.run(batches, config, metrics_run_id)
        else:
            _log_metrics(None, tally, metrics_run_id)
        if writer is not None:
            writer.close()
    _log_worker_seconds(tally)
    summary = BatchSummary(
        total_items=total_items,
        succeeded_items=tally.succeeded,
        failed_items=tally.failed,
        mini_batches=len(batches),
        failed_mini_batches=tally.failed_batches,
        retries=tally.retries,
        elapsed_s=round(time.monotonic() - started, 3),
        output_file=str(writer.path) if writer else None,
        errors=tally.errors,
        status="Failed" if tally.stopped else "Completed",
        runtime=choice.runtime,
        runtime_reason=choice.reason,
        rows=tally.rows,
        worker_seconds={phase: round(s, 3) for phase, s in tally.seconds.items()},
    )
    (output_dir / SUMMARY_FILE).write_text(json.dumps(asdict(summary), indent=2) + "\n")
    return summary


def _worker_config(
    model_dir: Path | None, code_dir: Path | None, settings: BatchDeploymentSpec, scratch: Path
) -> tuple[WorkerConfig, RuntimeChoice]:
    """Check the model and script up front: a bad argument must not become N worker crashes.

    The runtime is chosen as online deployments choose it (``runtime_choice``), once here:
    each worker then loads what was chosen."""
    script = _scoring_script(code_dir, settings)
    model = _model_path(model_dir, mlflow_model=script is None)
    try:
        choice = choose_runtime(
            settings.inference_runtime, model, scratch, scoring_script=script is not None
        )
    except ValidationError as exc:
        raise BatchInputError(str(exc)) from exc
    log.info("inference runtime %s (%s)", choice.runtime, choice.reason)
    # A variable that refers to a secret (${{secrets.NAME}}) was put into this process's
    # environment, with its value, by the job's runner: the reference must not replace it.
    spec_env = settings.environment_variables
    env = {**os.environ, **{k: v for k, v in spec_env.items() if not referenced_names(v)}}
    if model is not None:  # Azure scoring scripts find their model through this variable
        env |= {"AZUREML_MODEL_DIR": str(model), "OPSLOOP_MODEL_DIR": str(model)}
    config = WorkerConfig(
        model_dir=model,
        script=script,
        keep_rows=settings.output_action == "append_row",
        env=env,
        cwd=os.getcwd(),
        logging_level=settings.logging_level,
        output_format=output_format(settings.output_file_name),
        runtime=choice.runtime,
        onnx_path=choice.onnx_path,
    )
    return config, choice


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


@dataclass
class _Scoring:
    """The scheduling loop: mini-batches to idle workers, events into the tally and file."""

    settings: BatchDeploymentSpec
    tally: Tally
    writer: PredictionWriter | None
    progress: Callable[[ProgressUpdate], None]

    def run(self, batches: list[MiniBatch], config: WorkerConfig, run_id: str | None) -> None:
        settings, tally = self.settings, self.tally
        pending, attempts = deque(batches), dict.fromkeys(range(len(batches)), 0)
        size = min(settings.max_concurrency_per_instance, len(batches))
        with WorkerPool(config, size, settings.retry_settings.timeout) as pool:
            while (pending or pool.busy) and not tally.stopped:
                for worker in pool.idle()[: len(pending)]:
                    pool.submit(worker, pending.popleft())
                # Every event is accounted for, even past the threshold: those results exist.
                for event in pool.wait():
                    if (done := _record(event, settings, tally, attempts, pending)) is None:
                        continue
                    if self.writer is not None:
                        self.writer.add(done[0].index, done[1].chunk)
                    self.progress(tally.progress())
            _log_metrics(pool, tally, run_id)


def _record(
    event: Event,
    settings: BatchDeploymentSpec,
    tally: Tally,
    attempts: dict[int, int],
    pending: deque[MiniBatch],
) -> tuple[MiniBatch, Outcome] | None:
    """Account for one event; the mini-batch and its outcome when it finished one."""
    if isinstance(event, InitFailed):
        tally.fatal = True
        tally.error(f"the model or scoring script failed to load: {event.reason}")
        return None
    if isinstance(event, Finished):
        tally.finish(event.batch, event.outcome)
        return event.batch, event.outcome
    batch = event.batch
    attempts[batch.index] += 1
    if attempts[batch.index] <= settings.retry_settings.max_retries:
        log.warning("mini-batch %d failed (%s); retrying", batch.index, event.reason)
        tally.retries += 1
        pending.appendleft(batch)  # first in line, so a late mini-batch is not starved
        return None
    reason = f"failed after {attempts[batch.index]} attempts: {event.reason}"
    outcome = Outcome.all_failed(batch, reason)
    tally.finish(batch, outcome)
    return batch, outcome


def _log_worker_seconds(tally: Tally) -> None:
    if tally.seconds:
        spent = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in tally.seconds.items())
        log.info("workers scored %d rows: %s (summed over workers)", tally.rows, spent)


# ---- command line -------------------------------------------------------------------
class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m opsloop.serving.batch", description="Run a batch scoring job.")
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
            metrics_run_id=os.environ.get("MLFLOW_RUN_ID"),
        )
    except (_UsageError, BatchInputError) as exc:
        print(f"batch scoring: error: {exc}", file=sys.stderr, flush=True)
        return 2
    print(_summary_line(summary), flush=True)
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


def _log_metrics(pool: WorkerPool | None, tally: Tally, run_id: str | None) -> None:
    """Inside an opsloop job the counts also become metrics of the job's MLflow run, logged
    by a worker (which has mlflow imported) when one is left, by this process otherwise."""
    if not run_id:
        return
    metrics = {
        "succeeded_items": float(tally.succeeded),
        "failed_items": float(tally.failed),
        "failed_mini_batches": float(tally.failed_batches),
        "retries": float(tally.retries),
    }
    request = MetricsRequest(run_id, metrics)
    problem = pool.log_metrics(request) if pool is not None else "no pool"
    if problem is not None:
        problem = log_job_metrics(run_id, metrics)
    if problem is not None:
        log.warning("could not log batch scoring metrics to MLflow run %s: %s", run_id, problem)


if __name__ == "__main__":
    sys.exit(main())
