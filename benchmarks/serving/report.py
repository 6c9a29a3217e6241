"""The report: the results table, the issue's targets, and the run's metadata."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import math
import os
import platform

from loadgen import event_loop_name
from measure import BUSY_CORES, CeilingPairs, Row


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def table(rows: list[Row]) -> str:
    mlflow_rps = {
        r.model: r.load["rps"] for r in rows if r.server == "mlflow" and r.status == "ok" and r.load
    }
    bare = next((r for r in rows if r.server == "bare-asgi" and r.status == "ok" and r.load), None)
    bare_rps = bare.load["rps"] if bare and bare.load else None
    lines = [
        "| server | model | request | req/s | rows/s | p50 ms | p99 ms | non-200 | x MLflow "
        "| x bare ASGI | server CPU | loadgen CPU | other CPU | note |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if r.load is None:
            reason = r.reason.replace("|", "\\|")
            lines.append(
                f"| {r.server} | {r.model} | {r.request} | - | - | - | - | - | - | - | - | - | - "
                f"| {r.status}: {reason} |"
            )
            continue
        rps = r.load["rps"]
        # The ratios compare the same single-row request; V2 rows compare with each other.
        single = r.request == "invocations"
        x_mlflow = rps / mlflow_rps[r.model] if single and r.model in mlflow_rps else None
        x_bare = rps / bare_rps if single and bare_rps else None
        note = "" if r.status == "ok" else f"{r.status}: {r.reason}".replace("|", "\\|")
        if r.same_prediction is False:
            note = (note + "; " if note else "") + "prediction differs from the model"
        if r.other_cpu is not None and r.other_cpu > BUSY_CORES:
            note = (note + "; " if note else "") + "machine busy (other CPU): unreliable"
        lines.append(
            f"| {r.server} | {r.model} | {r.request} | {rps:,.0f} | {rps * r.rows:,.0f} "
            f"| {_fmt(r.load['p50_ms'], '.2f')} "
            f"| {_fmt(r.load['p99_ms'], '.2f')} | {r.load['non_200']} | {_fmt(x_mlflow, '.1f')} "
            f"| {_fmt(x_bare, '.3f')} | {_fmt(r.server_cpu, '.2f')} "
            f"| {', '.join(f'{c:.2f}' for c in r.load['client_cpu'])} "
            f"| {_fmt(r.other_cpu, '.2f')} | {note} |"
        )
    return "\n".join(lines)


def targets(rows: list[Row], paired: list[CeilingPairs] | None = None) -> list[str]:
    """The issue's target: opsloop >= 10x MLflow and >= 1/3 of the bare ASGI ceiling (read
    from the alternating pairs' median where they were run, else from the table)."""
    ok = [r for r in rows if r.status == "ok" and r.load]
    mlflow_rps = {r.model: r.load["rps"] for r in ok if r.server == "mlflow"}
    bare = [r.load["rps"] for r in ok if r.server == "bare-asgi"]
    medians = {p.label: p.median for p in paired or [] if p.ratios}
    out = []
    for r in rows:
        if not r.server.startswith("opsloop") or "collect" in r.server:
            continue
        if not r.load or r.status != "ok" or r.request != "invocations":
            continue
        rps = r.load["rps"]
        checks = []
        if r.model in mlflow_rps:
            checks.append(f">= 10x MLflow: {'yes' if rps >= 10 * mlflow_rps[r.model] else 'no'}")
        label = f"{r.server}/{r.model}"
        if label in medians:
            verdict = "yes" if medians[label] >= 1 / 3 else "no"
            checks.append(f">= 1/3 bare ASGI: {verdict} (median of pairs {medians[label]:.3f})")
        elif bare:
            checks.append(f">= 1/3 bare ASGI: {'yes' if rps >= bare[0] / 3 else 'no'}")
        if checks:  # neither MLflow nor the bare app measured: nothing to compare with
            out.append(f"{label}: " + ", ".join(checks))
    return out


def paired_report(paired: list[CeilingPairs]) -> list[str]:
    lines = []
    for p in paired:
        if not p.ratios:
            lines.append(f"{p.label}: no complete pair")
            continue
        each = ", ".join(f"{served:,.0f}/{bare:,.0f}" for bare, served in p.pairs)
        lines.append(
            f"{p.label} against bare ASGI, {len(p.ratios)} alternating pairs: median ratio "
            f"{p.median:.3f} (min {min(p.ratios):.3f}, max {max(p.ratios):.3f}; req/s {each})"
        )
    return lines


def meta(args: argparse.Namespace) -> dict:
    import mlflow
    import sklearn
    import uvicorn

    has_httptools = importlib.util.find_spec("httptools") is not None
    has_uvloop = importlib.util.find_spec("uvloop") is not None
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "mlflow": mlflow.__version__,
        "sklearn": sklearn.__version__,
        "uvicorn": uvicorn.__version__,
        # What `uvicorn --http auto --loop auto` (the default) picks in this environment.
        "uvicorn_http": "httptools" if has_httptools else "h11",
        "uvicorn_loop": "uvloop" if has_uvloop else "asyncio",
        "loadgen_loop": event_loop_name(),
        "connections": args.connections,
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "loadgen_processes": args.loadgen_processes,
        "workers": 1,
        "serialization": args.serialization,
        "quiet_wait_s": args.quiet_wait,
        "repeat": args.repeat,
        "ceiling_pairs": args.ceiling_pairs,
    }
