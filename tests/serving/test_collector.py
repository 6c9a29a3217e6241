"""PayloadCollector: nothing lost under concurrency, Azure ML's layout, sampling, failures."""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import pytest

from opsloop.serving.collection.collector import PayloadCollector, read_collected
from opsloop.specs.endpoint import DataCollector

ENDPOINT, DEPLOYMENT = "credit-ep", "blue"
UUID_FILE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.parquet"


def _spec(**overrides: Any) -> DataCollector:
    values: dict[str, Any] = {
        "collections": {
            "model_inputs": {"enabled": "True"},
            "model_outputs": {"enabled": True},
            "request": {"enabled": True},
            "response": {"enabled": "False"},
        },
        "flush_interval_s": 60.0,
    }
    return DataCollector.model_validate(values | overrides)


def _collector(root: Path | str, **overrides: Any) -> PayloadCollector:
    clock = overrides.pop("clock", time.time)
    return PayloadCollector(
        root_url=str(root), endpoint=ENDPOINT, deployment=DEPLOYMENT, spec=_spec(**overrides),
        clock=clock,
    )  # fmt: skip


def _read(root: Path | str, collection: str) -> pd.DataFrame:
    return read_collected(str(root), ENDPOINT, DEPLOYMENT, collection)


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_concurrent_collect_with_periodic_flushes_keeps_every_row_once(tmp_path: Path) -> None:
    threads, requests = 8, 500
    collector = _collector(tmp_path, flush_interval_s=0.05)
    expected: set[tuple[str, int]] = set()
    expected_lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)
    stop_flushing = threading.Event()

    def serve(worker: int) -> None:
        draw = random.Random(worker)
        barrier.wait()
        for number in range(requests):
            correlation_id = f"{worker}-{number}"
            rows = [{"age": draw.randint(18, 90), "income": draw.random()}
                    for _ in range(draw.randint(1, 3))]  # fmt: skip
            collector.collect("model_inputs", rows, correlation_id)
            collector.collect("model_outputs", [{"score": rows[0]["income"]}], correlation_id)
            with expected_lock:
                expected.update((correlation_id, index) for index in range(len(rows)))
            if number % 10 == 0:
                time.sleep(0.002)  # spread the work over several periodic flushes

    def flush_too() -> None:  # a second flusher racing the periodic thread
        barrier.wait()
        while not stop_flushing.is_set():
            collector.flush()
            time.sleep(0.01)

    workers = [threading.Thread(target=serve, args=(n,)) for n in range(threads)]
    extra = threading.Thread(target=flush_too)
    with collector:
        for thread in [*workers, extra]:
            thread.start()
        for thread in workers:
            thread.join()
        stop_flushing.set()
        extra.join()

    inputs = _read(tmp_path, "model_inputs")
    keys = list(zip(inputs["correlationid"], inputs["row_index"], strict=True))
    assert len(keys) == len(set(keys)) == len(expected)
    assert set(keys) == expected
    outputs = _read(tmp_path, "model_outputs")
    assert outputs["correlationid"].is_unique
    assert set(outputs["correlationid"]) == set(inputs["correlationid"])
    first_rows = inputs[inputs["row_index"] == 0]
    joined = first_rows.merge(outputs, on="correlationid", validate="one_to_one")
    assert (joined["income"] == joined["score"]).all()
    assert len(list((tmp_path / ENDPOINT / DEPLOYMENT / "model_inputs").rglob("*.parquet"))) >= 2
    assert not [f for f in _files(tmp_path) if f.rsplit("/", 1)[-1].startswith(".")]
    assert collector.pending_rows == 0


def test_close_flushes_rows_collected_after_the_last_periodic_flush(tmp_path: Path) -> None:
    collector = _collector(tmp_path, flush_interval_s=3600)
    collector.start()
    collector.collect("model_inputs", [{"x": 1}, {"x": 2}], "c-1")
    collector.collect("request", [{"payload": '{"data": [[1], [2]]}'}], "c-1")
    assert _read(tmp_path, "model_inputs").empty
    collector.close()
    collector.close()  # idempotent

    inputs = _read(tmp_path, "model_inputs")
    assert list(inputs.columns) == ["correlationid", "timestamp", "row_index", "x"]
    assert inputs["x"].tolist() == [1, 2] and inputs["row_index"].tolist() == [0, 1]
    assert str(inputs["timestamp"].dt.tz) == "UTC"
    assert _read(tmp_path, "request")["payload"].tolist() == ['{"data": [[1], [2]]}']

    collector.collect("model_inputs", [{"x": 3}], "c-2")  # after close: ignored
    collector.flush()
    assert len(_read(tmp_path, "model_inputs")) == 2
    with pytest.raises(RuntimeError):
        collector.start()


def test_sampling_rates(tmp_path: Path) -> None:
    def collector(rate: float) -> PayloadCollector:
        return PayloadCollector(
            root_url=str(tmp_path), endpoint=ENDPOINT, deployment=DEPLOYMENT,
            spec=_spec(sampling_rate=rate), random=random.Random(7),
        )  # fmt: skip

    never, always, some = collector(0.0), collector(1.0), collector(0.3)
    assert not any(never.should_sample() for _ in range(10_000))
    assert all(always.should_sample() for _ in range(10_000))
    assert 0.25 <= sum(some.should_sample() for _ in range(10_000)) / 10_000 <= 0.35


