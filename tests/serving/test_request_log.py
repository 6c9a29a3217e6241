"""The traffic log's writers: rows reach the real store, from this process or a child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import orjson
import pytest

from opsloop import Client
from opsloop.serving.collection.request_log import (
    STDOUT,
    TARGET_ENV,
    InlineWriter,
    ProcessWriter,
    RecordWriter,
    RequestLog,
)


def _record(index: int, status: int = 200) -> tuple[Any, ...]:
    return (
        time.time(), "dev", "ep", "blue", f"req-{index}", "POST", "/score", status, "ok",
        10, 4, 1.5, 0.5, 0.0, "key", False, None,
    )  # fmt: skip


def _database_url(client: Client) -> str:
    return str(client._transport.platform.database.url)


@pytest.mark.parametrize("writer_kind", ["inline", "process"])
def test_every_record_reaches_the_store_by_close(serving_client: Client, writer_kind: str) -> None:
    url = _database_url(serving_client)
    writer: RecordWriter = InlineWriter(url) if writer_kind == "inline" else ProcessWriter(url)
    log = RequestLog(writer, flush_interval_s=0.05)
    log.start()
    for index in range(250):
        log.add(_record(index, 200 if index % 5 else 429))
    time.sleep(0.2)  # some batches go out on the thread's schedule...
    for index in range(250, 300):
        log.add(_record(index))
    log.close()  # ...and the rest when the log closes
    entries = serving_client.online_endpoints.request_logs("ep", limit=1000)
    assert sorted(entry.request_id for entry in entries) == sorted(f"req-{i}" for i in range(300))
    assert sum(entry.status_code == 429 for entry in entries) == 50
    assert entries[0].duration_ms == 1.5 and entries[0].auth_type == "key"


def test_a_writer_process_that_dies_is_replaced_and_nothing_is_lost(
    serving_client: Client,
) -> None:
    writer = ProcessWriter(_database_url(serving_client))
    log = RequestLog(writer, flush_interval_s=60)  # flushed by hand below
    log.start()
    log.add(_record(0))
    log.flush()
    assert writer._process is not None
    first = writer._process
    first.kill()
    first.wait()
    log.add(_record(1))
    log.flush()  # the next batch starts a new writer
    log.add(_record(2))
    log.flush()
    log.close()
    assert writer._process is None and first.returncode != 0
    entries = serving_client.online_endpoints.request_logs("ep")
    assert {entry.request_id for entry in entries} >= {"req-1", "req-2"}


def test_without_a_database_rows_are_json_lines_on_stdout(
    capfd: pytest.CaptureFixture[str],
) -> None:
    log = RequestLog(ProcessWriter(STDOUT), flush_interval_s=60)
    log.start()
    log.add(_record(7, 424))
    log.close()
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.strip()]
    assert [(row["request_id"], row["status_code"]) for row in lines] == [("req-7", 424)]
    assert lines[0]["at"].startswith("20")  # an ISO timestamp, not epoch seconds


def test_rows_older_than_the_retention_are_deleted(serving_client: Client) -> None:
    url = _database_url(serving_client)
    old = (time.time() - 40 * 86400, *_record(0)[1:])
    keep_all = InlineWriter(url, retention_days=0)
    keep_all.write([old, _record(1)])
    keep_all.close()
    assert len(serving_client.online_endpoints.request_logs("ep")) == 2
    pruning = InlineWriter(url, retention_days=30)
    pruning.write([_record(2)])
    pruning.close()
    entries = serving_client.online_endpoints.request_logs("ep")
    assert sorted(entry.request_id for entry in entries) == ["req-1", "req-2"]


GROUP_SIGNAL_SCRIPT = """
import os, signal, time
from opsloop.serving.collection.request_log import ProcessWriter

signal.signal(signal.SIGTERM, lambda *_: None)  # this process stays; a handler is not inherited
writer = ProcessWriter("-")
writer.start()
writer.write([(time.time(), "dev", "ep", "blue", f"req-{i}", "POST", "/score", 200, "ok",
               10, 4, 1.5, 0.5, 0.0, "key", False, None) for i in range(3)])
os.killpg(os.getpgrp(), signal.SIGTERM)  # what `kill -- -PGID` or a terminal's Ctrl-C does
writer.close()
"""


def test_a_signal_to_the_servers_process_group_does_not_reach_the_writer() -> None:
    """Sent at once, the signal lands while the writer is still starting (before any handler
    of its own could be set): it must not die with records in its pipe."""
    done = subprocess.run(
        [sys.executable, "-c", GROUP_SIGNAL_SCRIPT],
        capture_output=True, timeout=60, start_new_session=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [line["request_id"] for line in lines] == ["req-0", "req-1", "req-2"]


def test_the_writer_process_logs_only_its_own_news(serving_client: Client) -> None:
    """Its stderr is the server's terminal: libraries' INFO lines (alembic prints one per
    plugin when the store opens) would fill it at every start."""
    payload = orjson.dumps([_record(0)])
    done = subprocess.run(
        [sys.executable, "-m", "opsloop.serving.collection.request_log_writer"],
        input=len(payload).to_bytes(4, "little") + payload,
        env={**os.environ, TARGET_ENV: _database_url(serving_client)},
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode() == ""
    assert [e.request_id for e in serving_client.online_endpoints.request_logs("ep")] == ["req-0"]
