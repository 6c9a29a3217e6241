"""The per-request traffic log: a tuple per request in memory, written off the hot path.

``RequestLog.add`` is a deque append. A daemon thread hands the buffered records, every
flush interval, to one of two writers:

- ``ProcessWriter`` (``opsloop online-endpoint serve`` and ``opsloop server``) encodes the
  batch with orjson and pipes it to a child process (``request_log_writer``) that inserts
  the records as they are (one executemany of tuples). Decoding and writing a record still
  costs 12 to 15 µs of CPU; done on a thread of the serving process, at thousands of
  requests a second, that work would compete with every request for the GIL.
- ``InlineWriter`` (an in-process runtime: tests, an embedded ``invoke``) writes the rows
  from that thread.

A *target* says where rows go: a database URL, or ``-`` for JSON lines on stdout (a
container without a database).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Protocol

import orjson

log = logging.getLogger(__name__)

Sink = Callable[[Sequence[Sequence[Any]]], None]  # records in RECORD_FIELDS order
STDOUT = "-"
# The URL travels in the environment, not in argv where any user could read it.
TARGET_ENV = "OPSLOOP_REQUEST_LOG_TARGET"
RETENTION_ENV = "OPSLOOP_REQUEST_LOG_RETENTION_DAYS"
MAX_BUFFERED = 200_000
PRUNE_EVERY_S = 3600.0
RECORD_FIELDS = (
    "at", "workspace", "endpoint", "deployment", "request_id", "method", "path", "status_code",
    "model_status", "request_bytes", "response_bytes", "duration_ms", "model_duration_ms",
    "throttle_ms", "auth_type", "mirrored", "comparison",
)  # fmt: skip


def as_row(record: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(RECORD_FIELDS, record, strict=True))
    row["at"] = datetime.fromtimestamp(row["at"], UTC)
    return row


def open_sink(target: str, retention_days: int = 0) -> tuple[Sink, Callable[[], None]]:
    """The function that stores rows for a target, and the one that releases it.

    With ``retention_days``, the sink also deletes older rows: with its first write, then
    at most once every ``PRUNE_EVERY_S``."""
    if target == STDOUT:
        return _json_lines_sink, lambda: None
    from opsloop.services.endpoint_request_logs import append_request_logs, prune_request_logs
    from opsloop.store.database import Database

    database = Database(target)
    next_prune = 0.0

    def write(records: Sequence[Sequence[Any]]) -> None:
        nonlocal next_prune
        with database.transaction() as session:
            append_request_logs(session, RECORD_FIELDS, records)
            if retention_days and time.monotonic() >= next_prune:
                next_prune = time.monotonic() + PRUNE_EVERY_S
                cutoff = datetime.now(UTC) - timedelta(days=retention_days)
                pruned = prune_request_logs(session, cutoff)
                if pruned:
                    log.info("traffic log: deleted %d rows older than %d days", pruned,
                             retention_days)  # fmt: skip

    return write, database.dispose


def _json_lines_sink(records: Sequence[Sequence[Any]]) -> None:
    out = sys.stdout.buffer
    for record in records:
        out.write(orjson.dumps(as_row(record), default=str) + b"\n")
    out.flush()


class RecordWriter(Protocol):
    def start(self) -> None: ...

    def write(self, records: list[tuple[Any, ...]]) -> None:
        """Store the records or raise; the caller keeps them for the next try."""

    def close(self) -> None: ...


class InlineWriter:
    def __init__(self, target: str, retention_days: int = 0) -> None:
        self._target = target
        self._retention_days = retention_days
        self._sink: Sink | None = None
        self._release: Callable[[], None] = lambda: None

    def start(self) -> None:
        self._sink, self._release = open_sink(self._target, self._retention_days)

    def write(self, records: list[tuple[Any, ...]]) -> None:
        if self._sink is None:
            self.start()
        assert self._sink is not None
        self._sink(records)

    def close(self) -> None:
        self._release()


class ProcessWriter:
    """Frames of ``<4-byte little-endian length><orjson list of records>`` on the child's
    stdin. The child writes what it has when stdin closes, so a clean stop loses nothing
    and a crash of the serving process loses only what was not yet piped. The child runs
    in a process group of its own, out of reach of signals meant for the server."""

    def __init__(self, target: str, retention_days: int = 0) -> None:
        self._target = target
        self._retention_days = retention_days
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        if self._process is not None:
            log.warning("request log writer exited with %s; starting a new one",
                        self._process.returncode)  # fmt: skip
        self._process = subprocess.Popen(
            [sys.executable, "-m", "opsloop.serving.collection.request_log_writer"],
            stdin=subprocess.PIPE,
            # Its own process group: Ctrl-C in a terminal and `kill -- -PGID` signal the
            # server's group, and would otherwise reach the writer too, even while it is still
            # starting, before it could ignore them, and lose what is already in its pipe.
            # It stops when its stdin ends instead.
            process_group=0,
            env={
                **os.environ,
                TARGET_ENV: self._target,
                RETENTION_ENV: str(self._retention_days),
            },
        )

    def write(self, records: list[tuple[Any, ...]]) -> None:
        self.start()
        assert self._process is not None and self._process.stdin is not None
        payload = orjson.dumps(records)
        self._process.stdin.write(len(payload).to_bytes(4, "little") + payload)
        self._process.stdin.flush()

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            log.error("request log writer did not finish in 30 s; killing it")
            process.kill()
            process.wait()


def read_frames(stream: IO[bytes]) -> Any:
    """Yield the record lists a ProcessWriter sent, until the stream ends."""
    while True:
        head = stream.read(4)
        if len(head) < 4:
            return
        payload = stream.read(int.from_bytes(head, "little"))
        yield orjson.loads(payload)


class RequestLog:
    """``add`` is a deque append of a tuple; a daemon thread hands batches to the writer."""

    def __init__(self, writer: RecordWriter, flush_interval_s: float = 1.0) -> None:
        self._writer = writer
        self._interval = flush_interval_s
        self._records: deque[tuple[Any, ...]] = deque(maxlen=MAX_BUFFERED)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def add(self, record: tuple[Any, ...]) -> None:
        self._records.append(record)

    def start(self) -> None:
        if self._thread is None:
            self._writer.start()
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
                self._writer.write(batch)
            except Exception:
                log.exception("could not write %d request log records; keeping them", len(batch))
                self._records.extendleft(reversed(batch))

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
        self._writer.close()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()