def test_disabled_and_unknown_collections_are_ignored(tmp_path: Path) -> None:
    with _collector(tmp_path) as collector:
        assert collector.enabled("model_inputs") and not collector.enabled("response")
        assert not collector.enabled("nonsense")
        collector.collect("response", [{"payload": "{}"}], "c-1")
        collector.collect("nonsense", [{"payload": "{}"}], "c-1")
        assert collector.pending_rows == 0
    assert not (tmp_path / ENDPOINT / DEPLOYMENT / "response").exists()
    assert list(_read(tmp_path, "response").columns) == ["correlationid", "timestamp", "row_index"]
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    ("rolling_rate", "first", "second"),
    [
        ("hour", "2024/05/06/10", "2024/05/06/11"),
        ("day", "2024/05/06", "2024/05/07"),
        ("minute", "2024/05/06/10/59", "2024/05/06/11/01"),
    ],
)
def test_rows_are_partitioned_by_the_period_of_their_timestamp(
    tmp_path: Path, rolling_rate: str, first: str, second: str
) -> None:
    later = "2024-05-07T00:01:00" if rolling_rate == "day" else "2024-05-06T11:01:00"
    times = iter([_at("2024-05-06T10:59:30.25"), _at(later)])
    collector = _collector(tmp_path, rolling_rate=rolling_rate, clock=lambda: next(times))
    collector.collect("model_inputs", [{"x": 1}], "early")
    collector.collect("model_inputs", [{"x": 2}], "late")
    collector.close()  # one flush, spanning a period boundary -> two files

    files = _files(tmp_path)
    prefix = f"{ENDPOINT}/{DEPLOYMENT}/model_inputs"
    assert len(files) == 2
    assert re.fullmatch(f"{prefix}/{first}/{UUID_FILE}", files[0]), files
    assert re.fullmatch(f"{prefix}/{second}/{UUID_FILE}", files[1]), files
    frame = _read(tmp_path, "model_inputs")
    assert frame["correlationid"].tolist() == ["early", "late"]
    assert frame["timestamp"][0] == pd.Timestamp("2024-05-06T10:59:30.25", tz="UTC")


def test_rows_of_different_shapes_share_one_file(tmp_path: Path) -> None:
    # Not started: the flush thread's first flush could fall between two collects and make
    # two files; close() writes the three requests as one.
    collector = _collector(tmp_path)
    collector.collect("model_inputs", [{"a": 1}, {"b": "x"}], "c-1")
    collector.collect("model_inputs", [{"a": 2, "mixed": 1}, {"mixed": "text"}], "c-2")
    collector.collect("model_inputs", [{"timestamp": "own", "nested": {"k": [1, 2]}}], "c-3")
    collector.close()
    frame = _read(tmp_path, "model_inputs")
    assert len(list(tmp_path.rglob("*.parquet"))) == 1
    assert frame["a"].isna().tolist()[:3] == [False, True, False]  # missing -> null
    assert frame["a"][[0, 2]].tolist() == [1, 2]
    assert frame["b"].tolist()[1] == "x"
    assert frame["mixed"].tolist()[2:4] == ["1", "text"]  # no common type -> text
    assert frame["payload.timestamp"].tolist()[4] == "own"
    assert isinstance(frame["timestamp"][4], pd.Timestamp)


def test_a_failing_flush_keeps_the_rows_until_storage_is_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "store"
    root.write_text("not a folder")  # mkdir under it fails
    collector = _collector(root)
    collector.collect("model_inputs", [{"x": 1}, {"x": 2}], "c-1")
    with caplog.at_level(logging.ERROR, logger="opsloop.serving.collection.collector"):
        collector.flush()  # does not raise
    assert "will retry" in caplog.text
    assert collector.pending_rows == 2
    collector.collect("model_inputs", [{"x": 3}], "c-2")

    root.unlink()
    collector.close()
    assert collector.pending_rows == 0
    assert _read(root, "model_inputs")["x"].tolist() == [1, 2, 3]


def test_buffered_rows_are_bounded_while_storage_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "store"
    root.write_text("not a folder")
    collector = PayloadCollector(
        root_url=str(root), endpoint=ENDPOINT, deployment=DEPLOYMENT, spec=_spec(),
        max_buffered_rows=5,
    )  # fmt: skip
    for number in range(4):
        collector.collect("model_inputs", [{"x": number}, {"x": number}], f"c-{number}")
    assert collector.pending_rows == 4  # the two oldest requests went
    with caplog.at_level(logging.WARNING, logger="opsloop.serving.collection.collector"):
        collector.flush()
    assert "dropped its 4 oldest rows" in caplog.text
    root.unlink()
    collector.flush()
    assert _read(root, "model_inputs")["correlationid"].unique().tolist() == ["c-2", "c-3"]


@pytest.fixture
def memory_url() -> Iterator[str]:
    url = f"memory://collector-{uuid.uuid4().hex}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


def test_any_fsspec_url(memory_url: str, tmp_path: Path) -> None:
    for root in (memory_url, f"file://{tmp_path}"):
        with _collector(root) as collector:
            collector.collect("model_outputs", [{"score": 0.5}], "c-1")
        assert _read(root, "model_outputs")["score"].tolist() == [0.5]
    assert len(list(tmp_path.rglob("*.parquet"))) == 1
