"""How long everyday CLI commands take, embedded and against a running server.

Runs, side by side in one run on one machine, each a fresh process, median of N:
  * bare:    `python -c pass` (the floor: starting Python),
  * mlflow:  `mlflow experiments search` against the same home's MLflow database (the peer:
             the tracking CLI people already use),
  * opsloop: `--help`, `workspace list`, `job list`, `job show`, `data show`, `model list` and
             `online-endpoint invoke`, embedded as a person runs them (no OPSLOOP_URI: after
             the first call, through the home's local server), embedded in process
             (OPSLOOP_LOCAL_SERVER=0: every call builds the platform itself, as the first call
             of a session does), and against `opsloop server` on the same home (OPSLOOP_URI,
             with the owner's OPSLOOP_TOKEN).

The runs are interleaved (every command once per round), so a busy moment on the machine
falls on all of them alike. Wall time is what a person waits; CPU time (user + system of
the command's process) is also reported, since it moves less on a machine shared with
other work.

Usage:  python benchmarks/cli.py [--repeat 5] [--home QUICKSTART_HOME]
Without --home the quickstart runs first in a scratch folder (a minute or two).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _server import free_port, owner_token, wait_healthy

BIN = Path(sys.executable).parent
TARGET_EMBEDDED_S = 0.5
TARGET_REMOTE_S = 0.3
MODES = ("embedded", "in process", "remote")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--home", type=Path, help="the home of an earlier `opsloop quickstart`")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opsloop-cli-bench-") as scratch:
        home = args.home or _quickstart(Path(scratch) / "qs")
        commands = _commands(home)
        # Without PYTHONDONTWRITEBYTECODE (set in some development shells): a user's install
        # has its modules' bytecode cached, and round 0 writes what is missing, where with it
        # every call compiled opsloop's own modules from source again.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("OPSLOOP_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env["OPSLOOP_HOME"] = str(home.resolve())
        remote_env = {**env, "OPSLOOP_TOKEN": owner_token(env)}
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "opsloop"), "server", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=scratch,
        )
        try:
            uri = f"http://127.0.0.1:{port}"
            wait_healthy(uri)
            rows = _measure(commands, env, {**remote_env, "OPSLOOP_URI": uri}, args.repeat)
        finally:
            server.terminate()
            server.wait(timeout=30)
            _stop_local_server(env)
    _print(rows, args.repeat)


def _quickstart(home: Path) -> Path:
    print("running the quickstart for a home to measure against ...", file=sys.stderr)
    subprocess.run(
        [str(BIN / "opsloop"), "quickstart", "--home", str(home)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return home


def _commands(home: Path) -> dict[str, list[str]]:
    """The commands, naming what the quickstart made (its newest job, data, endpoint)."""
    from opsloop import Client

    with Client(home=home, workspace="dev") as client:
        job = client.jobs.list(limit=1)[0].name
        data = client.data.list()[0].name
        endpoint = client.online_endpoints.list(workspace="staging")[0].name
    request = _request_file()
    return {
        "--help": ["--help"],
        "workspace list": ["workspace", "list"],
        "job list": ["job", "list", "-w", "dev"],
        "job show": ["job", "show", "-w", "dev", "-n", job],
        "data show": ["data", "show", "-w", "dev", "-n", data],
        "model list": ["model", "list", "-w", "dev"],
        "online-endpoint invoke": [
            "online-endpoint", "invoke", "-w", "staging", "-n", endpoint, "-r", str(request),
        ],
    }  # fmt: skip


def _request_file() -> Path:
    from opsloop.quickstart import classical_example_dir

    found = classical_example_dir() / "mlops" / "azureml" / "deploy" / "online"
    request = found / "score-request.json"
    json.loads(request.read_text())  # fail here, not in every timed call
    return request


def _measure(
    commands: dict[str, list[str]], embedded: dict[str, str], remote: dict[str, str], repeat: int
) -> dict[str, dict[str, list[tuple[float, float]]]]:
    runs: dict[str, dict[str, list[tuple[float, float]]]] = {}
    mlflow_env = {**embedded, "MLFLOW_TRACKING_URI": _mlflow_uri(embedded["OPSLOOP_HOME"])}
    for round_ in range(repeat + 1):  # round 0 warms the OS caches and is not counted
        timed = {
            ("bare `python -c pass`", ""): ([sys.executable, "-c", "pass"], embedded),
            ("`mlflow experiments search`", ""): (
                [str(BIN / "mlflow"), "experiments", "search"],
                mlflow_env,
            ),
        }
        in_process = {**embedded, "OPSLOOP_LOCAL_SERVER": "0"}
        for name, argv in commands.items():
            command = [str(BIN / "opsloop"), *argv]
            timed[(f"opsloop {name}", "embedded")] = (command, embedded)
            timed[(f"opsloop {name}", "in process")] = (command, in_process)
            timed[(f"opsloop {name}", "remote")] = (command, remote)
        for (name, mode), (argv, env) in timed.items():
            seconds = _run(argv, env)
            if round_:
                runs.setdefault(name, {}).setdefault(mode, []).append(seconds)
        if not round_:
            _wait_for_local_server(embedded)
    return runs


def _wait_for_local_server(env: dict[str, str]) -> None:
    """Round 0's first embedded call started the home's local server: the timed rounds
    measure calls that find it running, as a person's second and later calls do."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = subprocess.run(
            [str(BIN / "opsloop"), "local-server", "status"],
            env=env, capture_output=True, text=True, cwd=tempfile.gettempdir(),
        )  # fmt: skip
        if "calls go to it" in status.stdout:
            return
        time.sleep(1)
    raise SystemExit("the home's local server did not start: see local-server.log in the home")


def _stop_local_server(env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN / "opsloop"), "local-server", "stop"],
        env=env, stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir(),
    )  # fmt: skip


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of the command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _mlflow_uri(home: str) -> str:
    return f"sqlite:///{Path(home).resolve() / 'mlflow.db'}"


def _print(runs: dict[str, dict[str, list[tuple[float, float]]]], repeat: int) -> None:
    floor = statistics.median(w for w, _ in runs["bare `python -c pass`"][""])
    print(f"median of {repeat} runs, wall seconds (CPU seconds); x bare is wall / bare's wall\n")
    print(f"| {'what':<34} | {'embedded':>14} | {'in process':>14} | {'remote':>14} | "
          f"{'x bare':>16} |")  # fmt: skip
    print(f"|{'-' * 36}|{'-' * 16}|{'-' * 16}|{'-' * 16}|{'-' * 18}|")
    for name, modes in runs.items():
        cells, ratios = [], []
        for mode in MODES:
            samples = modes.get(mode) or modes.get("")
            if samples is None or (mode != "embedded" and "" in modes):
                cells.append("")
                continue
            wall = statistics.median(w for w, _ in samples)
            cpu = statistics.median(c for _, c in samples)
            target = TARGET_REMOTE_S if mode == "remote" else TARGET_EMBEDDED_S
            mark = "" if "" in modes or wall < target else " !"
            cells.append(f"{wall:.2f} ({cpu:.2f}){mark}")
            ratios.append(f"{wall / floor:.0f}")
        print(f"| {name:<34} | {cells[0]:>14} | {cells[1]:>14} | {cells[2]:>14} | "
              f"{' / '.join(ratios):>16} |")  # fmt: skip
    print(
        f"\n! over the target ({TARGET_EMBEDDED_S} s embedded, {TARGET_REMOTE_S} s remote) "
        "on this run"
    )


if __name__ == "__main__":
    main()
