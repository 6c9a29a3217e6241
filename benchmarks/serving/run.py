"""Online serving: an opsloop online endpoint against `mlflow models serve` and a bare ASGI app.

Side by side in one run, on the same scikit-learn models (a 100-tree random forest and a
logistic regression, 20 numeric features, synthetic data, fixed seed), each server with one
worker, one server at a time:
  * mlflow:        `mlflow models serve -m DIR --env-manager local -w 1`,
  * opsloop:       an opsloop online endpoint (`opsloop online-endpoint serve --workers 1`),
  * opsloop-onnx:  the same with `inference_runtime=onnx` (skip with --no-onnx),
  * bare-asgi:     a constant-answer ASGI app under uvicorn (the ceiling; once, not per model).

Each gets single-row `POST /invocations` requests (identical `dataframe_split` body for MLflow
and opsloop) from a closed-loop keep-alive load generator (`loadgen.py`) at fixed concurrency;
it reports requests per second, p50/p99 latency, non-200 answers (a run with any is flagged
INVALID), the CPU used by the server and by the load generator, and ratios against MLflow and
against the bare ASGI ceiling. Before loading a server it checks that one request returns the
same prediction as the model in this process.

Usage:  python benchmarks/serving/run.py [--connections 8] [--warmup 3] [--duration 10]
            [--models forest,logreg] [--servers mlflow,opsloop,opsloop-onnx,bare-asgi]
            [--no-onnx] [--loadgen-processes 1] [--repeat 1] [--quiet-wait 0]
            [--serialization skops|cloudpickle] [--keep] [--out results.json]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from loadgen import START_DELAY_S, LoadResult, event_loop_name, run_load  # noqa: E402

FEATURES = [f"f{i}" for i in range(20)]
SEED = 0
SERVERS = ("mlflow", "opsloop", "opsloop-onnx", "bare-asgi")
MODELS = ("forest", "logreg")
BIN = Path(sys.executable).parent
BUSY_CORES = 0.25  # other processes above this during a measurement: flag the number

# --------------------------------------------------------------------------- processes

_LIVE: list[subprocess.Popen] = []


def _start(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    """Start a server in its own session (process group) so the whole tree can be killed."""
    with open(log, "wb") as f:
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True
        )
    _LIVE.append(proc)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure no worker of its group survives it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        break
    if proc in _LIVE:
        _LIVE.remove(proc)


def _stop_all() -> None:
    for proc in list(_LIVE):
        _stop(proc)


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_cpu_seconds(pgid: int) -> float:
    """User+system CPU seconds of the live processes of one process group (Linux /proc)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU seconds spent busy on all cores since boot (/proc/stat, minus idle and iowait)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _wait_quiet(max_wait: float, threshold: float = 0.2) -> float:
    """Wait (up to max_wait s) until the machine's busy cores over 1 s are below threshold."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = _machine_busy_seconds(), time.monotonic()
        time.sleep(1.0)
        busy = (_machine_busy_seconds() - b0) / (time.monotonic() - t0)
        if busy < threshold or time.monotonic() >= deadline:
            return busy


def _log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------- HTTP helpers


def _http(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 5
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{_log_tail(log)}")
        with contextlib.suppress(OSError):
            if _http(url, timeout=2)[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"not ready after {timeout:.0f} s ({url}):\n{_log_tail(log)}")


def _predictions(raw: bytes) -> list:
    doc = json.loads(raw)
    if isinstance(doc, dict):
        for key in ("predictions", "outputs", "output"):
            if key in doc:
                doc = doc[key]
                break
    if isinstance(doc, dict) and "predictions" in doc:
        doc = doc["predictions"]
    return doc if isinstance(doc, list) else [doc]


def _same(got: list, want: list) -> bool:
    def flat(x: object) -> list:
        if isinstance(x, list):
            return [y for item in x for y in flat(item)]
        if isinstance(x, dict):
            return [y for item in x.values() for y in flat(item)]
        return [x]

    a, b = flat(got), flat(want)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, int | float) and isinstance(y, int | float):
            if not math.isclose(x, y, rel_tol=1e-4, abs_tol=1e-6):
                return False
        elif str(x) != str(y):
            return False
    return True


# --------------------------------------------------------------------------- models


@dataclass
class Model:
    name: str
    path: Path
    body: bytes  # the one-row dataframe_split request body
    expected: list  # the in-process model's prediction for that row


def train_and_save(folder: Path, serialization: str) -> list[Model]:
    import mlflow.sklearn
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=5000, n_features=20, n_informative=10, random_state=SEED)
    frame = pd.DataFrame(X, columns=FEATURES)
    row = [round(float(v), 6) for v in X[0]]
    body = json.dumps({"dataframe_split": {"columns": FEATURES, "data": [row]}}).encode()
    row_frame = pd.DataFrame([row], columns=FEATURES)
    estimators = {
        "forest": RandomForestClassifier(n_estimators=100, random_state=SEED),
        "logreg": LogisticRegression(max_iter=1000, random_state=SEED),
    }
    models = []
    for name, est in estimators.items():
        est.fit(frame, y)
        path = folder / "models" / name
        # Explicit requirements skip MLflow's requirement inference (a subprocess, ~5 s).
        kwargs: dict = {
            "serialization_format": serialization,
            "pip_requirements": mlflow.sklearn.get_default_pip_requirements(
                include_cloudpickle=serialization == "cloudpickle",
                include_skops=serialization == "skops",
            ),
        }
        if serialization == "skops":
            kwargs["skops_trusted_types"] = ["sklearn.tree._tree.Tree", "numpy.dtype"]
        mlflow.sklearn.save_model(
            est,
            str(path),
            signature=infer_signature(frame, est.predict(frame)),
            input_example=frame.iloc[:1],
            **kwargs,
        )
        models.append(Model(name, path, body, est.predict(row_frame).tolist()))
    return models


# --------------------------------------------------------------------------- servers


class Skip(Exception):
    """This server cannot run here; the reason goes in the table."""


@dataclass
class ServerSpec:
    cmd: list[str]
    env: dict[str, str]
    ready_url: str
    url: str  # scoring URL
    headers: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 90.0


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    # `mlflow models serve` runs `uvicorn` through a shell: it must find this venv's one.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _exe(name: str) -> list[str]:
    path = BIN / name
    return [str(path)] if path.exists() else [sys.executable, "-m", name]


def mlflow_spec(model: Model, port: int) -> ServerSpec:
    cmd = [*_exe("mlflow"), "models", "serve", "-m", str(model.path), "--env-manager", "local"]
    cmd += ["-w", "1", "-h", "127.0.0.1", "-p", str(port)]
    base = f"http://127.0.0.1:{port}"
    return ServerSpec(cmd, _base_env(), f"{base}/ping", f"{base}/invocations")


def bare_spec(port: int) -> ServerSpec:
    cmd = [*_exe("uvicorn"), "--app-dir", str(HERE), "bare_asgi:app", "--workers", "1"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]
    base = f"http://127.0.0.1:{port}"
    return ServerSpec(cmd, _base_env(), f"{base}/", f"{base}/invocations")


class Opsloop:
    """Every opsloop CLI detail lives here (workspace, model, endpoint, deployment, serve).

    `prepare` registers the models and creates one endpoint (with one deployment taking all
    the traffic) per model and runtime, before anything is measured: one chain of CLI calls
    per model, the chains in parallel (`jobs`). `spec` then only builds the serve command.
    """

    WORKSPACE = "bench"

    def __init__(self, home: Path) -> None:
        self.env = _base_env()
        self.env["OPSLOOP_HOME"] = str(home)
        self.exe = BIN / "opsloop"
        self.keys: dict[tuple[str, bool], str] = {}  # (model, onnx) -> endpoint key
        self.errors: dict[tuple[str, bool], str] = {}  # (model, onnx) -> why it is skipped
        self.calls: list[tuple[str, float]] = []  # (command, seconds) of every CLI call
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.cancelled = False

    @staticmethod
    def endpoint(model: str, onnx: bool) -> str:
        return f"{model}-onnx" if onnx else model

    def _cli(self, *args: str, timeout: float = 180) -> str:
        if not self.exe.exists():
            raise Skip(f"{self.exe} not found")
        if self.cancelled:
            raise Skip("cancelled")
        what = " ".join(args[:2])
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(self.exe), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        with self.lock:
            self.running.add(proc)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise Skip(f"`opsloop {what}` timed out after {timeout:.0f} s") from e
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            with self.lock:
                self.running.discard(proc)
                self.calls.append((what, round(time.perf_counter() - t0, 2)))
        if proc.returncode != 0:
            lines = (stderr or stdout).strip().splitlines()
            reason = " ".join(line.strip(" │╭╮╰╯─") for line in lines[-4:]).strip()
            raise Skip(f"`opsloop {what}` failed ({proc.returncode}): {reason}")
        return stdout

    def cancel(self) -> None:
        """Stop the setup: no new CLI call, the running ones killed."""
        self.cancelled = True
        with self.lock:
            running = list(self.running)
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def prepare(self, models: list[Model], variants: list[bool], jobs: int = 2) -> None:
        """Set up one endpoint per (model, onnx) in variants; failures become skip reasons."""
        wanted = [(m, onnx) for m in models for onnx in variants]
        if not wanted:
            return
        try:
            self._cli("online-endpoint", "--help", timeout=60)
            self._cli("workspace", "create", "--name", self.WORKSPACE)
        except Skip as e:
            self.errors.update({(m.name, onnx): str(e) for m, onnx in wanted})
            return
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            list(pool.map(lambda m: self._prepare_model(m, variants), models))
        except BaseException:  # Ctrl-C, SIGTERM: do not wait for the remaining CLI calls
            self.cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _prepare_model(self, model: Model, variants: list[bool]) -> None:
        ws = ["-w", self.WORKSPACE]
        try:
            self._cli("model", "create", "--name", model.name, "--path", str(model.path), *ws)
        except Skip as e:
            self.errors.update({(model.name, onnx): str(e) for onnx in variants})
            return
        for onnx in variants:
            endpoint = self.endpoint(model.name, onnx)
            try:
                self._cli("online-endpoint", "create", "--name", endpoint, *ws)
                deploy = ["online-deployment", "create", "--name", "blue"]
                deploy += ["--endpoint-name", endpoint, "--model", f"{model.name}:1"]
                deploy += ["--all-traffic", *ws]
                deploy += ["--set", "request_settings.max_concurrent_requests_per_instance=64"]
                if onnx:
                    deploy += ["--set", "inference_runtime=onnx"]
                self._cli(*deploy)
                raw = self._cli(
                    "online-endpoint", "get-credentials", "--name", endpoint, *ws, "-o", "json"
                )
                try:
                    key = json.loads(raw[raw.index("{") : raw.rindex("}") + 1])["primaryKey"]
                except (ValueError, KeyError) as e:
                    raise Skip(f"no primaryKey in get-credentials output: {raw[:200]!r}") from e
                self.keys[(model.name, onnx)] = key
            except Skip as e:
                self.errors[(model.name, onnx)] = str(e)

    def spec(self, model: Model, port: int, onnx: bool) -> ServerSpec:
        key = self.keys.get((model.name, onnx))
        if key is None:
            raise Skip(self.errors.get((model.name, onnx), "not prepared"))
        cmd = [str(self.exe), "online-endpoint", "serve"]
        cmd += ["--name", self.endpoint(model.name, onnx), "-w", self.WORKSPACE]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        base = f"http://127.0.0.1:{port}"
        return ServerSpec(
            cmd,
            self.env,
            f"{base}/v2/health/ready",
            f"{base}/invocations",
            headers={"Authorization": f"Bearer {key}"},
        )


# --------------------------------------------------------------------------- one measurement


@dataclass
class Row:
    server: str
    model: str
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
    server: str, model: Model | None, spec_fn, args: argparse.Namespace, scratch: Path
) -> Row:
    row = Row(server, model.name if model else "-")
    label = f"{server}/{row.model}"
    try:
        port = _free_port()
        spec: ServerSpec = spec_fn(port)
    except Skip as e:
        row.status, row.reason = "skipped", str(e)
        print(f"  {label}: skipped ({e})", flush=True)
        return row
    log = scratch / f"{server}-{row.model}.log"
    if args.quiet_wait > 0:
        busy = _wait_quiet(args.quiet_wait)
        if busy >= 0.2:
            print(f"  {label}: machine still busy ({busy:.2f} cores) after waiting", flush=True)
    t0 = time.perf_counter()
    proc = _start(spec.cmd, spec.env, scratch, log)
    try:
        _wait_ready(proc, spec.ready_url, log, spec.ready_timeout)
        row.startup_s = time.perf_counter() - t0
        body = model.body if model else b'{"ping": 1}'
        headers = {"Content-Type": "application/json", **spec.headers}
        status, answer = _http(spec.url, body, headers, timeout=30)
        if status != 200:
            raise RuntimeError(f"check request answered {status}: {answer[:300]!r}")
        if model is not None:
            row.same_prediction = _same(_predictions(answer), model.expected)
            if not row.same_prediction:
                print(f"  {label}: WARNING prediction {answer[:200]!r} != {model.expected}")
        attempts = []
        for i in range(args.repeat):
            result, server_cpu, other_cpu = _load(proc, spec, body, args)
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
        _stop(proc)
        row.stop_s = time.perf_counter() - t_stop
    return row


def _load(
    proc: subprocess.Popen, spec: ServerSpec, body: bytes, args: argparse.Namespace
) -> tuple[LoadResult, float, float]:
    """Run the load generator; sample the server's and the machine's CPU over the same
    measured window. Returns (result, server cores, other cores)."""
    start_at = time.time() + (START_DELAY_S if args.loadgen_processes > 1 else 0.1)
    cpu: list[tuple[float, float]] = []

    def sample() -> None:
        for instant in (start_at + args.warmup, start_at + args.warmup + args.duration):
            time.sleep(max(0.0, instant - time.time()))
            cpu.append((_group_cpu_seconds(proc.pid), _machine_busy_seconds()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = run_load(
        spec.url,
        body=body,
        headers={"Content-Type": "application/json", **spec.headers},
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


# --------------------------------------------------------------------------- report


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def table(rows: list[Row]) -> str:
    mlflow_rps = {
        r.model: r.load["rps"] for r in rows if r.server == "mlflow" and r.status == "ok" and r.load
    }
    bare = next((r for r in rows if r.server == "bare-asgi" and r.status == "ok" and r.load), None)
    bare_rps = bare.load["rps"] if bare and bare.load else None
    lines = [
        "| server | model | req/s | p50 ms | p99 ms | non-200 | x MLflow | x bare ASGI "
        "| server CPU | loadgen CPU | other CPU | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if r.load is None:
            reason = r.reason.replace("|", "\\|")
            lines.append(
                f"| {r.server} | {r.model} | - | - | - | - | - | - | - | - | - | {r.status}: {reason} |"
            )
            continue
        rps = r.load["rps"]
        x_mlflow = rps / mlflow_rps[r.model] if r.model in mlflow_rps else None
        x_bare = rps / bare_rps if bare_rps else None
        note = "" if r.status == "ok" else f"{r.status}: {r.reason}".replace("|", "\\|")
        if r.same_prediction is False:
            note = (note + "; " if note else "") + "prediction differs from the model"
        if r.other_cpu is not None and r.other_cpu > BUSY_CORES:
            note = (note + "; " if note else "") + "machine busy (other CPU): unreliable"
        lines.append(
            f"| {r.server} | {r.model} | {rps:,.0f} | {_fmt(r.load['p50_ms'], '.2f')} "
            f"| {_fmt(r.load['p99_ms'], '.2f')} | {r.load['non_200']} | {_fmt(x_mlflow, '.1f')} "
            f"| {_fmt(x_bare, '.3f')} | {_fmt(r.server_cpu, '.2f')} "
            f"| {', '.join(f'{c:.2f}' for c in r.load['client_cpu'])} "
            f"| {_fmt(r.other_cpu, '.2f')} | {note} |"
        )
    return "\n".join(lines)


def targets(rows: list[Row]) -> list[str]:
    """The issue's target: opsloop >= 10x MLflow and >= 1/3 of the bare ASGI ceiling."""
    ok = [r for r in rows if r.status == "ok" and r.load]
    mlflow_rps = {r.model: r.load["rps"] for r in ok if r.server == "mlflow"}
    bare = [r.load["rps"] for r in ok if r.server == "bare-asgi"]
    out = []
    for r in rows:
        if not r.server.startswith("opsloop") or not r.load or r.status != "ok":
            continue
        rps = r.load["rps"]
        checks = []
        if r.model in mlflow_rps:
            checks.append(f">= 10x MLflow: {'yes' if rps >= 10 * mlflow_rps[r.model] else 'no'}")
        if bare:
            checks.append(f">= 1/3 bare ASGI: {'yes' if rps >= bare[0] / 3 else 'no'}")
        out.append(f"{r.server}/{r.model}: " + ", ".join(checks))
    return out


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
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-c", "--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--loadgen-processes", type=int, default=1)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each server this many times and keep the best (shared machines)",
    )
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--no-onnx", action="store_true", help="leave out opsloop-onnx")
    parser.add_argument(
        "--serialization",
        choices=["skops", "cloudpickle"],
        default="skops",
        help="how mlflow.sklearn.save_model stores the models (MLflow 3.17's default: skops)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each server, wait up to this many seconds for the machine to be idle "
        "(on a shared machine; every row reports the CPU other processes used anyway)",
    )
    parser.add_argument(
        "--opsloop-setup-jobs",
        type=int,
        default=2,
        help="opsloop CLI call chains run in parallel while setting up (one per model)",
    )
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    servers = [
        s for s in args.servers.split(",") if s and not (args.no_onnx and s.endswith("onnx"))
    ]
    models_wanted = [m for m in args.models.split(",") if m]
    for name in servers:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}; choose from {SERVERS}")
    for name in models_wanted:
        if name not in MODELS:
            parser.error(f"unknown model {name!r}; choose from {MODELS}")

    signal.signal(signal.SIGTERM, _on_sigterm)
    scratch = Path(tempfile.mkdtemp(prefix="opsloop-serving-bench-"))
    rows: list[Row] = []
    opsloop = Opsloop(scratch / "opsloop-home")
    info = meta(args)
    started = time.perf_counter()
    try:
        print(
            f"{info['cpus']} CPUs, uvicorn {info['uvicorn']} ({info['uvicorn_http']}, "
            f"{info['uvicorn_loop']}), loadgen on {info['loadgen_loop']}, "
            f"{args.connections} connections, {args.warmup:g} s warm-up + {args.duration:g} s",
            flush=True,
        )
        print(f"training and saving models in {scratch} ...", flush=True)
        t_train = time.perf_counter()
        models = [m for m in train_and_save(scratch, args.serialization) if m.name in models_wanted]
        info["train_s"] = round(time.perf_counter() - t_train, 1)
        variants = [
            onnx for onnx, name in ((False, "opsloop"), (True, "opsloop-onnx")) if name in servers
        ]
        if variants:
            print("setting up opsloop endpoints ...", flush=True)
            t_setup = time.perf_counter()
            opsloop.prepare(models, variants, jobs=args.opsloop_setup_jobs)
            info["opsloop_setup_s"] = round(time.perf_counter() - t_setup, 1)
        if "bare-asgi" in servers:
            rows.append(measure("bare-asgi", None, bare_spec, args, scratch))
        for model in models:
            for server in servers:
                if server == "mlflow":
                    fn = lambda port, m=model: mlflow_spec(m, port)  # noqa: E731
                elif server == "opsloop":
                    fn = lambda port, m=model: opsloop.spec(m, port, onnx=False)  # noqa: E731
                elif server == "opsloop-onnx":
                    fn = lambda port, m=model: opsloop.spec(m, port, onnx=True)  # noqa: E731
                else:
                    continue
                rows.append(measure(server, model, fn, args, scratch))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        _stop_all()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    info["elapsed_s"] = round(time.perf_counter() - started, 1)
    info["opsloop_cli_calls"] = opsloop.calls
    print()
    print(table(rows))
    for line in targets(rows):
        print(line)
    invalid = [r for r in rows if r.status == "INVALID"]
    if invalid:
        print(
            f"\nINVALID results (non-200 answers): {', '.join(f'{r.server}/{r.model}' for r in invalid)}"
        )
    print(f"\nelapsed {info['elapsed_s']} s")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        doc = {"meta": info, "results": [r.__dict__ for r in rows], "targets": targets(rows)}
        args.out.write_text(json.dumps(doc, indent=2))
        print(f"results written to {args.out}")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
