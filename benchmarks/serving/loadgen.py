"""Closed-loop HTTP/1.1 keep-alive load generator in pure Python asyncio.

Each of N connections sends one prebuilt request, reads the whole answer (status line,
headers, Content-Length or chunked body), records the latency, and sends the next one; so
the offered load is "N requests in flight at all times". Requests that complete during the
warm-up are discarded; the measured window is `duration` seconds after it.

Reports requests per second, p50/p90/p99/max latency, answers counted by status code
(non-200 answers are errors: a server that answers 429 or 503 fast is not a valid result)
and the CPU the load generator itself used (`client_cpu`, a fraction of one core per
process): near 1.0 means the load generator, not the server, is the bottleneck, and
`--processes K` splits the connections across K processes and merges the results.

Uses uvloop when it is installed.

Usage as a script:
    python benchmarks/serving/loadgen.py http://127.0.0.1:8000/invocations \
        --body '{"x": 1}' -c 8 --warmup 3 --duration 10 [--processes 2] \
        [-H 'Authorization: Bearer KEY'] [--method GET] [--json]

Usage as a library:  `run_load(url, body=..., headers=..., connections=8, ...)` returns a
`LoadResult`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

try:  # pragma: no cover - optional
    import uvloop
except ImportError:  # pragma: no cover - optional
    uvloop = None


# How long the processes of a --processes K run get to start (spawned interpreters).
START_DELAY_S = 2.0


def event_loop_name() -> str:
    return "uvloop" if uvloop is not None else "asyncio"


@dataclass
class LoadResult:
    """Merged result of one load run."""

    url: str
    connections: int
    processes: int
    duration_s: float
    requests: int  # completed in the measured window, any status
    ok: int  # status 200
    rps: float  # all completed answers per second
    ok_rps: float  # 200 answers per second
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    statuses: dict[str, int]  # "200": n, "429": n, ..., "conn_error": n
    non_200: int
    client_cpu: list[float]  # per process, fraction of one core during the measured window
    event_loop: str
    valid: bool  # no non-200 answers and at least one request
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def build_request(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None, method: str = ""
) -> tuple[str, int, bytes]:
    """Return (host, port, request bytes) for one keep-alive request to url."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"only http:// URLs are supported, got {url!r}")
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    method = method or ("POST" if body is not None else "GET")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    all_headers = dict(headers or {})
    if body is not None:
        all_headers.setdefault("Content-Type", "application/json")
        all_headers["Content-Length"] = str(len(body))
    lines += [f"{k}: {v}" for k, v in all_headers.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return host, port, head + (body or b"")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one whole response; return (status, keep_alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    # Status line: HTTP/1.1 200 OK
    status = int(head[9:12])
    length = -1
    chunked = False
    keep_alive = head[5:8] == b"1.1"
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection":
            v = value.strip().lower()
            if v == b"close":
                keep_alive = False
            elif v == b"keep-alive":
                keep_alive = True
    if chunked:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # Trailers (usually none), then the blank line.
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            await reader.readexactly(size + 2)
    elif length > 0:
        await reader.readexactly(length)
    elif length < 0 and status not in (204, 304) and not 100 <= status < 200:
        # No framing: the body runs to the end of the connection.
        await reader.read()
        keep_alive = False
    return status, keep_alive


async def _connection(
    host: str,
    port: int,
    request: bytes,
    measure_start: float,
    measure_end: float,
    latencies: list[float],
    statuses: Counter,
) -> None:
    perf = time.perf_counter
    reader = writer = None
    while True:
        now = perf()
        if now >= measure_end:
            break
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            start = perf()
            writer.write(request)
            status, keep_alive = await _read_response(reader)
            end = perf()
            if measure_start <= end <= measure_end:
                latencies.append(end - start)
                statuses[status] += 1
            if not keep_alive:
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            end = perf()
            if measure_start <= end <= measure_end:
                statuses["conn_error"] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)  # do not spin on a refused connection
    if writer is not None:
        writer.close()


async def _run_async(
    host: str,
    port: int,
    request: bytes,
    connections: int,
    start_at: float,
    warmup: float,
    duration: float,
) -> dict:
    # start_at is a wall-clock (time.time) instant shared by all processes.
    delay = start_at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    late = max(0.0, -delay)  # a process that started after start_at (slow start-up)
    t0 = time.perf_counter()
    measure_start = t0 + warmup
    measure_end = measure_start + duration
    latencies: list[float] = []
    statuses: Counter = Counter()
    tasks = [
        asyncio.create_task(
            _connection(host, port, request, measure_start, measure_end, latencies, statuses)
        )
        for _ in range(connections)
    ]
    # CPU time of this process over the measured window.
    await asyncio.sleep(max(0.0, measure_start - time.perf_counter()))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(max(0.0, measure_end - time.perf_counter()))
    cpu1, wall1 = time.process_time(), time.perf_counter()
    # Let in-flight requests finish (they are not counted); bound the wait.
    _done, pending = await asyncio.wait(tasks, timeout=max(5.0, duration))
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return {
        "latencies": latencies,
        "statuses": {str(k): v for k, v in statuses.items()},
        "client_cpu": (cpu1 - cpu0) / max(wall1 - wall0, 1e-9),
        "late_s": late,
    }


def _run_one(args: tuple) -> dict:
    host, port, request, connections, start_at, warmup, duration = args
    coro = _run_async(host, port, request, connections, start_at, warmup, duration)
    if uvloop is not None:
        return uvloop.run(coro)
    return asyncio.run(coro)


def _child(args: tuple, queue: mp.Queue) -> None:
    try:
        queue.put((args[3], _run_one(args)))
    except BaseException as e:  # report, do not hang the parent
        queue.put((args[3], {"error": repr(e)}))


def _run_processes(jobs: list[tuple], timeout: float) -> list[dict]:
    """Run each job in its own spawned process (no fork: the caller may have threads)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(job, queue), daemon=True) for job in jobs]
    for p in procs:
        p.start()
    parts = []
    try:
        deadline = time.monotonic() + timeout
        for _ in procs:
            _n, part = queue.get(timeout=max(0.1, deadline - time.monotonic()))
            if "error" in part:
                raise RuntimeError(f"load generator process failed: {part['error']}")
            parts.append(part)
    finally:
        for p in procs:
            p.join(timeout=2)
            if p.is_alive():
                p.kill()
                p.join()
    return parts


def _percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_load(
    url: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    connections: int = 8,
    warmup: float = 3.0,
    duration: float = 10.0,
    processes: int = 1,
    method: str = "",
    start_at: float | None = None,
) -> LoadResult:
    """Run the closed loop against url and return the merged result.

    start_at (a time.time() instant) is when the warm-up starts in every process; by default
    now for one process and START_DELAY_S from now for several (to let them start).
    """
    if isinstance(body, str):
        body = body.encode()
    processes = max(1, min(processes, connections))
    host, port, request = build_request(url, body, headers, method)
    # Split the connections as evenly as possible across processes.
    shares = [connections // processes + (i < connections % processes) for i in range(processes)]
    if start_at is None:
        start_at = time.time() + (START_DELAY_S if processes > 1 else 0.0)
    if processes == 1:
        parts = [_run_one((host, port, request, connections, start_at, warmup, duration))]
    else:
        jobs = [(host, port, request, n, start_at, warmup, duration) for n in shares]
        timeout = max(0.0, start_at - time.time()) + warmup + duration + 30.0
        parts = _run_processes(jobs, timeout)
    latencies = sorted(x for p in parts for x in p["latencies"])
    statuses: Counter = Counter()
    for p in parts:
        statuses.update(p["statuses"])
    requests = sum(v for k, v in statuses.items() if k != "conn_error")
    ok = statuses.get("200", 0)
    non_200 = sum(v for k, v in statuses.items() if k != "200")
    client_cpu = [round(p["client_cpu"], 3) for p in parts]
    warnings = []
    if non_200:
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()) if k != "200")
        warnings.append(f"INVALID: {non_200} non-200 answers ({detail})")
    if requests == 0:
        warnings.append("INVALID: no request completed in the measured window")
    late = max(p["late_s"] for p in parts)
    if late > 0.1 * warmup:
        warnings.append(f"a load generator process started {late:.2f} s late")
    if max(client_cpu) > 0.9:
        warnings.append(
            f"load generator near saturation (client_cpu={client_cpu}); "
            "try --processes 2 or check the result against the bare ASGI ceiling"
        )
    ms = 1000.0
    return LoadResult(
        url=url,
        connections=connections,
        processes=processes,
        duration_s=duration,
        requests=requests,
        ok=ok,
        rps=requests / duration,
        ok_rps=ok / duration,
        p50_ms=_percentile(latencies, 50) * ms,
        p90_ms=_percentile(latencies, 90) * ms,
        p99_ms=_percentile(latencies, 99) * ms,
        max_ms=(latencies[-1] * ms) if latencies else math.nan,
        mean_ms=(sum(latencies) / len(latencies) * ms) if latencies else math.nan,
        statuses=dict(sorted(statuses.items())),
        non_200=non_200,
        client_cpu=client_cpu,
        event_loop=event_loop_name(),
        valid=non_200 == 0 and requests > 0,
        warnings=warnings,
    )


def format_result(r: LoadResult) -> str:
    text = (
        f"{r.url}: {r.rps:,.0f} req/s ({r.requests} in {r.duration_s:g} s, "
        f"{r.connections} conns, {r.processes} proc, {r.event_loop})  "
        f"p50 {r.p50_ms:.2f} ms  p90 {r.p90_ms:.2f} ms  p99 {r.p99_ms:.2f} ms  "
        f"max {r.max_ms:.2f} ms  statuses {r.statuses}  client_cpu {r.client_cpu}"
    )
    for w in r.warnings:
        text += f"\n  WARNING: {w}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("--body", help="request body (a string); implies POST")
    parser.add_argument("--body-file", help="read the request body from this file")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--method", default="")
    parser.add_argument("-c", "--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    body: bytes | None = None
    if args.body_file:
        with open(args.body_file, "rb") as f:
            body = f.read()
    elif args.body is not None:
        body = args.body.encode()
    headers = {}
    for h in args.header:
        name, _, value = h.partition(":")
        headers[name.strip()] = value.strip()
    result = run_load(
        args.url,
        body=body,
        headers=headers,
        connections=args.connections,
        warmup=args.warmup,
        duration=args.duration,
        processes=args.processes,
        method=args.method,
    )
    print(json.dumps(result.to_dict(), indent=2) if args.json else format_result(result))
    return 0 if result.valid else 1


if __name__ == "__main__":
    sys.exit(main())
