"""The durable collector's spool: rows on disk before collect returns, replayed exactly once
after a killed process, never stolen from a live one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest

from opsloop.serving.collection.collector import PayloadCollector, read_collected
from opsloop.serving.collection.spool import SUFFIX, Spool, encode
from opsloop.specs.endpoint import DataCollector

ENDPOINT, DEPLOYMENT = "credit-ep", "blue"
COLLECTIONS = {"model_inputs": {"enabled": True}, "request": {"enabled": True}}

# A process that collects durably, says which requests it has collected, then waits to be
# killed (with `flush_interval_s` small, it also flushes and rotates segments meanwhile;
# with a large one it never flushes).
COLLECTING_PROCESS = """
import sys, time
from pathlib import Path
from opsloop.serving.collection.collector import PayloadCollector
from opsloop.specs.endpoint import DataCollector

root, spool, count, interval = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
spec = DataCollector.model_validate({
    "collections": {"model_inputs": {"enabled": True}, "request": {"enabled": True}},
    "durability": "durable", "flush_interval_s": interval})
collector = PayloadCollector(root_url=root, endpoint="credit-ep", deployment="blue", spec=spec,
                             spool_root=spool)
if interval < 60:  # else no flush thread: every row stays in the spool until the kill
    collector.start()
for number in range(count):
    rows = [{"x": number, "row": index} for index in range(1 + number % 3)]
    collector.collect_request({"model_inputs": rows, "request": [{"payload": str(number)}]},
                              f"c-{number}")
    print(f"c-{number}", flush=True)
    time.sleep(0.001)
