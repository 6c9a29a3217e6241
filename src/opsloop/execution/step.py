"""Run one step (or a command job) in its own process and working directory.

Inputs become local paths, outputs go to the artifact store, stdout/stderr go to a log
file, and a step whose component, code, environment, inputs and parameters hash the same
as an earlier completed step reuses that step's outputs instead of running.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from opsloop.execution.expressions import render_command
from opsloop.execution.launcher import job_folder, store_environment
from opsloop.execution.states import JobStatus
from opsloop.execution.values import literal_text
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import jobs as job_service
from opsloop.services.context import Platform
from opsloop.store.artifacts import hash_path, local_path_of, materialize
from opsloop.store.tables import JobRow


@dataclass
class StepOutcome:
    status: JobStatus
    error: str | None = None


@dataclass
class StepRun:
    """Everything needed to execute one unit; built by the job runner."""

    platform: Platform
    workspace: str
    job_name: str  # the top-level job
    row_id: str
    label: str  # step name, or the job name for a command job
    force_rerun: bool
    cancel: threading.Event
    parent_run_id: str | None
    experiment_id: str
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    # ---- lifecycle -------------------------------------------------------------------
    def execute(self) -> StepOutcome:
        row = self._load()
        spec = row.spec
        folder = job_folder(self.platform.settings, self.workspace, self.job_name)
        work = folder / "work" / self.label
        log_path = folder / "logs" / f"{self.label}.txt"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            inputs = self._materialize_inputs(spec["inputs"], work / "inputs")
            code_dir, code_hash = self._materialize_code(
                spec["component"].get("code"), work / "code"
            )
        except (FileNotFoundError, OSError) as exc:
            return self._finish(
                JobStatus.FAILED, error=f"could not prepare inputs: {exc}", started=False
            )
        step_hash = self._step_hash(spec, inputs, code_hash)
        if not self.force_rerun and spec["component"].get("is_deterministic", True):
            reused = self._reuse(step_hash)
            if reused is not None:
                log_path.write_text(
                    f"Reused outputs of {reused.name} (same inputs, code and environment)\n"
                )
                return self._mark_reused(reused, step_hash, code_hash)
        run_id = self.platform.tracking.start_run(
            self.experiment_id,
            self.label,
            {
                "opsloop.job": self.job_name,
                "opsloop.step": self.label,
                "opsloop.workspace": self.workspace,
            },
            parent_run_id=self.parent_run_id,
        )
        params = {k: v["value"] for k, v in spec["inputs"].items() if v["kind"] == "literal"}
        self.platform.tracking.log_params(run_id, params)
        outputs = self._prepare_outputs(spec["outputs"], work / "outputs")
        self._update(
            JobStatus.RUNNING,
            step_hash=step_hash,
            mlflow_run_id=run_id,
            spec={**spec, "code_hash": code_hash},
        )
        if self.cancel.is_set():
            return self._finish(JobStatus.CANCELED, error="canceled", run_id=run_id)
        command = render_command(
            spec["component"]["command"], self._command_values(inputs, outputs)
        )
        cwd = self._working_copy(code_dir, work / "cwd")
        self._write_context(cwd, inputs, spec)
        env = self._environment(spec, run_id, cwd)
        return self._run_process(command, cwd, env, log_path, spec.get("timeout"), outputs, run_id)

    def stop(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            _kill_group(process)

    # ---- preparation ----------------------------------------------------------------
    def _materialize_inputs(
        self, bindings: dict[str, Any], scratch: Path
    ) -> dict[str, dict[str, Any]]:
        resolved: dict[str, dict[str, Any]] = {}
        for name, binding in bindings.items():
            kind = binding["kind"]
            if kind == "literal":
                resolved[name] = {
                    "text": literal_text(binding["value"]),
                    "hash": repr(binding["value"]),
                }
            elif kind == "unbound":
                resolved[name] = {"text": None, "hash": None}
            else:
                url, known_hash, source = self._input_source(binding)
                local = materialize(url, scratch / name)
                resolved[name] = {
                    "text": str(local),
                    "hash": known_hash or hash_path(local),
                    "source": source,
                    "url": url,
                }
        return resolved

    def _input_source(self, binding: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
        if binding["kind"] == "asset":
            return (
                binding["url"],
                binding.get("hash"),
                {"asset": binding.get("asset"), "url": binding["url"]},
            )
        with self.platform.database.transaction() as session:
            parent = session.get(JobRow, self.row_id)
            assert parent is not None and parent.parent_id is not None
            upstream = session.scalar(
                select(JobRow).where(
                    JobRow.parent_id == parent.parent_id, JobRow.step_name == binding["step"]
                )
            )
            if upstream is None or binding["output"] not in upstream.outputs:
                raise FileNotFoundError(
                    f"step {binding['step']!r} left no output {binding['output']!r}"
                )
            output = upstream.outputs[binding["output"]]
            source = {
                "job": self.job_name,
                "step": binding["step"],
                "output": binding["output"],
                "url": output["url"],
                "producer": upstream.reused_from or upstream.name,
            }
            return output["url"], output.get("hash"), source

    def _materialize_code(
        self, code_url: str | None, scratch: Path
    ) -> tuple[Path | None, str | None]:
        if not code_url:
            return None, None
        local = materialize(code_url, scratch)
        return local, hash_path(local)

    def _step_hash(
        self, spec: dict[str, Any], inputs: dict[str, dict[str, Any]], code_hash: str | None
    ) -> str:
        component = spec["component"]
        environment = component.get("environment") or {}
        payload = {
            "component": component["hash"],
            "code": code_hash,
            "environment": environment.get("hash"),
            "environment_variables": spec.get("environment_variables"),
            "inputs": {k: v["hash"] for k, v in sorted(inputs.items())},
            "outputs": {k: v.get("type") for k, v in sorted(spec["outputs"].items())},
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    def _prepare_outputs(
        self, declared: dict[str, Any], scratch: Path
    ) -> dict[str, dict[str, Any]]:
        outputs: dict[str, dict[str, Any]] = {}
        for name, output in declared.items():
            url = output.get("path") or self.platform.artifacts.url_for(
                f"jobs/{self.workspace}/{self.job_name}/{self.label}/outputs/{name}"
            )
            direct = local_path_of(url)
            folder = direct if direct is not None else scratch / name
            if folder.exists():
                shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name if output.get("type") == "uri_file" else folder
            url_of_path = f"{url}/{name}" if output.get("type") == "uri_file" else url
            outputs[name] = {
                "path": path,
                "folder": folder,
                "url": url_of_path,
                "root_url": url,
                "direct": direct is not None,
                "type": output.get("type"),
            }
        return outputs

    def _command_values(
        self, inputs: dict[str, Any], outputs: dict[str, Any]
    ) -> dict[str, str | None]:
        values: dict[str, str | None] = {f"inputs.{k}": v["text"] for k, v in inputs.items()}
        values.update({f"outputs.{k}": str(v["path"]) for k, v in outputs.items()})
        return values

    def _working_copy(self, code_dir: Path | None, cwd: Path) -> Path:
        # Steps may write into their working directory; never let them touch the snapshot.
        if cwd.exists():
            shutil.rmtree(cwd)
        if code_dir is None:
            cwd.mkdir(parents=True)
        elif code_dir.is_dir():
            shutil.copytree(code_dir, cwd)
        else:
            cwd.mkdir(parents=True)
            shutil.copy2(code_dir, cwd / code_dir.name)
        return cwd

    def _write_context(self, cwd: Path, inputs: dict[str, Any], spec: dict[str, Any]) -> None:
        context = {
            "workspace": self.workspace,
            "job": self.job_name,
            "step": self.label,
            "inputs": {
                k: {"path": v["text"], "source": v.get("source")}
                for k, v in inputs.items()
                if v.get("source")
            },
        }
        (cwd.parent / "step_context.json").write_text(json.dumps(context, indent=2))

    def _environment(self, spec: dict[str, Any], run_id: str, cwd: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "OPSLOOP_URI"))}
        env.update(store_environment(self.platform.settings))
        env.update(spec.get("environment_variables") or {})
        env.update(
            {
                "MLFLOW_TRACKING_URI": self.platform.tracking.uri,
                "MLFLOW_RUN_ID": run_id,
                "MLFLOW_EXPERIMENT_ID": self.experiment_id,
                "OPSLOOP_WORKSPACE": self.workspace,
                "OPSLOOP_JOB_NAME": self.job_name,
                "OPSLOOP_STEP_NAME": self.label,
                "OPSLOOP_STEP_CONTEXT": str(cwd.parent / "step_context.json"),
                "PYTHONUNBUFFERED": "1",
                # Environments run in the current interpreter until materialisation lands.
                "PATH": os.pathsep.join(
                    [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
                ),
            }
        )
        return env

    # ---- running --------------------------------------------------------------------
    def _run_process(
        self,
        command: str,
        cwd: Path,
        env: dict[str, str],
        log_path: Path,
        timeout: int | None,
        outputs: dict[str, dict[str, Any]],
        run_id: str,
    ) -> StepOutcome:
        deadline = time.monotonic() + timeout if timeout else None
        with log_path.open("wb") as log:
            self._process = subprocess.Popen(
                ["bash", "-c", command],
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            while self._process.poll() is None:
                if self.cancel.wait(0.1):
                    _kill_group(self._process)
                    return self._finish(JobStatus.CANCELED, error="canceled", run_id=run_id)
                if deadline and time.monotonic() > deadline:
                    _kill_group(self._process)
                    return self._finish(
                        JobStatus.FAILED,
                        error=f"timed out after {timeout} s (limits.timeout)",
                        run_id=run_id,
                        exit_code=-signal.SIGKILL,
                    )
        code = self._process.returncode
        if code != 0:
            tail = _tail(log_path, self.platform.settings.step_log_tail_lines)
            return self._finish(
                JobStatus.FAILED,
                error=f"exit code {code}; last log lines:\n{tail}",
                run_id=run_id,
                exit_code=code,
            )
        try:
            stored = self._store_outputs(outputs)
        except OSError as exc:
            return self._finish(
                JobStatus.FAILED, error=f"could not save outputs: {exc}", run_id=run_id, exit_code=0
            )
        return self._finish(JobStatus.COMPLETED, run_id=run_id, exit_code=0, outputs=stored)

    def _store_outputs(self, outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
        stored: dict[str, Any] = {}
        for name, output in outputs.items():
            if not output["direct"]:
                from opsloop.store.artifacts import copy_to_url

                copy_to_url(output["folder"], output["root_url"])
            stored[name] = {
                "url": output["url"],
                "type": output["type"],
                "hash": hash_path(output["folder"]),
            }
        return stored

    # ---- bookkeeping ----------------------------------------------------------------
    def _reuse(self, step_hash: str) -> JobRow | None:
        with self.platform.database.transaction() as session:
            candidates = session.scalars(
                select(JobRow)
                .where(
                    JobRow.step_hash == step_hash,
                    JobRow.status == JobStatus.COMPLETED,
                    JobRow.id != self.row_id,
                )
                .order_by(JobRow.ended_at.desc())
            )
            for candidate in candidates:
                if all(
                    self.platform.artifacts.exists(o["url"]) for o in candidate.outputs.values()
                ):
                    session.expunge(candidate)
                    return candidate
        return None

    def _mark_reused(self, source: JobRow, step_hash: str, code_hash: str | None) -> StepOutcome:
        original = source.reused_from or source.name
        self._update(
            JobStatus.COMPLETED,
            step_hash=step_hash,
            reused_from=original,
            outputs=source.outputs,
            mlflow_run_id=source.mlflow_run_id,
            exit_code=0,
            spec={**source.spec, **self._load().spec, "code_hash": code_hash},
        )
        return StepOutcome(JobStatus.COMPLETED)

    def _finish(
        self,
        status: JobStatus,
        *,
        error: str | None = None,
        run_id: str | None = None,
        exit_code: int | None = None,
        outputs: dict[str, Any] | None = None,
        started: bool = True,
    ) -> StepOutcome:
        fields: dict[str, Any] = {"error": error, "exit_code": exit_code}
        if outputs is not None:
            fields["outputs"] = outputs
        self._update(status, **fields)
        if run_id:
            self.platform.tracking.end_run(run_id, status.value)
        return StepOutcome(status, error)

    def _load(self) -> JobRow:
        with self.platform.database.transaction() as session:
            row = session.get(JobRow, self.row_id)
            assert row is not None
            session.expunge(row)
            return row

    def _update(self, status: JobStatus, **fields: Any) -> None:
        with self.platform.context(SYSTEM_ACTOR) as ctx:
            row = ctx.session.get(JobRow, self.row_id)
            assert row is not None
            job_service.set_status(ctx, row, status, **fields)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(path: Path, lines: int) -> str:
    with path.open("r", errors="replace") as handle:
        return "".join(deque(handle, maxlen=lines)).rstrip()
