"""The child process of ``request_log.ProcessWriter``: read record batches, insert rows.

Run as ``python -m opsloop.serving.collection.request_log_writer`` with the target (a database URL,
or ``-`` for JSON lines on stdout) in ``OPSLOOP_REQUEST_LOG_TARGET`` and the retention in
``OPSLOOP_REQUEST_LOG_RETENTION_DAYS``. It exits when its
stdin ends, after writing everything it read; a batch the store refuses is retried with
the next one, and a few more times at the end before it is given up with an error.
SIGINT and SIGTERM are ignored: the end of stdin is the only way to stop it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from typing import Any

from opsloop.serving.collection.request_log import (
    MAX_BUFFERED,
    RETENTION_ENV,
    TARGET_ENV,
    open_sink,
    read_frames,
)

log = logging.getLogger("opsloop.serving.collection.request_log_writer")
FINAL_ATTEMPTS = 5


def main() -> int:
    # ProcessWriter starts this in a process group of its own, so signals meant for the
    # server do not reach it; ignoring them as well covers a writer started some other way.
    # It must outlive the server's shutdown to write the last batch, and it stops when its
    # stdin ends (the server closed it, or died) instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # opsloop's own messages at INFO; libraries only from WARNING (alembic, say, logs every
    # plugin it sets up at INFO when the store opens).
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("opsloop").setLevel(logging.INFO)
    target = os.environ.get(TARGET_ENV)
    if not target:
        log.error("%s is not set", TARGET_ENV)
        return 2
    sink, release = open_sink(target, int(os.environ.get(RETENTION_ENV) or 0))
    pending: list[Any] = []
    try:
        for records in read_frames(sys.stdin.buffer):
            pending.extend(records)
            pending = _write(sink, pending)
        for attempt in range(FINAL_ATTEMPTS):
            pending = _write(sink, pending)
            if not pending:
                break
            time.sleep(0.5 * (attempt + 1))
    finally:
        release()
    if pending:
        log.error("gave up on %d request log rows", len(pending))
        return 1
    return 0


def _write(sink: Any, records: list[Any]) -> list[Any]:
    """The records still to write: none, or all of them when the store refused the batch."""
    if not records:
        return records
    try:
        sink(records)
    except Exception:
        log.exception(
            "could not write %d request log rows; retrying with the next batch", len(records)
        )
        return records[-MAX_BUFFERED:]
    return []


if __name__ == "__main__":
    sys.exit(main())
