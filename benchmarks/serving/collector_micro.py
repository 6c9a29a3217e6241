"""The data collector's own CPU cost per request, in process (no server, no sockets):
``collect_request`` for the benchmark's one-row request (all four collections), then the
flush that writes it as Parquet, for ``durability: buffered`` and ``durable``.

CPU time of this process (``time.process_time``), so other work on a shared machine
inflates it far less than it does requests per second. Alternating rounds; medians.

Usage:  python benchmarks/serving/collector_micro.py [--requests 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from opsloop.serving.collection.collector import PayloadCollector
from opsloop.specs.endpoint import DataCollector

FEATURES = [f"f{i}" for i in range(20)]
COLLECTIONS = ("model_inputs", "model_outputs", "request", "response")


def one_round(mode: str, requests: int, folder: Path) -> tuple[float, float]:
    """(µs of CPU per request to collect, µs per request to flush)."""
    spec = DataCollector.model_validate(
        {"collections": {n: {"enabled": True} for n in COLLECTIONS}, "durability": mode}
    )
    collector = PayloadCollector(
        root_url=str(folder / "store"), endpoint="bench", deployment=mode, spec=spec,
        spool_root=folder / "spool",
    )  # fmt: skip
    values = [round(0.1234567 * i, 6) for i in range(20)]
    body = json.dumps({"dataframe_split": {"columns": FEATURES, "data": [values]}})
    started = time.process_time()
    for number in range(requests):
        collector.collect_request(
            {
                "request": [{"payload": body}],
                "response": [{"payload": "[1]"}],
                "model_inputs": [dict(zip(FEATURES, values, strict=True))],
                "model_outputs": [{"prediction": 1}],
            },
            f"request-{number}",
        )
    collected = time.process_time()
    collector.close()
    flushed = time.process_time()
    return (collected - started) / requests * 1e6, (flushed - collected) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="opsloop-collector-micro-"))
    results: dict[str, list[tuple[float, float]]] = {"buffered": [], "durable": []}
    try:
        for round_number in range(args.rounds):
            for mode in results:
                results[mode].append(one_round(mode, args.requests, folder / str(round_number)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for mode, rounds in results.items():
        collect = statistics.median(r[0] for r in rounds)
        flush = statistics.median(r[1] for r in rounds)
        print(f"{mode:9} collect {collect:5.1f} µs  flush {flush:5.1f} µs  "
              f"total {collect + flush:5.1f} µs CPU per request (median of {args.rounds})")  # fmt: skip


if __name__ == "__main__":
    main()
