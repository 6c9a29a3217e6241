"""Collects an online endpoint's inputs and outputs as Parquet, off the request path.

The serving runtime calls :meth:`PayloadCollector.collect` on every scored request, so it
only appends to an in-memory deque under a lock: no pandas, no pyarrow, no I/O, no logging.
A daemon thread flushes the buffer every ``flush_interval_s``; ``close()`` flushes the rest,
so a clean stop loses nothing and a crash loses at most one interval.

Files follow Azure ML's layout, partitioned by the ``rolling_rate`` period of each row's
timestamp (UTC)::

    <root_url>/<endpoint>/<deployment>/<collection>/YYYY/MM/DD[/HH[/MM]]/<uuid>.parquet

Every row carries ``correlationid``, ``timestamp`` (when ``collect`` was called) and
``row_index`` (its position within the request), then the payload's own columns.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from random import Random
from typing import Any, Self

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from opsloop.specs.endpoint import DataCollector as DataCollectorSpec

logger = logging.getLogger(__name__)

BASE_COLUMNS = ("correlationid", "timestamp", "row_index")
DEFAULT_MAX_BUFFERED_ROWS = 1_000_000
_TIMESTAMP = pa.timestamp("us", tz="UTC")
# Epoch seconds are aligned to UTC minutes, hours and days, so `stamp // period` is a partition.
_PERIOD_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_PERIOD_FOLDERS = {"minute": "%Y/%m/%d/%H/%M", "hour": "%Y/%m/%d/%H", "day": "%Y/%m/%d"}
# Object stores publish an object only once its upload completes, so a reader never sees half
# a file and a rename (copy + delete there) would only double the cost. Everywhere else
# (local disks, memory://, sftp, ...) we write a hidden temporary name and rename it.
_ATOMIC_PUT = {"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl"}

# One buffered request: (collection, epoch seconds, correlation id, rows).
_Entry = tuple[str, float, str, list[dict[str, Any]]]


class PayloadCollector:
    """Buffers a deployment's payloads in memory and writes them as Parquet in the background.

    Sampling is the caller's decision (``should_sample`` once per request, then ``collect``
    each collection), so a request's inputs and outputs are kept or skipped together.
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
    ) -> None:
        self.root_url = root_url.rstrip("/")
        self.endpoint = endpoint
        self.deployment = deployment
        self.spec = spec
        self._fs, root_path = fsspec.core.url_to_fs(self.root_url, **(storage_options or {}))
        self._base = f"{root_path.rstrip('/')}/{endpoint}/{deployment}"
        self._folders = _PERIOD_FOLDERS[spec.rolling_rate]
        protocol = self._fs.protocol  # a name or a tuple of names
        self._atomic_put = not _ATOMIC_PUT.isdisjoint(
            (protocol,) if isinstance(protocol, str) else protocol
        )
        self._enabled = frozenset(name for name, item in spec.collections.items() if item.enabled)
        self._random = random if random is not None else Random()
        self._clock = clock
        self._max_rows = max_buffered_rows
        self._lock = threading.Lock()  # guards the buffer; held for microseconds only
        self._flush_lock = threading.Lock()  # one flush at a time, so close() waits for one
        self._buffer: deque[_Entry] = deque()
        self._rows = 0
        self._dropped = 0
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
        """Buffer one request's rows; never blocks on I/O and never raises for storage trouble.

        The row dicts are kept as they are (not copied): the caller must not mutate them
        afterwards. ``request``/``response`` take one row ``{"payload": text}``. Rows for a
        disabled collection, or arriving after ``close()``, are ignored.
        """
        if collection not in self._enabled or not rows:
            return
        entry = (collection, self._clock(), correlation_id, list(rows))
        with self._lock:
            if self._closed:
                return
            self._buffer.append(entry)
            self._rows += len(entry[3])
            if self._rows > self._max_rows:
                self._drop_oldest()

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

        If that last flush fails the rows stay buffered (see ``pending_rows``), and a later
        ``flush()`` may still write them.
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
        if self.pending_rows:
            logger.error(
                "data collector %s/%s closed with %d rows it could not write",
                self.endpoint, self.deployment, self.pending_rows,
            )  # fmt: skip

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pending_rows(self) -> int:
        """Rows buffered and not yet written (a health signal while storage is down)."""
        with self._lock:
            return self._rows

    def flush(self) -> None:
        """Write everything buffered now, one file per collection and period.

        Safe from any thread and alongside ``collect``. A group that fails to write is
        logged and put back for the next flush; groups already written are not rewritten.
        """
        with self._flush_lock:
            with self._lock:
                pending, self._buffer = self._buffer, deque()
                self._rows = 0
            groups: dict[tuple[str, int], list[_Entry]] = {}
            seconds = _PERIOD_SECONDS[self.spec.rolling_rate]
            for entry in pending:
                groups.setdefault((entry[0], int(entry[1] // seconds)), []).append(entry)
            failed: list[_Entry] = []
            for (collection, period), entries in groups.items():
                try:
                    self._write(collection, period * seconds, entries)
                except Exception:
                    logger.exception(
                        "data collector could not write %d rows of %s/%s/%s; will retry",
                        sum(len(e[3]) for e in entries), self.endpoint, self.deployment, collection,
                    )  # fmt: skip
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

    def _drop_oldest(self) -> None:
        """Keep memory bounded while storage is down; called with ``_lock`` held."""
        while self._rows > self._max_rows and self._buffer:
            oldest = self._buffer.popleft()
            self._rows -= len(oldest[3])
            self._dropped += len(oldest[3])

    def _write(self, collection: str, period_start: float, entries: list[_Entry]) -> None:
        period = datetime.fromtimestamp(period_start, UTC)
        folder = f"{self._base}/{collection}/{period.strftime(self._folders)}"
        final = f"{folder}/{uuid.uuid4()}.parquet"
        table = _table(entries)
        self._fs.makedirs(folder, exist_ok=True)
        if self._atomic_put:
            with self._fs.open(final, "wb") as handle:
                pq.write_table(table, handle)
            return
        temporary = f"{folder}/.{uuid.uuid4()}.parquet.tmp"
        try:
            with self._fs.open(temporary, "wb") as handle:
                pq.write_table(table, handle)
            self._fs.mv(temporary, final)
        except BaseException:
            try:
                self._fs.rm(temporary)
            except Exception:  # the write may never have created it
                logger.debug("could not remove %s", temporary, exc_info=True)
            raise

    def _run(self) -> None:
        while not self._stop.wait(self.spec.flush_interval_s):
            try:
                self.flush()
            except Exception:  # a bug here must not end periodic flushing
                logger.exception("data collector flush failed")


def _table(entries: list[_Entry]) -> pa.Table:
    """Rows of any shapes -> one table: the union of their columns, missing values null."""
    ids: list[str] = []
    stamps: list[int] = []
    indexes: list[int] = []
    flat: list[dict[str, Any]] = []
    keys: dict[Any, None] = {}
    for _collection, stamp, correlation_id, rows in entries:
        micros = round(stamp * 1_000_000)
        for index, row in enumerate(rows):
            ids.append(correlation_id)
            stamps.append(micros)
            indexes.append(index)
            flat.append(row)
            keys.update(dict.fromkeys(row))
    names = list(BASE_COLUMNS)
    arrays = _base_arrays(ids, stamps, indexes)
    for key in keys:
        # A payload column named like a base column is kept, under a prefixed name.
        name = f"payload.{key}" if key in BASE_COLUMNS else str(key)
        names.append(name)
        arrays.append(_array([row.get(key) for row in flat]))
    return pa.Table.from_arrays(arrays, names=names)


def _base_arrays(ids: list[str], stamps: list[int], indexes: list[int]) -> list[pa.Array]:
    return [pa.array(ids, pa.string()), pa.array(stamps, _TIMESTAMP), pa.array(indexes, pa.int64())]


def _array(values: list[Any]) -> pa.Array:
    """Arrow's own type when the values agree on one, else text, so a flush never gets stuck."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        texts = [
            v if v is None or isinstance(v, str) else json.dumps(v, default=str) for v in values
        ]
        return pa.array(texts, pa.string())


def read_collected(
    root_url: str,
    endpoint: str,
    deployment: str,
    collection: str,
    storage_options: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Every row collected for one collection, sorted by timestamp, correlationid, row_index.

    Files are written whole or not at all, so hidden temporary names are skipped. Different
    files may have different columns (the model's inputs changed); the union is returned.
    """
    fs, root_path = fsspec.core.url_to_fs(root_url.rstrip("/"), **(storage_options or {}))
    folder = f"{root_path.rstrip('/')}/{endpoint}/{deployment}/{collection}"
    paths = sorted(
        path
        for path in (fs.find(folder) if fs.exists(folder) else [])
        if path.endswith(".parquet") and not path.rsplit("/", 1)[-1].startswith(".")
    )
    tables = []
    for path in paths:
        with fs.open(path, "rb") as handle:
            tables.append(pq.read_table(handle))
    if not tables:
        return pa.Table.from_arrays(_base_arrays([], [], []), names=list(BASE_COLUMNS)).to_pandas()
    try:
        frame = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # one column's type changed between files
        frame = pd.concat([table.to_pandas() for table in tables], ignore_index=True)
    order = ["timestamp", "correlationid", "row_index"]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)
