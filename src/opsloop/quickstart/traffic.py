"""Production traffic for the quickstart: prod's endpoint served over HTTP by
``opsloop online-endpoint serve`` (as a user would run it), and a model end user scoring
trips with the endpoint's key until told to stop. The canary's analysis reads these
requests from the endpoint's traffic log; the monitor reads the data they carried, so the
requests are generated trips, many different ones, not one body sent again and again."""

from __future__ import annotations

import collections
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from opsloop.errors import OpsloopError
from opsloop.quickstart.inner import example_module

_FEATURES_ONLY = "cost"  # the label: an end user asks for the fare, never sends it


@dataclass(frozen=True)
class TripRequests:
    """Score request bodies of ``rows_each`` trips each."""

    bodies: Sequence[bytes]
    rows_each: int


def trip_requests(
    example: Path, rows: int, seed: int, *, drift: bool = False, rows_each: int = 5
) -> TripRequests:
    """Trips from the example's generator as request bodies (a missing value is JSON null,
    as a client's JSON carries it; NaN is no JSON)."""
    frame = example_module(example / "data" / "generate.py").generate_taxi_data(rows, seed, drift)
    frame = frame.drop(columns=[_FEATURES_ONLY])
    columns = [str(column) for column in frame.columns]
    values = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    bodies = [
        json.dumps({"input_data": {"columns": columns, "data": values[i : i + rows_each]}}).encode()
        for i in range(0, len(values) - rows_each + 1, rows_each)
    ]
    return TripRequests(bodies, rows_each)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EndUserTraffic:
    """Serve ``endpoint`` of ``workspace`` in a child process and score ``requests``
    against it, in turn, from a thread, until the context ends."""

    def __init__(
        self,
        home: Path,
        workspace: str,
        endpoint: str,
        key: str,
        requests: TripRequests,
        rate: float = 40.0,
    ) -> None:
        self.home, self.workspace, self.endpoint = home, workspace, endpoint
        self.requests, self.pause = requests, 1.0 / rate
        self.headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
        self.status_codes: collections.Counter[int] = collections.Counter()
        self._stop = threading.Event()
        self._server: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def rows_scored(self) -> int:
        """Trips answered with 200 (the rows the endpoint's data collector saw)."""
        return self.status_codes[200] * self.requests.rows_each

    def __enter__(self) -> EndUserTraffic:
        port = _free_port()
        command = [sys.executable, "-m", "opsloop.cli.main", "online-endpoint", "serve",
                   "-w", self.workspace, "-n", self.endpoint, "--port", str(port)]  # fmt: skip
        environment = os.environ | {"OPSLOOP_HOME": str(self.home)}
        environment.pop("OPSLOOP_TOKEN", None)  # the owner serves; end users bring a key
        self._server = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.url = f"http://127.0.0.1:{port}/score"
        self._wait_until_ready(f"http://127.0.0.1:{port}/v2/health/ready")
        self._thread = threading.Thread(target=self._score, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._server is not None:
            self._server.terminate()
            try:
                self._server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._server.kill()

    def _wait_until_ready(self, url: str, timeout: float = 60.0) -> None:
        assert self._server is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                stderr = self._server.stderr.read().decode() if self._server.stderr else ""
                raise OpsloopError(f"serving {self.endpoint} stopped: {stderr.strip()[-500:]}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise OpsloopError(f"serving {self.endpoint} was not ready after {timeout:g} s")

    def _score(self) -> None:
        bodies = itertools.cycle(self.requests.bodies)
        with httpx.Client(timeout=30.0) as http:
            while not self._stop.is_set():
                try:
                    answer = http.post(self.url, content=next(bodies), headers=self.headers)
                    self.status_codes[answer.status_code] += 1
                except httpx.TransportError:
                    self.status_codes[0] += 1
                self._stop.wait(self.pause)
