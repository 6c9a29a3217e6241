"""One measurement: start a server, check its answer, load it, and record a `Row`."""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bodies import build, v2_predictions
from http_checks import http_with_headers, predictions, same, wait_ready
from loadgen import START_DELAY_S, LoadResult, run_load
from models import Model
from processes import free_port, machine_busy_seconds, server_cpu_seconds, start, stop, wait_quiet
from servers import ServerSpec, Skip

BUSY_CORES = 0.25  # other processes above this during a measurement: flag the number


@dataclass
class Row:
    server: str
    model: str
    request: str = "invocations"  # see bodies.KINDS
    rows: int = 1  # rows per request
    status: str = "ok"  # ok | skipped | failed | INVALID
    reason: str = ""
    same_prediction: bool | None = None
    load: dict | None = None
    server_cpu: float | None = None  # cores used by the server in the measured window
    other_cpu: float | None = None  # cores used by everything else (not server, not loadgen)
    startup_s: float | None = None  # from start to ready
    stop_s: float | None = None
    attempts: list[dict] = field(default_factory=list)  # every repetition (see --repeat)


def measure(
    server: str,
    model: Model | None,
    spec_fn,
    args: argparse.Namespace,
    scratch: Path,
    kind: str = "invocations",
) -> Row:
    request = build(kind, model) if model is not None else None
    row = Row(server, model.name if model else "-", kind, request.rows if request else 1)
    label = f"{server}/{row.model}" + ("" if kind == "invocations" else f" [{kind}]")
    try:
        port = free_port()
        spec: ServerSpec = spec_fn(port)
    except Skip as e:
        row.status, row.reason = "skipped", str(e)
        print(f"  {label}: skipped ({e})", flush=True)
        return row
    if request is not None and request.v2 and spec.v2_url is None:
        row.status, row.reason = "skipped", f"{server} does not speak the V2 protocol"
        return row
    url = spec.v2_url if request is not None and request.v2 else spec.url
    log = scratch / f"{server}-{row.model}-{kind}.log"
    if args.quiet_wait > 0:
        busy = wait_quiet(args.quiet_wait)
        if busy >= 0.2:
            print(f"  {label}: machine still busy ({busy:.2f} cores) after waiting", flush=True)
    t0 = time.perf_counter()
    proc = start(spec.cmd, spec.env, scratch, log)
    try:
        wait_ready(proc, spec.ready_url, log, spec.ready_timeout)
        row.startup_s = time.perf_counter() - t0
        body = request.body if request else b'{"ping": 1}'
        request_headers = request.headers if request else {"Content-Type": "application/json"}
        headers = {**request_headers, **spec.headers}
        status, answer, answer_headers = http_with_headers(url, body, headers, timeout=30)
        if status != 200:
            raise RuntimeError(f"check request answered {status}: {answer[:300]!r}")
        if request is not None:
            got = v2_predictions(answer, answer_headers) if request.v2 else predictions(answer)
            row.same_prediction = same(got, request.expected)
            if not row.same_prediction:
                print(f"  {label}: WARNING prediction {got[:5]!r} != {request.expected[:5]}")
        attempts = []
        for i in range(args.repeat):
            result, server_cpu, other_cpu = _load(proc, url, body, headers, args)
            if other_cpu > BUSY_CORES:
                result.warnings.append(
                    f"machine busy: other processes used {other_cpu:.2f} cores during the "
                    "measured window; this number is not reliable (see --quiet-wait)"
                )
            attempts.append(
                {"load": result.to_dict(), "server_cpu": server_cpu, "other_cpu": other_cpu}
            )
            rep = f" [{i + 1}/{args.repeat}]" if args.repeat > 1 else ""
            print(
                f"  {label}{rep}: {result.rps:,.0f} req/s  p50 {result.p50_ms:.2f} ms  "
                f"p99 {result.p99_ms:.2f} ms  statuses {result.statuses}  "
                f"server_cpu {server_cpu:.2f}  loadgen_cpu {result.client_cpu}  "
                f"other_cpu {other_cpu:.2f}",
                flush=True,
            )
            for w in result.warnings:
                print(f"    WARNING: {w}", flush=True)
        # Best of the repetitions: highest req/s among those the rest of the machine left
        # alone (a busy machine only ever lowers a number); busy ones only if all are.
        best = max(attempts, key=lambda a: (a["other_cpu"] <= BUSY_CORES, a["load"]["rps"]))
        row.load, row.server_cpu, row.other_cpu = (
            best["load"],
            best["server_cpu"],
            best["other_cpu"],
        )
        row.attempts = attempts
        invalid = [a["load"] for a in attempts if not a["load"]["valid"]]
        if invalid:
            row.status = "INVALID"
            row.reason = "; ".join(w for w in invalid[0]["warnings"] if w.startswith("INVALID"))
    except Exception as e:  # a broken server must not stop the other measurements
        row.status, row.reason = "failed", str(e).strip().splitlines()[0][:300]
        print(f"  {label}: FAILED {e}", flush=True)
    finally:
        t_stop = time.perf_counter()
        stop(proc)
        row.stop_s = time.perf_counter() - t_stop
    return row