print("done", flush=True)
time.sleep(600)
"""


def _spec(**overrides: Any) -> DataCollector:
    values = {"collections": COLLECTIONS, "durability": "durable", "flush_interval_s": 3600.0}
    return DataCollector.model_validate(values | overrides)


def _collector(tmp_path: Path, **overrides: Any) -> PayloadCollector:
    return PayloadCollector(
        root_url=str(tmp_path / "store"), endpoint=ENDPOINT, deployment=DEPLOYMENT,
        spec=_spec(**overrides), spool_root=tmp_path / "spool",
    )  # fmt: skip


def _read(tmp_path: Path, collection: str) -> pd.DataFrame:
    return read_collected(str(tmp_path / "store"), ENDPOINT, DEPLOYMENT, collection)


def _segments(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "spool" / ENDPOINT / DEPLOYMENT
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def _start(tmp_path: Path, count: int, interval: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(COLLECTING_PROCESS), str(tmp_path / "store"),
         str(tmp_path / "spool"), str(count), str(interval)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def _collected(process: subprocess.Popen[str], until: int | None = None) -> int:
    """How many requests it says it has collected: all of them, or ``until``."""
    assert process.stdout is not None
    collected = 0
    for line in iter(process.stdout.readline, "done\n"):
        assert line == f"c-{collected}\n"
        collected += 1
        if collected == until:
            break
    return collected


def _kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _assert_every_row_once(tmp_path: Path, acknowledged: int, *, more: bool = False) -> None:
    """Requests 0 .. acknowledged - 1 once each, with all their rows; with ``more``, some
    later ones too (collected, not yet reported when the process was killed)."""
    inputs = _read(tmp_path, "model_inputs")
    assert not inputs.duplicated(["correlationid", "row_index"]).any()
    sizes = inputs.groupby("correlationid").size().to_dict()
    numbers = sorted(int(name.split("-")[1]) for name in sizes)
    assert numbers[:acknowledged] == list(range(acknowledged))
    assert len(numbers) == acknowledged or (more and numbers == list(range(len(numbers))))
    assert sizes == {f"c-{n}": 1 + n % 3 for n in numbers}
    requests = _read(tmp_path, "request")
    assert sorted(requests["correlationid"]) == sorted(sizes)


def test_rows_are_on_disk_when_collect_returns_and_written_at_close(tmp_path: Path) -> None:
    # Not started: the flush thread writes at once when it starts, which could race the
    # assertions below on a busy machine; close() flushes either way.
    collector = _collector(tmp_path)
    collector.collect_request(
        {"model_inputs": [{"x": 1}, {"x": 2}], "request": [{"payload": "{}"}], "response": []},
        "c-1",
    )
    (segment,) = _segments(tmp_path)
    assert segment.read_bytes().count(b"\n") == 1  # one line per request, all collections
    assert collector.pending_rows == 3
    assert _read(tmp_path, "model_inputs").empty  # nothing flushed yet
    collector.close()

    assert _read(tmp_path, "model_inputs")["x"].tolist() == [1, 2]
    assert _read(tmp_path, "request")["payload"].tolist() == ["{}"]
    assert _segments(tmp_path) == [] and collector.pending_rows == 0


def test_a_killed_process_loses_nothing_it_collected(tmp_path: Path) -> None:
    process = _start(tmp_path, 300, 3600.0)  # never flushes
    acknowledged = _collected(process)
    _kill(process)
    assert _segments(tmp_path) and _read(tmp_path, "model_inputs").empty

    with _collector(tmp_path):  # the next start of this deployment's collector replays
        pass
    _assert_every_row_once(tmp_path, acknowledged)
    assert _segments(tmp_path) == []


def test_a_process_killed_amid_flushes_loses_nothing_and_writes_nothing_twice(
    tmp_path: Path,
) -> None:
    # Flushing every 20 ms: the kill lands amid sealing, writing and removing segments.
    process = _start(tmp_path, 4000, 0.02)
    acknowledged = _collected(process, until=2000)
    _kill(process)
    assert acknowledged == 2000
    with _collector(tmp_path):
        pass
    _assert_every_row_once(tmp_path, acknowledged, more=True)
    assert _segments(tmp_path) == []


def test_a_live_process_keeps_its_segments(tmp_path: Path) -> None:
    process = _start(tmp_path, 20, 3600.0)
    try:
        assert _collected(process) == 20
        other = _collector(tmp_path)
        other.flush()  # another worker of the same deployment, starting
        assert _read(tmp_path, "model_inputs").empty
        assert len(_segments(tmp_path)) == 1
    finally:
        _kill(process)
    other.flush()  # now it is an orphan
    other.close()
    _assert_every_row_once(tmp_path, 20)


def test_a_replay_interrupted_after_some_files_writes_only_the_rest(tmp_path: Path) -> None:
    # Storage takes the model inputs but not the requests (a file is where their folder
    # would go): the segment is half written when the process stops.
    store = tmp_path / "store" / ENDPOINT / DEPLOYMENT
    store.mkdir(parents=True)
    (store / "request").write_text("in the way")
    collector = _collector(tmp_path)
    for number in range(5):
        collector.collect_request(
            {"model_inputs": [{"x": number}], "request": [{"payload": str(number)}]}, f"c-{number}"
        )
    collector.close()
    assert len(_read(tmp_path, "model_inputs")) == 5
    assert len(_segments(tmp_path)) == 1  # kept for the next start
    assert collector.pending_rows == 10

    (store / "request").unlink()
    _collector(tmp_path).close()
    assert _read(tmp_path, "model_inputs")["x"].tolist() == [0, 1, 2, 3, 4]  # not twice
    assert len(_read(tmp_path, "request")) == 5
    assert len(list((store / "model_inputs").rglob("*.parquet"))) == 1
    assert _segments(tmp_path) == []


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool" / ENDPOINT / DEPLOYMENT)
    segment = spool.create()
    segment.append(encode(time.time(), "whole", {"model_inputs": [{"x": 1}]}))
    segment.append(encode(time.time(), "torn", {"model_inputs": [{"x": 2}]})[:-9])
    segment.close()  # the writer died inside its last write

    _collector(tmp_path).close()
    assert _read(tmp_path, "model_inputs")["correlationid"].tolist() == ["whole"]
    assert _segments(tmp_path) == []


def test_a_replay_keeps_values_json_cannot_hold_as_text(tmp_path: Path) -> None:
    segment = Spool(tmp_path / "spool" / ENDPOINT / DEPLOYMENT).create()
    row = {"x": np.float32(1.5), "when": pd.Timestamp(0), "n": np.int64(3)}
    segment.append(encode(time.time(), "c", {"model_inputs": [row]}))
    segment.close()

    _collector(tmp_path).close()
    frame = _read(tmp_path, "model_inputs")
    assert frame[["x", "when", "n"]].to_dict("records") == [
        {"x": 1.5, "when": "1970-01-01 00:00:00", "n": 3}
    ]


def test_durability_is_checked() -> None:
    with pytest.raises(pydantic.ValidationError, match="durability"):
        DataCollector.model_validate({"durability": "forever"})
    assert DataCollector().durability == "buffered"
