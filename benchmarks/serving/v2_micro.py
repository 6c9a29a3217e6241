"""What the protocol costs per request, in process (no server, no sockets, no model): reading
the request into rows and writing the answer, for the requests of `run.py --requests`
(`invocations`, and the Open Inference Protocol's JSON and binary bodies of 1 and 1,000
rows of 20 float64s, answered with as many int64 predictions).

CPU time of this process (``time.process_time``), so other work on a shared machine
inflates it far less than it does requests per second. Alternating rounds; medians.

Usage:  python benchmarks/serving/v2_micro.py [--seconds 0.5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bodies import KINDS, Request, build  # noqa: E402
from models import BATCH_ROWS, FEATURES, Model  # noqa: E402

from opsloop.scoring.bundle import DeploymentBundle  # noqa: E402
from opsloop.serving.online.routes import answer, parse  # noqa: E402
from opsloop.specs.endpoint import OnlineDeploymentSpec  # noqa: E402


class _Deployment:
    """What ``routes.answer`` reads of a live deployment: its name and bundle."""

    def __init__(self) -> None:
        spec = OnlineDeploymentSpec(name="blue", endpoint_name="bench", model="m:1")
        self.bundle = DeploymentBundle("blue", spec, model_version="1")
        self.name = "blue"


def one_round(request: Request, seconds: float) -> float:
    """µs of CPU per request to parse it and write its answer."""
    protocol = "v2" if request.v2 else "mlflow"
    content_type = request.headers["Content-Type"]
    header_length = request.headers.get("Inference-Header-Content-Length")
    length = header_length.encode() if header_length else None
    predictions = np.ones(request.rows, dtype=np.int64)
    deployment = _Deployment()
    done, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        for _ in range(10):
            rows = parse(protocol, content_type, request.body, length)
            answer(protocol, deployment, predictions, "rid", rows, "bench")  # type: ignore[arg-type]
        done += 10
    return (time.process_time() - started) / done * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="per request kind and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = np.round(np.random.default_rng(0).normal(size=(BATCH_ROWS, 20)), 6)
    body = b'{"dataframe_split": {"columns": %s, "data": [%s]}}' % (
        str(FEATURES).replace("'", '"').encode(),
        str(rows[0].tolist()).encode(),
    )
    model = Model("bench", Path("."), body, [1], rows, [1] * BATCH_ROWS)
    requests = [build(kind, model) for kind in KINDS]
    results: dict[str, list[float]] = {r.kind: [] for r in requests}
    for _ in range(args.rounds):
        for request in requests:
            results[request.kind].append(one_round(request, args.seconds))
    for request in requests:
        median = statistics.median(results[request.kind])
        print(f"{request.kind:15} {len(request.body):8,} bytes  {median:9.1f} µs CPU per request "
              f"({median / request.rows:7.2f} per row; median of {args.rounds})")  # fmt: skip


if __name__ == "__main__":
    main()
