"""Per-step overhead of the local executor against a bare Python process.

Runs, side by side in one run on one machine:
  * bare:      `python -c pass` as a plain subprocess (the floor),
  * step:      the same command as one pipeline step (process, working dir, MLflow run,
               log capture, outputs, status bookkeeping), measured from the step's own
               start/end times,
  * job:       a command job end to end, from submission to Completed (adds the runner
               process start-up),
  * CLI job:   `opsloop job create --stream` of that command job, the whole command (a
               fresh process: its own start, the submission, following the job to its end),
  * pipeline:  a pipeline of N independent `python -c pass` steps, per step,
  * quickstart (optional, --quickstart): the whole `opsloop quickstart`.

Usage:  python benchmarks/step_overhead.py [--repeat 5] [--steps 8] [--quickstart]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from opsloop import Client


def bare(repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return times


def cli_job(spec: Path, home: Path, repeat: int) -> dict[str, list[float]]:
    """The whole `job create --stream` command, as a person types it: through the home's
    local server (the default; the first call of the session starts it and is not timed)
    and in process (OPSLOOP_LOCAL_SERVER=0, as every call was before it). Calls are 5 s
    apart, a person's pace: the local server loads its next job runner ahead meanwhile."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLOOP_")}
    env["OPSLOOP_HOME"] = str(home)
    opsloop = str(Path(sys.executable).parent / "opsloop")
    command = [opsloop, "job", "create", "-w", "bench", "-f", str(spec), "--stream"]
    modes = {"CLI job create --stream": env,
             "CLI job create --stream, in process": {**env, "OPSLOOP_LOCAL_SERVER": "0"}}  # fmt: skip
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)  # starts the server
    try:
        for _ in range(repeat):
            for mode, mode_env in modes.items():
                time.sleep(5)
                start = time.perf_counter()
                subprocess.run(command, env=mode_env, check=True, stdout=subprocess.DEVNULL)
                times[mode].append(time.perf_counter() - start)
    finally:
        subprocess.run([opsloop, "local-server", "stop"], env=env, stdout=subprocess.DEVNULL)
    return times


def opsloop_runs(client: Client, folder: Path, repeat: int, steps: int) -> dict[str, list[float]]:
    command_job = folder / "job.yml"
    command_job.write_text('type: command\ncommand: python -c "pass"\n')
    single = folder / "single.yml"
    single.write_text(
        'type: pipeline\nsettings: {force_rerun: true}\njobs:\n  s:\n    command: python -c "pass"\n'
    )
    many = folder / "many.yml"
    many.write_text(
        "type: pipeline\nsettings: {force_rerun: true}\njobs:\n"
        + "".join(f'  s{i}:\n    command: python -c "pass"\n' for i in range(steps))
    )
    result: dict[str, list[float]] = {"step": [], "job": [], "pipeline_per_step": []}
    for _ in range(repeat):
        start = time.perf_counter()
        job = client.jobs.wait(client.jobs.create(file=command_job).name, poll_seconds=0.05)
        result["job"].append(time.perf_counter() - start)
        assert job.status == "Completed", job.error
        pipeline = client.jobs.wait(client.jobs.create(file=single).name, poll_seconds=0.05)
        step_seconds = pipeline.steps[0].duration_seconds
        assert step_seconds is not None
        result["step"].append(step_seconds)
        start = time.perf_counter()
        wide = client.jobs.wait(client.jobs.create(file=many).name, poll_seconds=0.05)
        result["pipeline_per_step"].append((time.perf_counter() - start) / steps)
        assert wide.status == "Completed", wide.error
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--quickstart", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opsloop-bench-") as scratch:
        folder = Path(scratch)
        with Client(home=folder / "home", workspace="bench") as client:
            client.workspaces.create(name="bench")
            client.jobs.wait(
                client.jobs.create(file=_warmup(folder)).name
            )  # MLflow schema creation
            floor = statistics.median(bare(args.repeat))
            runs = opsloop_runs(client, folder, args.repeat, args.steps)
        runs.update(cli_job(folder / "job.yml", folder / "home", args.repeat))
        rows = [("bare `python -c pass`", floor)]
        rows += [
            (f"opsloop {name.replace('_', ' ')}", statistics.median(v)) for name, v in runs.items()
        ]
        if args.quickstart:
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "opsloop.cli.main",
                    "quickstart",
                    "--home",
                    str(folder / "qs"),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            rows.append(("opsloop quickstart (whole)", time.perf_counter() - start))
    print(f"median of {args.repeat} runs; pipeline of {args.steps} independent steps\n")
    print(f"| {'what':<44} | {'seconds':>8} | {'x bare':>7} |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 9}|")
    for name, seconds in rows:
        print(f"| {name:<44} | {seconds:8.3f} | {seconds / floor:7.1f} |")


def _warmup(folder: Path) -> Path:
    spec = folder / "warmup.yml"
    spec.write_text('type: command\ncommand: python -c "pass"\n')
    return spec


if __name__ == "__main__":
    main()
