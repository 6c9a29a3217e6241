"""A pool of batch scoring worker processes that can stop a mini-batch past its timeout.

``concurrent.futures.ProcessPoolExecutor`` cannot cancel a task that is already running, so
a hung ``run()`` would hold its worker forever. Here each worker is one process with its own
pipe; the parent tracks which mini-batch each worker holds and its deadline, and kills and
replaces a worker whose mini-batch is late (or that died), reporting the mini-batch as
crashed so the scheduler can retry it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing as mp
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from opsloop.serving.batch.inputs import MiniBatch
from opsloop.serving.batch.worker import MetricsRequest, Outcome, WorkerConfig, worker_main

log = logging.getLogger("opsloop.serving.batch.scoring")

# Loading a model has no Azure setting of its own; this only keeps a hung init() from
# hanging the job forever.
INIT_TIMEOUT_S = 600.0
STOP_GRACE_S = 5.0  # for a stopped worker's shutdown() before it is killed
_MAX_SLEEP_S = 1.0  # wake up now and then even when no deadline is near


@dataclass(frozen=True)
class Finished:
    batch: MiniBatch
    outcome: Outcome


@dataclass(frozen=True)
class Crashed:
    """The attempt failed as a whole: ``run()`` raised, timed out or its worker died."""

    batch: MiniBatch
    reason: str


@dataclass(frozen=True)
class InitFailed:
    """No worker can score: the model or script did not load. Fatal for the job."""

    reason: str


Event = Finished | Crashed | InitFailed


@dataclass
class Worker:
    process: BaseProcess
    conn: Connection
    started: float
    ready: bool = False
    batch: MiniBatch | None = None
    deadline: float = math.inf


class WorkerPool:
    """``size`` worker processes; use as a context manager so they are always stopped."""

    def __init__(
        self,
        config: WorkerConfig,
        size: int,
        timeout_s: float,
        init_timeout_s: float = INIT_TIMEOUT_S,
    ) -> None:
        self._ctx = _context(config)
        self._config = config
        self._timeout_s = timeout_s
        self._init_timeout_s = init_timeout_s
        self._broken = False  # after InitFailed nothing is restarted
        self._workers = [self._start() for _ in range(size)]

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def idle(self) -> list[Worker]:
        return [w for w in self._workers if w.ready and w.batch is None]

    @property
    def busy(self) -> bool:
        return any(w.batch is not None for w in self._workers)

    def submit(self, worker: Worker, batch: MiniBatch) -> None:
        worker.batch, worker.deadline = batch, time.monotonic() + self._timeout_s
        try:
            worker.conn.send(batch)
        except OSError:  # the worker died while idle; wait() reports the batch as crashed
            log.debug("worker %s is gone", worker.process.pid)

    def wait(self) -> list[Event]:
        """Block until something happens (a result, a death, a deadline) and report it."""
        handles: dict[Any, Worker] = {}
        for worker in self._workers:
            handles[worker.conn] = handles[worker.process.sentinel] = worker
        touched = {id(handles[h]) for h in wait(list(handles), timeout=self._sleep_s())}
        events: list[Event] = []
        for worker in list(self._workers):
            if id(worker) in touched:
                events += self._collect(worker)
        return events + self._expire()

    def log_metrics(self, request: MetricsRequest, timeout_s: float = 60.0) -> str | None:
        """Have an idle worker log the job's metrics: None, or why not (no idle worker, or
        MLflow's answer)."""
        worker = next(iter(self.idle()), None)
        if worker is None:
            return "no worker is left to log them"
        try:
            worker.conn.send(request)
            if worker.conn.poll(timeout_s):
                kind, problem = worker.conn.recv()
                return problem if kind == "logged" else f"unexpected answer {kind!r}"
        except (EOFError, OSError) as exc:
            return f"the worker is gone ({exc})"
        worker.process.kill()  # a hung MLflow call; close() reaps it
        worker.ready = False
        return f"no answer in {timeout_s:g} s"

    def close(self) -> None:
        """Stop idle workers cleanly and kill the others (their mini-batches are abandoned)."""
        for worker in self._workers:
            if worker.ready and worker.batch is None:
                with contextlib.suppress(OSError):  # already gone is as good as stopped
                    worker.conn.send(None)
            else:
                worker.process.kill()
        grace_end = time.monotonic() + STOP_GRACE_S
        for worker in self._workers:
            worker.process.join(max(0.0, grace_end - time.monotonic()))
            self._discard(worker)
        self._workers = []

    # ---- internals ------------------------------------------------------------------
    def _start(self) -> Worker:
        parent_end, child_end = self._ctx.Pipe()
        process = self._ctx.Process(
            target=worker_main, args=(self._config, child_end), name="batch-scoring-worker"
        )
        process.start()
        child_end.close()  # so that the parent sees EOF when the worker dies
        return Worker(process, parent_end, started=time.monotonic())

    def _sleep_s(self) -> float:
        deadlines = [w.deadline for w in self._workers if w.batch is not None]
        deadlines += [w.started + self._init_timeout_s for w in self._workers if not w.ready]
        return max(0.0, min([_MAX_SLEEP_S + time.monotonic(), *deadlines]) - time.monotonic())

    def _collect(self, worker: Worker) -> list[Event]:
        events: list[Event] = []
        try:
            while worker.conn.poll():
                if (event := self._handle(worker, worker.conn.recv())) is not None:
                    events.append(event)
        except (EOFError, OSError):  # the worker died; its exit code says more
            pass
        if worker.process.exitcode is not None:
            events += self._on_exit(worker)
        return events

    def _handle(self, worker: Worker, message: tuple[Any, ...]) -> Event | None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
            log.debug(
                "worker %s ready in %.2f s", worker.process.pid, time.monotonic() - worker.started
            )
            return None
        if kind == "init_failed":
            self._broken = True
            return InitFailed(message[1])
        batch, worker.batch, worker.deadline = worker.batch, None, math.inf
        if batch is None:
            return None
        return Finished(batch, message[1]) if kind == "done" else Crashed(batch, message[1])

    def _on_exit(self, worker: Worker) -> list[Event]:
        code = worker.process.exitcode or 0
        # A negative exit code is the signal that killed it: -9 is usually the OOM killer.
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        events: list[Event] = []
        if worker.batch is not None:
            events.append(Crashed(worker.batch, f"the worker process {how}"))
        elif not worker.ready and not self._broken:
            self._broken = True
            events.append(InitFailed(f"a worker process {how} during init"))
        self._replace(worker)
        return events

    def _expire(self) -> list[Event]:
        events: list[Event]
        now, events = time.monotonic(), []
        for worker in list(self._workers):
            if worker.batch is not None and now >= worker.deadline:
                log.warning("mini-batch %d timed out; killing its worker", worker.batch.index)
                events.append(Crashed(worker.batch, f"timed out after {self._timeout_s:g} s"))
                self._replace(worker)
            elif not worker.ready and now >= worker.started + self._init_timeout_s:
                if not self._broken:
                    events.append(InitFailed(f"init took longer than {self._init_timeout_s:g} s"))
                self._broken = True
                self._replace(worker)
        return events

    def _replace(self, worker: Worker) -> None:
        """Kill ``worker`` and, unless the pool is broken, start a fresh one in its place."""
        worker.process.kill()
        worker.process.join()
        self._discard(worker)
        position = self._workers.index(worker)
        if self._broken:
            del self._workers[position]
        else:
            self._workers[position] = self._start()

    @staticmethod
    def _discard(worker: Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        worker.process.close()


def _context(config: WorkerConfig) -> ForkServerContext | SpawnContext:
    """forkserver where there is one: a replacement worker then starts in milliseconds.

    The forkserver imports what every worker needs once, and the workers forked from it
    share those pages: for an MLflow model mlflow's pyfunc and its scikit-learn flavor (a
    few seconds otherwise paid by each worker and each replacement), or ONNX Runtime when
    it scores. The preload list only takes effect when this process starts its forkserver;
    later calls are harmless.
    """
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    context = mp.get_context("forkserver")
    modules = ["opsloop.serving.batch.worker", *_preload(config), "opsloop.serving.batch.frozen"]
    context.set_forkserver_preload(modules)
    return context


def _preload(config: WorkerConfig) -> list[str]:
    if config.script is not None:
        return []
    if config.runtime == "onnx":
        return ["onnxruntime", "opsloop.scoring.onnx_runtime"]
    modules = ["mlflow.pyfunc"]
    sklearn = _flavors(config.model_dir).get("sklearn") if config.model_dir else None
    if isinstance(sklearn, dict):
        modules += ["mlflow.sklearn", "sklearn.pipeline", "sklearn.ensemble"]
        # skops checks types against every scikit-learn module it finds: a second on import
        if sklearn.get("serialization_format") == "skops":
            modules.append("skops.io")
    return modules


def _flavors(model_dir: Path) -> dict[str, object]:
    from opsloop.scoring.predictors import MlflowModelInfo

    try:
        return MlflowModelInfo.read(model_dir).flavors
    except Exception:  # an unreadable MLmodel fails in the workers, with its own message
        return {}
