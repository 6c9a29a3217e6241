"""Data drift, opsloop against Evidently's data drift report, side by side in one run.

    .venv/bin/python benchmarks/drift/run.py            # 1M x 20, then the 10M x 50 scale row
    .venv/bin/python benchmarks/drift/run.py --rows 100000 --no-scale   # a quick look

Each measured step runs in its own process, so its wall time includes its imports and its
peak memory (ru_maxrss) is its own; its CPU time (user + system) is reported too, being
steadier than wall time on a shared machine. Evidently runs in its own virtualenv
(benchmarks/drift/.venv-evidently, made here on first use: its pins need pandas<3). The
generated data lives in benchmarks/drift/data/ (gitignored, reused between runs). Results
are printed as Markdown tables and saved as JSON under benchmarks/drift/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402

EVIDENTLY_VENV = HERE / ".venv-evidently"
EVIDENTLY_PINS = ["evidently==0.7.23", "pandas<3"]
RESULTS = HERE / "results"


def ensure_evidently() -> Path:
    python = EVIDENTLY_VENV / "bin" / "python"
    marker = EVIDENTLY_VENV / "pins.txt"
    if not (
        python.exists() and marker.exists() and marker.read_text() == "\n".join(EVIDENTLY_PINS)
    ):
        print("making Evidently's virtualenv (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(EVIDENTLY_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *EVIDENTLY_PINS], check=True)
        marker.write_text("\n".join(EVIDENTLY_PINS))
    return python


def measured(python: str | Path, script: str, *args: str | Path) -> dict[str, Any]:
    """Run one side in its own process; return its JSON report plus the outer wall time."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(python), str(HERE / script), *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start
    return result


def compare(rows: int) -> dict[str, Any]:
    reference, production = data.ensure_1m(rows)
    summary = data.DATA / f"summary_{rows}.json"
    evidently_python = ensure_evidently()
    opsloop_summary = measured(sys.executable, "opsloop_side.py", "summarize", reference, summary)
    opsloop_drift = measured(sys.executable, "opsloop_side.py", "drift", summary, production)
    opsloop_all = measured(sys.executable, "opsloop_side.py", "drift", summary, production, "all")
    evidently = measured(evidently_python, "evidently_side.py", reference, production)
    return {
        "rows": rows,
        "opsloop_summary": opsloop_summary,
        "opsloop_drift": opsloop_drift,
        "opsloop_all_metrics": opsloop_all,
        "evidently": evidently,
    }


def scale(rows: int) -> dict[str, Any]:
    path = data.ensure_scale(rows)
    summary = data.DATA / f"summary_scale_{rows}.json"
    return {
        "rows": rows,
        "summary": measured(sys.executable, "opsloop_side.py", "summarize", path, summary),
        "drift": measured(sys.executable, "opsloop_side.py", "drift", summary, path),
    }


def print_comparison(result: dict[str, Any]) -> None:
    evidently = result["evidently"]
    ours = result["opsloop_drift"]
    print(
        f"\n### {result['rows']:,} production rows x 20 features vs a {result['rows']:,}-row reference\n"
    )
    print(
        "| what | wall s | CPU s | peak RSS MB | wall vs Evidently | CPU vs Evidently | memory vs Evidently |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    steps = [
        ("Evidently DataDriftPreset (read + report)", evidently),
        ("opsloop drift run, default metrics", ours),
        ("opsloop drift run, all 7 metrics", result["opsloop_all_metrics"]),
        ("opsloop reference summary (once per reference)", result["opsloop_summary"]),
    ]
    for label, step in steps:
        wall = evidently["process_seconds"] / step["process_seconds"]
        cpu = evidently["cpu_seconds"] / step["cpu_seconds"]
        memory = step["peak_rss_mb"] / evidently["peak_rss_mb"]
        print(
            f"| {label} | {step['process_seconds']:.2f} | {step['cpu_seconds']:.2f} | "
            f"{step['peak_rss_mb']:.0f} | {wall:.1f}x faster | {cpu:.1f}x less | {memory:.2f} |"
        )
    print(
        f"\n(Evidently's report alone, without reading the Parquet files: {evidently['report_seconds']:.2f} s)\n"
    )
    theirs = {r["feature"]: r for r in evidently["results"]}
    print(
        "| feature | Evidently method | Evidently value | opsloop metric | opsloop value | Evidently drift | opsloop drift | same |"
    )
    print("|---|---|---:|---|---:|:-:|:-:|:-:|")
    same = 0
    for row in ours["results"]:
        other = theirs[row["feature"]]
        agree = other["breached"] == row["breached"]
        same += agree
        print(
            f"| {row['feature']} | {other['method']} | {other['value']:.4f} | {row['metric']} | "
            f"{row['value']:.4f} | {_yes(other['breached'])} | {_yes(row['breached'])} | {_yes(agree)} |"
        )
    print(f"\nSame verdict on {same} of {len(ours['results'])} features.")


def print_scale(result: dict[str, Any]) -> None:
    print(f"\n### Scale: {result['rows']:,} rows x 50 columns from Parquet\n")
    print("| step | wall s | CPU s | peak RSS MB |")
    print("|---|---:|---:|---:|")
    for label in ("summary", "drift"):
        step = result[label]
        print(
            f"| opsloop {label} | {step['process_seconds']:.2f} | "
            f"{step.get('cpu_seconds', 0):.2f} | {step['peak_rss_mb']:.0f} |"
        )


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--scale-rows", type=int, default=10_000_000)
    parser.add_argument("--no-scale", action="store_true", help="skip the 10M x 50 row")
    parser.add_argument("--no-compare", action="store_true", help="skip the Evidently comparison")
    args = parser.parse_args()
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    if not args.no_compare:
        results["compare"] = compare(args.rows)
        print_comparison(results["compare"])
    if not args.no_scale:
        results["scale"] = scale(args.scale_rows)
        print_scale(results["scale"])
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"drift_{time.strftime('%Y%m%d_%H%M%S')}.json"
    results["load_after"] = os.getloadavg()
    out.write_text(json.dumps(results, indent=1))
    print(
        f"\nload average before the run: {results['load_before']}, after: {results['load_after']}"
    )
    print(f"results in {out}")


if __name__ == "__main__":
    main()
