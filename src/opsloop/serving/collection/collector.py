"""Collects an online endpoint's inputs and outputs as Parquet, off the request path.

The serving runtime calls :meth:`PayloadCollector.collect_request` once per scored request,
before the answer is sent. ``durability`` (the deployment's ``data_collector`` setting)
decides what that costs and what a crash may lose:

- ``buffered`` (the default): an append to an in-memory deque under a lock; no pandas, no
  pyarrow, no I/O. A daemon thread flushes the buffer every ``flush_interval_s``;
  ``close()`` flushes the rest, so a clean stop loses nothing, and a crash (``kill -9``,
  out of memory) loses what was collected since the last flush began: up to one interval,
  or everything buffered while storage was unreachable.
- ``durable``: one JSON line appended with ``os.write`` to a spool file on the local disk
  (see ``collector_spool``). The flush thread turns sealed spool segments into Parquet
  and then deletes them; a segment a dead process left behind is written at the next
  start of that deployment's collector, exactly once. A killed process loses nothing
  that was answered; the spool is not fsynced, so a power loss or kernel crash can still
  lose what the OS had not yet written to disk (Linux: up to about 30 s).

Files follow Azure ML's layout, partitioned by the ``rolling_rate`` period of each row's
timestamp (UTC)::

    <root_url>/<endpoint>/<deployment>/<collection>/YYYY/MM/DD[/HH[/MM]]/<uuid>.parquet

Every row carries ``correlationid``, ``timestamp`` (when it was collected) and
``row_index`` (its position within the request), then the payload's own columns.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any, Self

import fsspec
import orjson

from opsloop.serving.collection.parquet import (
    BASE_COLUMNS,
    Entry,
    atomic_put,
    read_collected,
    write_file,
)
from opsloop.serving.collection.spool import Segment, Spool, default_root, encode
from opsloop.specs.endpoint import DataCollector as DataCollectorSpec

__all__ = ["BASE_COLUMNS", "PayloadCollector", "read_collected"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BUFFERED_ROWS = 1_000_000
# Epoch seconds are aligned to UTC minutes, hours and days, so `stamp // period` is a partition.
_PERIOD_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_PERIOD_FOLDERS = {"minute": "%Y/%m/%d/%H/%M", "hour": "%Y/%m/%d/%H", "day": "%Y/%m/%d"}


class PayloadCollector:
    """Collects a deployment's payloads and writes them as Parquet in the background.

    Sampling is the caller's decision (``should_sample`` once per request, then
    ``collect_request``), so a request's inputs and outputs are kept or skipped together.
    """

    def __init__(
        self,
        *,
        root_url: str,
        endpoint: str,
        deployment: str,
        spec: DataCollectorSpec,
        storage_options: dict[str, Any] | None = None,
        random: Random | None = None,
        clock: Callable[[], float] = time.time,
        max_buffered_rows: int = DEFAULT_MAX_BUFFERED_ROWS,
        spool_root: Path | None = None,
    ) -> None:
        """``spool_root``: the local folder of durable spools (default: see
        ``collector_spool.default_root``). Buffered collectors read it too, to write what
        a durable run of the same deployment left behind."""
        self.root_url = root_url.rstrip("/")
        self.endpoint = endpoint
        self.deployment = deployment
        self.spec = spec
        self._fs, root_path = fsspec.core.url_to_fs(self.root_url, **(storage_options or {}))
        self._base = f"{root_path.rstrip('/')}/{endpoint}/{deployment}"
        self._folders = _PERIOD_FOLDERS[spec.rolling_rate]
        self._atomic_put = atomic_put(self._fs)
        self._enabled = frozenset(name for name, item in spec.collections.items() if item.enabled)
        self._random = random if random is not None else Random()
        self._clock = clock
        self._max_rows = max_buffered_rows
        self._lock = threading.Lock()  # guards the buffer and the active segment; briefly
        self._flush_lock = threading.Lock()  # one flush at a time, so close() waits for one
        self._buffer: deque[Entry] = deque()
        self._rows = 0
        self._dropped = 0
        self._durable = spec.durability == "durable"
        self._spool = Spool((spool_root or default_root()) / endpoint / deployment)
        self._segment: Segment | None = None  # durable: where requests append now
        self._sealed: list[Segment] = []  # ours and claimed orphans, until written
        self._spool_failed = 0  # rows that could not be appended since the last flush
        self._closed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._at_exit: Callable[[], None] | None = None

    def should_sample(self) -> bool:
        """One draw per request: keep it with probability ``sampling_rate``."""
        rate = self.spec.sampling_rate
        return rate >= 1.0 or (rate > 0.0 and self._random.random() < rate)

    def enabled(self, collection: str) -> bool:
        return collection in self._enabled

    def collect(self, collection: str, rows: list[dict[str, Any]], correlation_id: str) -> None:
        """``collect_request`` for one collection."""
        self.collect_request({collection: rows}, correlation_id)

    def collect_request(
        self, collections: dict[str, list[dict[str, Any]]], correlation_id: str
    ) -> None:
        """Keep one request's rows, per collection; never raises for storage trouble.

        The row dicts are kept as they are (not copied) until they are written, so the
        caller must not mutate them afterwards. Durable: they are also encoded and appended
        to the spool before this returns. ``request``/``response`` take one row ``{"payload": text}``. Rows of
        a disabled collection, or arriving after ``close()``, are ignored.
        """
        kept: dict[str, list[dict[str, Any]]] = {
            name: rows for name, rows in collections.items() if rows and name in self._enabled
        }
        if not kept:
            return
        stamp = self._clock()
        if self._durable:
            self._append(stamp, correlation_id, kept)
            return
        entries = [(name, stamp, correlation_id, list(rows)) for name, rows in kept.items()]
        count = sum(len(rows) for rows in kept.values())
        with self._lock:
            if self._closed:
                return
            self._buffer.extend(entries)
            self._rows += count
            if self._rows > self._max_rows:
                self._drop_oldest()

    def _append(
        self, stamp: float, correlation_id: str, kept: dict[str, list[dict[str, Any]]]
    ) -> None:
        count = sum(len(rows) for rows in kept.values())
        try:
            line = encode(stamp, correlation_id, kept)
        except orjson.JSONEncodeError:  # nested past orjson's depth limit, say
            with self._lock:
                self._spool_failed += count
            return
        with self._lock:
            if self._closed:
                return
            segment = self._segment
            try:
                if segment is None:
                    segment = self._segment = self._spool.create()
                segment.append(line)
            except OSError:  # disk full, no permission: counted and logged by the flush
                self._spool_failed += count
                if segment is not None:
                    # A partial line must stay the last one of its segment; later requests
                    # start a new one.
                    self._segment = None
                    self._sealed.append(segment)
                return
            if segment.entries is not None:
                segment.entries += [
                    (name, stamp, correlation_id, rows) for name, rows in kept.items()
                ]
            segment.rows += count
            self._rows += count

    def start(self) -> None:
        """Start the flush thread (idempotent); a daemon, so it never holds up an exit."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the collector is closed")
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._run, name=f"collector-{self.endpoint}-{self.deployment}", daemon=True
            )
            self._thread.start()
        # A runtime that forgets close() still flushes at interpreter exit; the weak
        # reference lets a dropped collector be garbage collected.
        reference = weakref.ref(self)

        def close_at_exit() -> None:
            collector = reference()
            if collector is not None:
                collector.close()

        self._at_exit = close_at_exit
        atexit.register(close_at_exit)

    def close(self) -> None:
        """Stop the thread and flush everything collected before; idempotent.

        If that last flush fails, buffered rows stay in memory (see ``pending_rows``) for a
        later ``flush()``; durable rows stay in the spool for the next start.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._at_exit is not None:
            atexit.unregister(self._at_exit)
        self.flush()
        with self._flush_lock:
            for segment in self._sealed:  # unlocked: the next start replays them
                segment.close()
            self._sealed.clear()
        if self.pending_rows:
            logger.error(
                "data collector %s/%s closed with %d rows it could not write%s",
                self.endpoint, self.deployment, self.pending_rows,
                "; they stay in the spool for the next start" if self._durable else "",
            )  # fmt: skip

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pending_rows(self) -> int:
        """Rows collected and not yet written (a health signal while storage is down)."""
        with self._lock:
            return self._rows

    def flush(self) -> None:
        """Write everything collected so far, one file per collection and period.

        Safe from any thread and alongside ``collect_request``. A group that fails to
        write is logged and kept for the next flush; groups already written are not
        rewritten. Spool segments that dead processes left behind are written too.
        """
        with self._flush_lock:
            self._flush_buffer()
            self._flush_spool()

    def _flush_buffer(self) -> None:
        with self._lock:
            pending, self._buffer = self._buffer, deque()
            self._rows -= sum(len(entry[3]) for entry in pending)
        failed: list[Entry] = []
        for (collection, period_start), entries in self._groups(pending).items():
            try:
                self._write(collection, period_start, entries)
            except Exception:
                self._log_retry(collection, sum(len(e[3]) for e in entries))
                failed.extend(entries)
        with self._lock:
            if failed:
                self._buffer.extendleft(reversed(failed))
                self._rows += sum(len(e[3]) for e in failed)
                self._drop_oldest()
            dropped, self._dropped = self._dropped, 0
        if dropped:
            logger.warning(
                "data collector %s/%s dropped its %d oldest rows: more than %d were waiting",
                self.endpoint, self.deployment, dropped, self._max_rows,
            )  # fmt: skip

    def _flush_spool(self) -> None:
        """Seal the active segment (the next request starts a new one), claim orphans, and
        write each segment whole before deleting it."""
        with self._lock:
            segment, failed, self._spool_failed = self._segment, self._spool_failed, 0
            if segment is not None and (segment.rows or self._closed):
                self._segment = None
                self._sealed.append(segment)
        if failed:
            logger.error(
                "data collector %s/%s could not spool %d rows (see %s); they are lost",
                self.endpoint, self.deployment, failed, self._spool.folder,
            )  # fmt: skip
        try:
            self._sealed.extend(self._spool.orphans())
        except OSError:
            logger.exception("data collector could not look for spool segments to replay")
        for segment in list(self._sealed):
            try:
                self._write_segment(segment)
            except Exception:
                self._log_retry(f"spool segment {segment.id}", segment.rows)
                continue
            segment.remove()
            self._sealed.remove(segment)
            with self._lock:
                self._rows -= segment.rows

    def _write_segment(self, segment: Segment) -> None:
        """Named after the segment, and skipped where that file exists: idempotent. The
        entries in memory are the lines on disk, so a replay makes the same files."""
        entries = segment.entries if segment.entries is not None else segment.read()
        try:
            for (collection, period_start), group in self._groups(entries).items():
                self._write(collection, period_start, group, name=segment.id)
        except BaseException:
            segment.entries = None  # read again at the next try; memory stays bounded
            raise

    def _groups(self, entries: Iterable[Entry]) -> dict[tuple[str, float], list[Entry]]:
        seconds = _PERIOD_SECONDS[self.spec.rolling_rate]
        groups: dict[tuple[str, float], list[Entry]] = {}
        for entry in entries:
            key = (entry[0], float(int(entry[1] // seconds) * seconds))
            groups.setdefault(key, []).append(entry)
        return groups

    def _log_retry(self, what: str, rows: int) -> None:
        logger.exception(
            "data collector could not write %d rows of %s/%s/%s; will retry",
            rows, self.endpoint, self.deployment, what,
        )  # fmt: skip

    def _drop_oldest(self) -> None:
        """Keep memory bounded while storage is down; called with ``_lock`` held."""
        while self._rows > self._max_rows and self._buffer:
            oldest = self._buffer.popleft()
            self._rows -= len(oldest[3])
            self._dropped += len(oldest[3])

    def _write(
        self, collection: str, period_start: float, entries: list[Entry], name: str | None = None
    ) -> None:
        period = datetime.fromtimestamp(period_start, UTC)
        folder = f"{self._base}/{collection}/{period.strftime(self._folders)}"
        final = f"{folder}/{name or uuid.uuid4()}.parquet"
        if name is not None and self._fs.exists(final):
            return  # written before a crash or a failed flush: the segment is replayed
        write_file(self._fs, self._atomic_put, folder, final, entries)

    def _run(self) -> None:
        # At once, not an interval later: write what a killed predecessor left in the spool.
        if not self._stop.is_set():
            self._flush_logged()
        while not self._stop.wait(self.spec.flush_interval_s):
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:  # a bug here must not end periodic flushing
            logger.exception("data collector flush failed")
