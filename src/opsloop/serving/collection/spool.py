"""The durable data collector's spool: append-only segment files on the local disk.

In ``durability: durable`` every scored request's collected rows are one JSON line
appended to the collector's *active segment* (``os.write`` on an ``O_APPEND`` descriptor)
before the answer is sent, so a killed process leaves them in the OS page cache and on
disk. The flush thread *seals* the active segment (a fresh one takes the appends), writes
the sealed one's rows as Parquet, and only then deletes it.

Segments live in ``<spool root>/<endpoint>/<deployment>/<uuid>.spool``. The process that
writes a segment holds an exclusive ``flock`` on it until the segment is deleted; the
kernel drops the lock when the process dies, however it dies. So a segment anyone can
lock is an orphan of a dead process (or of a worker that crashed mid-flush), and any
collector of that deployment, in any process, may claim and replay it; segments of live
processes, other workers' included, are left alone.

A segment's Parquet files are named after the segment (``<uuid>.parquet``, one per
collection and period), and a file that already exists is not written again, so
replaying a segment that was half written before a crash writes only what is missing:
every row lands exactly once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import orjson

from opsloop.serving.collection.parquet import Entry
from opsloop.specs.endpoint import CollectionName

logger = logging.getLogger(__name__)

SUFFIX = ".spool"
SPOOL_ENV = "OPSLOOP_COLLECTOR_SPOOL"
# A hidden file that is still unlocked this long after it was created was left by a
# process that died between creating and publishing a segment (microseconds).
STALE_TEMPORARY_S = 3600.0
_ENCODE = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
COLLECTIONS = frozenset(get_args(CollectionName))


def default_root() -> Path:
    """``OPSLOOP_COLLECTOR_SPOOL``, else ``collector-spool`` in the local opsloop home."""
    configured = os.environ.get(SPOOL_ENV)
    if configured:
        return Path(configured).expanduser()
    from opsloop.config import Settings

    return Settings().resolved_home() / "collector-spool"


def encode(stamp: float, correlation_id: str, collections: dict[str, Any]) -> bytes:
    """One request as one line; values JSON cannot hold become text (``str``)."""
    return orjson.dumps([stamp, correlation_id, collections], default=str, option=_ENCODE)


@dataclass
class Segment:
    """A segment file and the locked descriptor this process holds it by.

    The segments this process writes also keep their entries in memory (the flush need
    not read back and decode what it has); ``entries`` is None for an orphan, and after a
    failed write, so that storage trouble does not pile rows up in memory as well.
    """

    id: str
    path: Path
    fd: int
    rows: int = 0  # appended by this process (an orphan's are counted when it is read)
    entries: list[Entry] | None = field(default_factory=list)

    def append(self, line: bytes) -> None:
        written = os.write(self.fd, line)
        if written < len(line):  # a regular file takes it all, short of ENOSPC or a signal
            view = memoryview(line)[written:]
            while view:
                view = view[os.write(self.fd, view) :]

    def read(self) -> list[Entry]:
        """Its entries; a torn last line (the writer died inside ``write``) is skipped.

        A torn line's request was never answered: the append comes before the answer."""
        with open(self.path, "rb") as handle:
            data = handle.read()
        lines = data.split(b"\n")
        if lines[-1]:
            logger.warning("spool %s ends in a torn line of %d bytes; skipped", self.path,
                           len(lines[-1]))  # fmt: skip
        del lines[-1]
        try:  # one decode for the whole segment
            records = orjson.loads(b"[" + b",".join(lines) + b"]")
        except orjson.JSONDecodeError:
            records = [_record(line, self.path, number) for number, line in enumerate(lines, 1)]
        entries: list[Entry] = []
        for record in records:
            try:
                stamp, correlation_id, collections = record
                for collection, rows in collections.items():
                    if collection not in COLLECTIONS or not isinstance(rows, list):
                        raise ValueError(collection)
                    entries.append((collection, float(stamp), str(correlation_id), rows))
            except (ValueError, TypeError, AttributeError):
                logger.error("spool %s holds a record that is not one; skipped", self.path)
        return entries

    def remove(self) -> None:
        """Delete, then unlock: nobody can claim it between its Parquet and its removal."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


class Spool:
    """The segment folder of one deployment's collector."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def create(self) -> Segment:
        """A new, locked, empty segment. It is created under a hidden name and renamed
        once locked: a segment is never visible unlocked while its writer lives."""
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            segment_id = str(uuid.uuid4())
            hidden = self.folder / f".{segment_id}.tmp"
            fd = os.open(hidden, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                # Fails only if a scan took the hidden file for an abandoned one and
                # deleted it between our open and our lock; then start again.
                os.rename(hidden, self.folder / f"{segment_id}{SUFFIX}")
            except FileNotFoundError:
                os.close(fd)
                continue
            return Segment(segment_id, self.folder / f"{segment_id}{SUFFIX}", fd)

    def orphans(self) -> list[Segment]:
        """Segments no live process holds, claimed (locked) for this one, oldest first."""
        if not self.folder.is_dir():
            return []
        claimed: list[Segment] = []
        for path in sorted(self.folder.iterdir(), key=_mtime):
            name = path.name
            if name.endswith(SUFFIX) and not name.startswith("."):
                segment = _claim(path, name[: -len(SUFFIX)])
                if segment is not None:
                    claimed.append(segment)
            elif name.startswith(".") and name.endswith(".tmp"):
                _remove_abandoned(path)
        return claimed


def _record(line: bytes, path: Path, number: int) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        logger.error("spool %s line %d is not JSON; skipped", path, number)
        return None


def _claim(path: Path, segment_id: str) -> Segment | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # replayed and removed by another process meanwhile
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Another process may have replayed and deleted it between our open and our lock.
        if os.stat(path).st_ino != os.fstat(fd).st_ino:
            raise FileNotFoundError(path)
    except (BlockingIOError, FileNotFoundError):  # held by a live process, or gone
        os.close(fd)
        return None
    return Segment(segment_id, path, fd, entries=None)


def _remove_abandoned(path: Path) -> None:
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime < STALE_TEMPORARY_S:
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink()
        finally:
            os.close(fd)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