def _load(
    proc: subprocess.Popen, url: str, body: bytes, headers: dict, args: argparse.Namespace
) -> tuple[LoadResult, float, float]:
    """Run the load generator; sample the server's and the machine's CPU over the same
    measured window. Returns (result, server cores, other cores)."""
    start_at = time.time() + (START_DELAY_S if args.loadgen_processes > 1 else 0.1)
    cpu: list[tuple[float, float]] = []

    def sample() -> None:
        for instant in (start_at + args.warmup, start_at + args.warmup + args.duration):
            time.sleep(max(0.0, instant - time.time()))
            cpu.append((server_cpu_seconds(proc.pid), machine_busy_seconds()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = run_load(
        url,
        body=body,
        headers=headers,
        connections=args.connections,
        warmup=args.warmup,
        duration=args.duration,
        processes=args.loadgen_processes,
        start_at=start_at,
    )
    sampler.join(timeout=5)
    if len(cpu) != 2:
        return result, math.nan, math.nan
    server_cpu = (cpu[1][0] - cpu[0][0]) / args.duration
    machine = (cpu[1][1] - cpu[0][1]) / args.duration
    other = max(0.0, machine - server_cpu - sum(result.client_cpu))
    return result, server_cpu, other


@dataclass
class CeilingPairs:
    """``server/model`` measured N times, each time right after a fresh bare ASGI run."""

    label: str
    ratios: list[float]  # server req/s / bare req/s, per pair
    pairs: list[tuple[float, float]]  # (bare req/s, server req/s)

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)


def ceiling_pairs(
    label: str,
    server_fn,
    bare_fn,
    model: Model,
    args: argparse.Namespace,
    scratch: Path,
) -> CeilingPairs:
    """Alternate the bare app and the server ``args.ceiling_pairs`` times: on a machine
    whose speed drifts by a third from minute to minute, the ratio of two runs taken
    seconds apart is steadier than two best-of numbers taken minutes apart."""
    once = argparse.Namespace(**{**vars(args), "repeat": 1})
    result = CeilingPairs(label, [], [])
    for i in range(args.ceiling_pairs):
        print(f"  pair {i + 1}/{args.ceiling_pairs} for {label}:", flush=True)
        bare = measure("bare-asgi", None, bare_fn, once, scratch)
        served = measure(label.split("/")[0], model, server_fn, once, scratch)
        if bare.status != "ok" or served.status != "ok" or not bare.load or not served.load:
            print(f"    pair {i + 1} left out: {bare.reason or served.reason}", flush=True)
            continue
        result.pairs.append((bare.load["rps"], served.load["rps"]))
        result.ratios.append(served.load["rps"] / bare.load["rps"])
    return result
