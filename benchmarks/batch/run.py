"""Batch scoring: an opsloop batch job against an in-process predict loop of the same model.

Side by side in one run, on the quickstart's taxi fare model (see prepare.py) and the same
``--rows`` trips in ``--files`` CSV files:
  * in-process: a fresh Python process loads the model with ``mlflow.pyfunc.load_model`` and
                predicts each file's rows (inprocess.py): the loop a user would write;
  * command:    ``python -m opsloop.serving.batch`` (what a batch endpoint job runs) with
                ``max_concurrency_per_instance: --workers`` and the other settings at their
                defaults (``mini_batch_size`` 10, ``inference_runtime`` auto, append_row to
                predictions.csv);
  * job:        a batch endpoint in an embedded opsloop home invoked on the same folder, from
                ``batch_endpoints.invoke`` to Completed (uploading the folder, the job's
                runner, its MLflow run; leave out with --no-job).

It reports rows per second three ways, each against its like on the in-process side:
  * scoring phase: opsloop's ``elapsed_s`` (planning, starting the workers, their imports and
    model loads, scoring, writing) against the in-process loop's predict time (model already
    loaded, nothing written: the strictest comparison);
  * command: the whole command against the whole in-process process (start, imports, load);
  * job: the job against the whole in-process process;
and the peak memory (PSS summed over each process tree, sampled every 0.1 s), the runtime
``auto`` chose, and a check that both sides predicted the same values.

Usage:  python benchmarks/batch/run.py [--rows 1000000] [--files 4] [--workers 2]
            [--trees 50] [--repeat 1] [--no-job] [--keep] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from memory import PeakMemory  # noqa: E402
from prepare import train_model, write_inputs  # noqa: E402


def run_measured(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak PSS (MB) of the process tree, and stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakMemory(process.pid) as memory:
        out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err[-3000:]}")
    return wall, memory.peak_mb, out


def in_process(model: Path, inputs: Path) -> dict[str, Any]:
    wall, peak, out = run_measured(
        [sys.executable, str(HERE / "inprocess.py"), str(model), str(inputs)]
    )
    return {**json.loads(out.strip().splitlines()[-1]), "wall_s": wall, "peak_mb": peak}


def command(model: Path, inputs: Path, folder: Path, workers: int) -> dict[str, Any]:
    settings = folder / "settings.json"
    spec = {"name": "bench", "endpoint_name": "bench", "model": "bench:1"}
    settings.write_text(json.dumps({**spec, "max_concurrency_per_instance": workers}))
    output = folder / "out"
    shutil.rmtree(output, ignore_errors=True)
    wall, peak, _ = run_measured(
        [sys.executable, "-m", "opsloop.serving.batch", "--model-dir", str(model), "--input",
         str(inputs), "--output", str(output), "--settings", str(settings)]
    )  # fmt: skip
    summary = json.loads((output / "batch_summary.json").read_text())
    return {"wall_s": wall, "peak_mb": peak, "summary": summary, "output": output}


def job(model: Path, inputs: Path, home: Path, workers: int) -> dict[str, Any]:
    from opsloop import Client

    with Client(home=home, workspace="bench") as client:
        if not any(w.name == "bench" for w in client.workspaces.list()):
            client.workspaces.create(name="bench")
            client.models.create(name="taxi", path=str(model))
            client.batch_endpoints.create(name="taxi-batch")
            client.batch_deployments.create(
                name="d", endpoint_name="taxi-batch", model="taxi:1",
                max_concurrency_per_instance=workers,
            )  # fmt: skip
        started = time.perf_counter()
        submitted = client.batch_endpoints.invoke("taxi-batch", input=str(inputs))
        invoked = time.perf_counter()
        done = client.jobs.wait(submitted.name, timeout=1800, poll_seconds=0.2)
        wall = time.perf_counter() - started
        if done.status != "Completed":
            raise SystemExit(f"batch job {done.name} ended {done.status}: {done.error}")
        assert done.started_at is not None and done.ended_at is not None
        return {
            "wall_s": wall,
            "invoke_s": invoked - started,  # uploading the folder and submitting the job
            "queued_s": (done.started_at - done.created_at).total_seconds(),
            "run_s": (done.ended_at - done.started_at).total_seconds(),
            "job": done.name,
        }


def same_predictions(output: Path, model: Path, inputs: Path, sample: int = 2000) -> bool:
    """opsloop's first rows of each file against the model predicting them in this process."""
    import mlflow.pyfunc
    import numpy as np
    import pandas as pd

    written = pd.read_csv(output / "predictions.csv")
    loaded = mlflow.pyfunc.load_model(str(model))
    for path in sorted(inputs.glob("*.csv")):
        expected = np.asarray(loaded.predict(pd.read_csv(path, nrows=sample)))
        mine = written[written["file"] == path.name]["prediction"].to_numpy()[:sample]
        if len(mine) != len(expected) or not np.allclose(mine, expected, rtol=1e-4, atol=1e-4):
            return False
    return True


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def report(rows: int, peer: list[dict], mine: list[dict], jobs: list[dict], same: bool) -> dict:
    predict_s, peer_wall = median(peer, "predict_s"), median(peer, "wall_s")
    scoring_s = statistics.median(run["summary"]["elapsed_s"] for run in mine)
    command_s = median(mine, "wall_s")
    lines = [
        ("in-process predict loop (model loaded)", predict_s, None),
        ("in-process, whole process", peer_wall, max(run["peak_mb"] for run in peer)),
        ("opsloop scoring phase", scoring_s, None),
        ("opsloop command", command_s, max(run["peak_mb"] for run in mine)),
    ]
    if jobs:
        lines.append(("opsloop batch endpoint job", median(jobs, "wall_s"), None))
    print(f"\n{rows:,} rows, median of {len(mine)}\n")
    print("| what                                    |  seconds |   rows/s | peak MB |")
    print("|-----------------------------------------|----------|----------|---------|")
    for name, seconds, peak in lines:
        memory = f"{peak:7.0f}" if peak is not None else "      -"
        print(f"| {name:<39} | {seconds:8.2f} | {rows / seconds:8,.0f} | {memory} |")
    ratios = {"scoring phase": predict_s / scoring_s, "command": peer_wall / command_s}
    if jobs:
        ratios["job"] = peer_wall / median(jobs, "wall_s")
    print("\nratios (opsloop rows/s over in-process rows/s; target 0.8):")
    print("  scoring phase vs predict loop:  {:.2f}".format(ratios["scoring phase"]))
    print("  command vs whole process:       {:.2f}".format(ratios["command"]))
    if jobs:
        print("  job vs whole process:           {:.2f}".format(ratios["job"]))
    summary = mine[-1]["summary"]
    print("\nper run, back to back (scoring phase / command / job), with the 1-minute load:")
    for index, (theirs, ours) in enumerate(zip(peer, mine, strict=True)):
        pair = [
            theirs["predict_s"] / ours["summary"]["elapsed_s"],
            theirs["wall_s"] / ours["wall_s"],
        ]
        if jobs:
            pair.append(theirs["wall_s"] / jobs[index]["wall_s"])
        shown = " / ".join(f"{ratio:.2f}" for ratio in pair)
        print(f"  run {index + 1}: {shown}   (load {theirs['load']:.1f})")
    print(f"\nruntime: {summary['runtime']} ({summary['runtime_reason']})")
    print(f"mini-batches: {summary['mini_batches']}; worker seconds: {summary['worker_seconds']}")
    print(f"same predictions as in-process: {same}")
    return {"rows": rows, "ratios": ratios, "in_process": peer, "command": mine, "job": jobs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trees", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-job", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--out", type=Path, help="write the results as JSON")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="opsloop-batch-bench-"))
    try:
        print(f"preparing the model and {args.rows:,} rows in {args.files} files in {folder}")
        model = train_model(folder, args.trees)
        inputs = write_inputs(folder, args.rows, args.files)
        peer, mine, jobs = [], [], []
        for _ in range(args.repeat):  # alternate, so that a busy moment hits both sides
            peer.append({**in_process(model, inputs), "load": os.getloadavg()[0]})
            mine.append(command(model, inputs, folder, args.workers))
            if not args.no_job:
                jobs.append(job(model, inputs, folder / "home", args.workers))
        same = same_predictions(mine[-1]["output"], model, inputs)
        for run in mine:
            run.pop("output")
        results = report(args.rows, peer, mine, jobs, same)
        if args.out:
            args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
