"""CPU instructions per request, counted by callgrind inside the running server.

    python benchmarks/serving/instructions.py                  # bare ASGI app, opsloop ONNX logreg
    python benchmarks/serving/instructions.py --models forest,logreg --duration 6

Timings on a shared VM drift from minute to minute; instruction counts do not (much). Each
server (the bare ASGI app, and opsloop's ONNX endpoint per model, started exactly as run.py
starts them) runs under `valgrind --tool=callgrind --instr-atstart=no`, which makes it about
50 times slower and costs a minute or two of start-up for opsloop. The script sends a few
seconds of load uncounted, switches counting on (`callgrind_control -i on`), sends
`--duration` seconds of load at 8 connections with the same single-row request as run.py,
switches counting off and reads the totals. It reports user-space instructions per answered
request, in all and inside a few functions (inclusive): the kernel's work is not counted.
Needs valgrind (callgrind_control, callgrind_annotate).
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from http_checks import wait_ready  # noqa: E402
from loadgen import run_load  # noqa: E402
from models import Model, train_and_save  # noqa: E402
from processes import free_port, on_sigterm, start, stop, stop_all  # noqa: E402
from servers import Opsloop, ServerSpec, bare_spec  # noqa: E402

# (label, pattern of the function's line in callgrind_annotate's inclusive listing); the
# largest matching line counts, as a function can be listed under several names.
PARTS = [
    ("reading + HTTP parsing (llhttp and its callbacks)", r"llhttp_execute \["),
    ("the request's task (app + uvicorn writing the answer)", r"task_step_impl \["),
    ("JSON body (orjson.loads)", r"\?\?\?:loads \[.*orjson"),
    ("response header checks (re.search)", r"_sre_SRE_Pattern_search \["),
    ("rows to a numpy matrix (asarray)", r"array_asarray \["),
    ("ONNX Runtime", r"onnxruntime_pybind11_state"),
]


def counted_run(name: str, spec: ServerSpec, body: bytes, args: argparse.Namespace, scratch: Path):
    """(requests answered while counting, {label: instructions}) for one server."""
    out = scratch / f"callgrind.{name}"
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--trace-children=no"]
    # Console scripts are Python files: valgrind runs the interpreter on them.
    interpreter = [] if spec.cmd[0] == sys.executable else [sys.executable]
    cmd = [*valgrind, f"--callgrind-out-file={out}", *interpreter, *spec.cmd]
    log = scratch / f"{name}.log"
    proc = start(cmd, spec.env, scratch, log)
    try:
        print(f"  {name}: starting under callgrind ...", flush=True)
        wait_ready(proc, spec.ready_url, log, args.ready_timeout)
        headers = {"Content-Type": "application/json", **spec.headers}
        run_load(spec.url, body, headers, connections=8, warmup=0, duration=args.warmup)
        subprocess.run(
            ["callgrind_control", "-i", "on", str(proc.pid)], check=True, capture_output=True
        )
        result = run_load(spec.url, body, headers, connections=8, warmup=0, duration=args.duration)
        subprocess.run(
            ["callgrind_control", "-i", "off", str(proc.pid)], check=True, capture_output=True
        )
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, capture_output=True)
    finally:
        stop(proc)
    bad = {code: n for code, n in result.statuses.items() if str(code) != "200"}
    if bad or not result.requests:
        raise RuntimeError(f"{name}: answers other than 200 while counting: {result.statuses}")
    return result.requests, parts(out.with_name(out.name + ".1"))  # the -d dump


def parts(dump: Path) -> dict[str, int]:
    listing = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(dump)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found: dict[str, int] = {}
    for line in listing.splitlines():
        match = re.match(r"\s*([\d,]+) \(", line)
        if not match:
            continue
        count = int(match.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in line:
            found["all of it"] = count
        for label, pattern in PARTS:
            if re.search(pattern, line):
                found[label] = max(found.get(label, 0), count)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="logreg", help="forest,logreg (ONNX endpoints)")
    parser.add_argument("--duration", type=float, default=6.0, help="counted seconds of load")
    parser.add_argument("--warmup", type=float, default=4.0, help="uncounted seconds first")
    parser.add_argument("--ready-timeout", type=float, default=600.0)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    signal.signal(signal.SIGTERM, on_sigterm)
    scratch = Path(tempfile.mkdtemp(prefix="opsloop-serving-instructions-"))
    try:
        wanted = args.models.split(",")
        models: list[Model] = [m for m in train_and_save(scratch, "skops") if m.name in wanted]
        opsloop = Opsloop(scratch / "home")
        opsloop.prepare(models, ["opsloop-onnx"])
        servers = [("bare-asgi", bare_spec(free_port()))]
        servers += [
            (f"opsloop-onnx-{m.name}", opsloop.spec(m, free_port(), "opsloop-onnx")) for m in models
        ]
        results = {
            name: counted_run(name, spec, models[0].body, args, scratch) for name, spec in servers
        }
    finally:
        stop_all()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print_table(results)
    return 0


def print_table(results: dict[str, tuple[int, dict[str, int]]]) -> None:
    names = list(results)
    print("\ninstructions per request (user space, inclusive)")
    print(f"| {'':55} | " + " | ".join(f"{n:>22}" for n in names) + " |")
    print(f"|{'-' * 57}|" + "|".join("-" * 23 + ":" for _ in names) + "|")
    for label in ["all of it", *(label for label, _ in PARTS)]:
        cells = []
        for name in names:
            requests, found = results[name]
            cells.append(f"{found[label] / requests:>22,.0f}" if label in found else f"{'-':>22}")
        print(f"| {label:55} | " + " | ".join(cells) + " |")
    print("requests counted: " + ", ".join(f"{n} {results[n][0]:,}" for n in names))


if __name__ == "__main__":
    sys.exit(main())
