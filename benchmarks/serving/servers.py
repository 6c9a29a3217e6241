"""The servers under test: how each is started (`ServerSpec`), opsloop's CLI setup included."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from models import Model

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


class Skip(Exception):
    """This server cannot run here; the reason goes in the table."""


@dataclass
class ServerSpec:
    cmd: list[str]
    env: dict[str, str]
    ready_url: str
    url: str  # scoring URL
    headers: dict[str, str] = field(default_factory=dict)
    v2_url: str | None = None  # POST /v2/models/<m>/infer, for servers that speak V2
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
    # The same uvicorn settings as `opsloop online-endpoint serve`, so the ceiling is the
    # same HTTP stack doing nothing else.
    cmd += ["--no-proxy-headers", "--no-server-header"]
    base = f"http://127.0.0.1:{port}"
    return ServerSpec(cmd, _base_env(), f"{base}/", f"{base}/invocations")


_ONNX = ["inference_runtime=onnx"]
_COLLECTOR = [
    f"data_collector.collections.{name}.enabled=true"
    for name in ("model_inputs", "model_outputs", "request", "response")
]
# Server name -> the deployment's `--set` overrides (beyond the concurrency limit). `opsloop`
# keeps the defaults (inference_runtime auto); `opsloop-native` pins the model's own flavor
# (the default before auto). The collector variants run the ONNX path, where the collector's
# share of a request is largest.
VARIANTS: dict[str, list[str]] = {
    "opsloop": [],
    "opsloop-native": ["inference_runtime=native"],
    "opsloop-onnx": _ONNX,
    "opsloop-collect-buffered": [*_ONNX, *_COLLECTOR, "data_collector.durability=buffered"],
    "opsloop-collect-durable": [*_ONNX, *_COLLECTOR, "data_collector.durability=durable"],
}


class Opsloop:
    """Every opsloop CLI detail lives here (workspace, model, endpoint, deployment, serve).

    `prepare` registers the models and creates one endpoint (with one deployment taking all
    the traffic) per model and server variant (`VARIANTS`), before anything is measured: one
    chain of CLI calls per model, the chains in parallel (`jobs`). `spec` then only builds
    the serve command.
    """

    WORKSPACE = "bench"

    def __init__(self, home: Path) -> None:
        self.env = _base_env()
        self.env["OPSLOOP_HOME"] = str(home)
        self.exe = BIN / "opsloop"
        self.keys: dict[tuple[str, str], str] = {}  # (model, variant) -> endpoint key
        self.errors: dict[tuple[str, str], str] = {}  # (model, variant) -> why it is skipped
        # (model, variant) -> the runtime provisioning chose and why (online-deployment show)
        self.runtimes: dict[tuple[str, str], tuple[str, str]] = {}
        self.calls: list[tuple[str, float]] = []  # (command, seconds) of every CLI call
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.cancelled = False

    @staticmethod
    def endpoint(model: str, variant: str) -> str:
        return model + variant.removeprefix("opsloop")

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

    def prepare(self, models: list[Model], variants: list[str], jobs: int = 2) -> None:
        """Set up one endpoint per model and variant; failures become skip reasons."""
        wanted = [(m, variant) for m in models for variant in variants]
        if not wanted:
            return
        try:
            self._cli("online-endpoint", "--help", timeout=60)
            self._cli("workspace", "create", "--name", self.WORKSPACE)
        except Skip as e:
            self.errors.update({(m.name, variant): str(e) for m, variant in wanted})
            return
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            list(pool.map(lambda m: self._prepare_model(m, variants), models))
        except BaseException:  # Ctrl-C, SIGTERM: do not wait for the remaining CLI calls
            self.cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _prepare_model(self, model: Model, variants: list[str]) -> None:
        ws = ["-w", self.WORKSPACE]
        try:
            self._cli("model", "create", "--name", model.name, "--path", str(model.path), *ws)
        except Skip as e:
            self.errors.update({(model.name, variant): str(e) for variant in variants})
            return
        for variant in variants:
            endpoint = self.endpoint(model.name, variant)
            try:
                self._cli("online-endpoint", "create", "--name", endpoint, *ws)
                deploy = ["online-deployment", "create", "--name", "blue"]
                deploy += ["--endpoint-name", endpoint, "--model", f"{model.name}:1"]
                deploy += ["--all-traffic", *ws]
                deploy += ["--set", "request_settings.max_concurrent_requests_per_instance=64"]
                for override in VARIANTS[variant]:
                    deploy += ["--set", override]
                created = self._cli(*deploy, "-o", "json")
                with contextlib.suppress(ValueError, KeyError):
                    shown = json.loads(created[created.index("{") : created.rindex("}") + 1])
                    self.runtimes[(model.name, variant)] = (
                        shown["runtime"],
                        shown["runtime_reason"],
                    )
                raw = self._cli(
                    "online-endpoint", "get-credentials", "--name", endpoint, *ws, "-o", "json"
                )
                try:
                    key = json.loads(raw[raw.index("{") : raw.rindex("}") + 1])["primaryKey"]
                except (ValueError, KeyError) as e:
                    raise Skip(f"no primaryKey in get-credentials output: {raw[:200]!r}") from e
                self.keys[(model.name, variant)] = key
            except Skip as e:
                self.errors[(model.name, variant)] = str(e)

    def spec(self, model: Model, port: int, variant: str) -> ServerSpec:
        key = self.keys.get((model.name, variant))
        if key is None:
            raise Skip(self.errors.get((model.name, variant), "not prepared"))
        cmd = [str(self.exe), "online-endpoint", "serve"]
        cmd += ["--name", self.endpoint(model.name, variant), "-w", self.WORKSPACE]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        base = f"http://127.0.0.1:{port}"
        return ServerSpec(
            cmd,
            self.env,
            f"{base}/v2/health/ready",
            f"{base}/invocations",
            headers={"Authorization": f"Bearer {key}"},
            v2_url=f"{base}/v2/models/{self.endpoint(model.name, variant)}/infer",
        )
