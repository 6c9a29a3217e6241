"""The per-request traffic log, buffered in memory and written off the request path."""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

log = logging.getLogger(__name__)

Sink = Callable[[Sequence[dict[str, Any]]], None]
MAX_BUFFERED = 200_000
RECORD_FIELDS = (
    "at", "workspace", "endpoint", "deployment", "request_id", "method", "path", "status_code",
    "model_status", "request_bytes", "response_bytes", "duration_ms", "model_duration_ms",
    "throttle_ms", "auth_type", "mirrored",
)  # fmt: skip


def as_row(record: tuple[Any, ...]) -> dict[str, Any]:
    row = dict(zip(RECORD_FIELDS, record, strict=True))
    row["at"] = datetime.fromtimestamp(row["at"], UTC)
    return row


def json_lines_sink(records: Sequence[dict[str, Any]]) -> None:
    """For a container without a database: one JSON line per request on stdout."""
    out = sys.stdout.buffer
    for record in records:
        out.write(orjson.dumps(record, default=str) + b"\n")
    out.flush()


class RequestLog:
    """``add`` is a deque append of a tuple; a daemon thread hands batches of rows to the sink."""

    def __init__(
        self,
        sink: Sink,
        flush_interval_s: float = 1.0,
        before_flush: Callable[[], None] | None = None,
    ) -> None:
        self._sink = sink
        self._before_flush = before_flush
        self._interval = flush_interval_s
        self._records: deque[tuple[Any, ...]] = deque(maxlen=MAX_BUFFERED)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def add(self, record: tuple[Any, ...]) -> None:
        self._records.append(record)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="opsloop-request-log", daemon=True
            )
            self._thread.start()

    def flush(self) -> None:
        with self._lock:
            batch = []
            while self._records:
                batch.append(self._records.popleft())
            if not batch:
                return
            try:
                self._sink([as_row(record) for record in batch])
            except Exception:
                log.exception("could not write %d request log records; keeping them", len(batch))
                self._records.extendleft(reversed(batch))

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            if self._before_flush is not None:
                self._before_flush()
            self.flush()
