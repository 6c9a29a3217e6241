"""Opportunistic batching on the inline path: requests that reach a fast tabular model in
the same turn of the event loop share one model call.

No request waits for others to arrive: a batch holds whatever was queued by the time the
event loop gets to it, one request when traffic is light, several under concurrent load.
A scikit-learn or ONNX Runtime call costs several microseconds before it looks at a row,
so a burst of k single-row requests saves k - 1 of those. Each request gets back exactly
its own rows' predictions (the result is split by row counts); if the batched call
fails, each request is scored alone, so an error belongs to the request that caused it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from opsloop.scoring.predictors import TabularPredictor


class InlineBatcher:
    """Per deployment. ``done`` is called after every model call with its duration, and
    ``release`` once per request when its answer is settled (its concurrency slot)."""

    def __init__(
        self,
        predictor: TabularPredictor,
        *,
        timeout_s: float,
        done: Callable[[float], None],
        release: Callable[[], None],
    ) -> None:
        self.predictor = predictor
        self.timeout_s = timeout_s
        self._done = done
        self._release = release
        self._queued: list[tuple[np.ndarray, asyncio.Future[Any]]] = []

    def submit(self, matrix: np.ndarray) -> asyncio.Future[Any]:
        """A future of the predictions for the matrix's rows."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._queued:
            # Runs after every task already scheduled in this turn has had its go.
            loop.call_soon(self._run)
        self._queued.append((matrix, future))
        return future

    def _run(self) -> None:
        queued, self._queued = self._queued, []
        try:
            if len(queued) == 1:
                self._score_alone(*queued[0])
            else:
                self._score_together(queued)
        finally:
            for _ in queued:
                self._release()

    def _score_together(self, queued: list[tuple[np.ndarray, asyncio.Future[Any]]]) -> None:
        started = time.perf_counter()
        try:
            result = self.predictor.predict_matrix(np.concatenate([m for m, _ in queued]))
            total = sum(len(m) for m, _ in queued)
            if not isinstance(result, np.ndarray) or len(result) != total:
                raise ValueError("the batched result does not have one entry per row")
        except Exception:
            for matrix, future in queued:
                self._score_alone(matrix, future)
            return
        elapsed = time.perf_counter() - started
        self._done(elapsed)
        start = 0
        for matrix, future in queued:
            end = start + len(matrix)
            self._settle(future, result[start:end], elapsed)
            start = end

    def _score_alone(self, matrix: np.ndarray, future: asyncio.Future[Any]) -> None:
        started = time.perf_counter()
        try:
            result = self.predictor.predict_matrix(matrix)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        elapsed = time.perf_counter() - started
        self._done(elapsed)
        self._settle(future, result, elapsed)

    def _settle(self, future: asyncio.Future[Any], result: Any, elapsed: float) -> None:
        if future.done():  # the request was cancelled meanwhile
            return
        if elapsed > self.timeout_s:
            future.set_exception(TimeoutError())
        else:
            future.set_result(result)
