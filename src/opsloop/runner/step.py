"""Run one step (or a command job) in its own process group and working directory.

Inputs become local paths, outputs go to the artifact store, stdout/stderr go to a log
file, and a step whose component, code, environment, inputs and parameters hash the same
as an earlier completed step reuses that step's outputs instead of running. Everything the
step learns is reported through ``opsloop.services.job_runs``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from platform import python_version
from typing import Protocol, TypeVar

from opsloop.execution.expressions import render_command
from opsloop.execution.launcher import job_folder, store_environment
from opsloop.execution.plan import CommandStepPlan, LiteralBinding, StepOutputBinding, StoredOutput
from opsloop.execution.processes import end_process_groups, this_host
from opsloop.execution.states import JobStatus
from opsloop.execution.step_hash import step_hash as compute_step_hash
from opsloop.runner import step_files as files
from opsloop.runner.compute_slots import acquire_slot
from opsloop.runner.step_secrets import StepSecrets, captured_output, load_step_secrets
from opsloop.services import job_runs
from opsloop.services.context import Platform
from opsloop.services.job_runs import StepView

T = TypeVar("T")
log = logging.getLogger(__name__)
# What runs a step's `python`: environments run in this interpreter until they are
# materialised (its folder leads the step's PATH); job show names it.
INTERPRETER = f"{sys.executable} (Python {python_version()})"

# Short, for job show's table; docs/jobs.md says what "matching" means.
NO_EARLIER_RUN = "ran: no matching earlier run"


@dataclass
class StepOutcome:
    status: JobStatus
    error: str | None = None


@dataclass(frozen=True)
class _Prepared:
    """A step ready to run: its plan, folders, local inputs, code snapshot and hash."""

    plan: CommandStepPlan
    work: Path
    log_path: Path
    inputs: dict[str, files.PreparedInput]
    code_dir: Path | None
    code_hash: str | None
    step_hash: str


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
    # What a cancel is reported as: a sweep stopping a trial early says why.
    cancel_reason: str = "canceled"
    timeout_key: str = "limits.timeout"  # where the timeout was set, for its error
    run_id: str | None = field(default=None, init=False)  # its MLflow run, once started
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    # ---- lifecycle -------------------------------------------------------------------
    def execute(self) -> StepOutcome:
        plan = self._report(job_runs.load_step, self.row_id).plan
        if not isinstance(plan, CommandStepPlan):
            raise TypeError(f"{self.label} is a sweep, not a command step")
        folder = job_folder(self.platform.settings, self.workspace, self.job_name)
        work = folder / "work" / self.label
        log_path = folder / "logs" / f"{self.label}.txt"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            inputs = files.materialize_inputs(
                plan.inputs, work / "inputs", self._upstream(plan), self.job_name
            )
            code_dir, code_hash = files.materialize_code(plan.component.code, work / "code")
        except (FileNotFoundError, OSError) as exc:
            return self._finish(JobStatus.FAILED, error=f"could not prepare inputs: {exc}")
        step_hash = compute_step_hash(plan, {k: v.hash for k, v in inputs.items()}, code_hash)
        reuse_reason = self._why_not_reused(plan)
        if reuse_reason is None:
            reused = self._reusable(step_hash)
            reuse_reason = NO_EARLIER_RUN
            if reused is not None:
                log_path.write_text(
                    f"Reused outputs of {reused.name} (same inputs, code and environment)\n"
                )
                self._report(
                    job_runs.report_step_reused,
                    self.row_id,
                    reused,
                    step_hash=step_hash,
                    code_hash=code_hash,
                )
                return StepOutcome(JobStatus.COMPLETED)
        slot = acquire_slot(
            self.platform.settings.resolved_home(),
            self.workspace,
            plan.compute,
            self.cancel,
            on_wait=lambda: _note(
                log_path,
                f"Waiting for a free instance of compute {plan.compute.name!r} "
                f"(max_instances {plan.compute.max_instances})\n",
            ),
        )
        if slot is None:
            return self._finish(JobStatus.CANCELED, error=self.cancel_reason)
        try:
            return self._start(
                _Prepared(plan, work, log_path, inputs, code_dir, code_hash, step_hash),
                reuse_reason,
            )
        finally:
            slot.release()

    def _start(self, ready: _Prepared, reuse_reason: str) -> StepOutcome:
        """Run the step's process, once it holds an instance of its compute."""
        plan, work, inputs = ready.plan, ready.work, ready.inputs
        run_id = self.run_id = start_run(self, self.label)
        params = {k: v.value for k, v in plan.inputs.items() if isinstance(v, LiteralBinding)}
        self.platform.tracking.log_params(run_id, params)
        outputs = files.prepare_outputs(
            files.with_artifacts(plan.outputs),
            work / "outputs",
            self.platform.artifacts,
            f"jobs/{self.workspace}/{self.job_name}/{self.label}",
        )
        self._report(
            job_runs.report_step_started,
            self.row_id,
            step_hash=ready.step_hash,
            mlflow_run_id=run_id,
            code_hash=ready.code_hash,
            reuse_reason=reuse_reason if self.parent_run_id else None,
            interpreter=INTERPRETER,
        )
        if self.cancel.is_set():
            return self._finish(JobStatus.CANCELED, error=self.cancel_reason, run_id=run_id)
        secrets = load_step_secrets(self.platform, self.workspace, plan, self.label)
        if secrets.error:  # a secret deleted since the job was submitted, a wrong master key
            return self._finish(JobStatus.FAILED, error=secrets.error, run_id=run_id)
        values = {**files.command_values(inputs, outputs), **secrets.command_values()}
        command = render_command(plan.component.command, values)
        cwd = files.working_copy(ready.code_dir, work / "cwd")
        files.make_artifact_folders(cwd)
        context = cwd.parent / "step_context.json"
        files.write_context(
            context, {"workspace": self.workspace, "job": self.job_name, "step": self.label}, inputs
        )
        env = self._environment(plan, run_id, context, secrets)
        return self._run_process(command, cwd, env, ready, outputs, run_id, secrets)

    def _why_not_reused(self, plan: CommandStepPlan) -> str | None:
        """Why this step must run even if an earlier one matches; None if it may be reused."""
        if self.force_rerun:
            return "ran: force_rerun"
        if not plan.component.is_deterministic:
            # It reads state its inputs do not show (the registry, the clock, a service):
            # an earlier run's outputs may be stale.
            return "ran: not deterministic"
        return None

    def stop(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            _kill_group(process)

    # ---- preparation ----------------------------------------------------------------
    def _upstream(self, plan: CommandStepPlan) -> dict[str, files.UpstreamOutput]:
        found: dict[str, files.UpstreamOutput] = {}
        for name, binding in plan.inputs.items():
            if not isinstance(binding, StepOutputBinding):
                continue
            step = self._report(job_runs.upstream_step, self.row_id, binding.step)
            if step is None or binding.output not in step.outputs:
                raise FileNotFoundError(f"step {binding.step!r} left no output {binding.output!r}")
            found[name] = files.UpstreamOutput(step.outputs[binding.output], step.producer)
        return found

    def _reusable(self, step_hash: str) -> StepView | None:
        candidates = self._report(job_runs.reuse_candidates, self.row_id, step_hash)
        for candidate in candidates:
            if job_runs.outputs_still_stored(self.platform.artifacts, candidate):
                return candidate
        return None

    def _environment(
        self, plan: CommandStepPlan, run_id: str, context: Path, secrets: StepSecrets
    ) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "OPSLOOP_URI"))}
        env.update(store_environment(self.platform.settings))
        env.update(secrets.environment(plan.environment_variables))
        env.update(
            {
                "MLFLOW_TRACKING_URI": self.platform.tracking.uri,
                "MLFLOW_RUN_ID": run_id,
                "MLFLOW_EXPERIMENT_ID": self.experiment_id,
                "OPSLOOP_WORKSPACE": self.workspace,
                "OPSLOOP_JOB_NAME": self.job_name,
                "OPSLOOP_STEP_NAME": self.label,
                "OPSLOOP_STEP_CONTEXT": str(context),
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
        ready: _Prepared,
        outputs: dict[str, files.PreparedOutput],
        run_id: str,
        secrets: StepSecrets,
    ) -> StepOutcome:
        log_path, timeout = ready.log_path, ready.plan.timeout
        deadline = time.monotonic() + timeout if timeout else None
        artifacts = _ArtifactSaver(cwd, log_path, outputs)
        with log_path.open("ab") as log, captured_output(log, log_path, secrets) as stdout:
            self._process = process = subprocess.Popen(
                ["bash", "-c", command],
                cwd=cwd,
                env=env,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: pgid == pid
            )
            try:
                self._report(
                    job_runs.report_step_process, self.row_id, pgid=process.pid, host=this_host()
                )
            except Exception:
                _kill_group(process)  # an unrecorded process could outlive a lost runner
                raise
            pause = 0.005  # short at first: most quick commands end within a few of them
            while process.poll() is None:
                pause = min(pause * 2, 0.1)
                if self.cancel.wait(pause):
                    _kill_group(process)
                    return self._finish(
                        JobStatus.CANCELED,
                        error=self.cancel_reason,
                        run_id=run_id,
                        outputs=artifacts.save_alone(),
                    )
                if deadline and time.monotonic() > deadline:
                    _kill_group(process)
                    return self._finish(
                        JobStatus.FAILED,
                        error=f"timed out after {timeout} s ({self.timeout_key})",
                        run_id=run_id,
                        exit_code=-signal.SIGKILL,
                        outputs=artifacts.save_alone(),
                    )
        code = process.returncode
        if code != 0:
            last = files.tail(log_path, self.platform.settings.step_log_tail_lines)
            return self._finish(
                JobStatus.FAILED,
                error=f"exit code {code}; last log lines:\n{last}",
                run_id=run_id,
                exit_code=code,
                outputs=artifacts.save_alone(),
            )
        try:
            files.collect_artifacts(cwd, log_path, outputs[files.ARTIFACTS])
            stored = files.store_outputs(outputs)
        except OSError as exc:
            return self._finish(
                JobStatus.FAILED, error=f"could not save outputs: {exc}", run_id=run_id, exit_code=0
            )
        return self._finish(JobStatus.COMPLETED, run_id=run_id, exit_code=0, outputs=stored)

    # ---- reporting ------------------------------------------------------------------
    def _finish(
        self,
        status: JobStatus,
        *,
        error: str | None = None,
        run_id: str | None = None,
        exit_code: int | None = None,
        outputs: dict[str, StoredOutput] | None = None,
    ) -> StepOutcome:
        # The run is closed first, so the step ends with what MLflow holds then: reading a
        # finished job (`job show`, the end of `--stream`) then needs no MLflow.
        tracking = self.platform.tracking.end_run(run_id, status.value) if run_id else None
        self._report(
            job_runs.report_step_finished,
            self.row_id,
            status,
            error=error,
            exit_code=exit_code,
            outputs=outputs,
            tracking=tracking,
        )
        return StepOutcome(status, error)

    def _report(self, call: Callable[..., T], *args: object, **kwargs: object) -> T:
        return job_runs.report(self.platform, call, *args, **kwargs)


class _ArtifactSaver:
    """Keeps ``./outputs`` and ``./logs`` of a step that did not succeed (its other outputs
    are not saved): they are often what says why."""

    def __init__(self, cwd: Path, log_path: Path, outputs: dict[str, files.PreparedOutput]):
        self.cwd, self.log_path, self.outputs = cwd, log_path, outputs

    def save_alone(self) -> dict[str, StoredOutput] | None:
        artifacts = {files.ARTIFACTS: self.outputs[files.ARTIFACTS]}
        try:
            files.collect_artifacts(self.cwd, self.log_path, artifacts[files.ARTIFACTS])
            return files.store_outputs(artifacts)
        except OSError:
            log.exception("could not save the artifacts of a step that did not succeed")
            return None


class RunOwner(Protocol):
    platform: Platform
    workspace: str
    job_name: str
    parent_run_id: str | None
    experiment_id: str


def start_run(owner: RunOwner, label: str) -> str:
    """The MLflow run of a step, a trial or a sweep, tagged with where it belongs."""
    return owner.platform.tracking.start_run(
        owner.experiment_id,
        label,
        {
            "opsloop.job": owner.job_name,
            "opsloop.step": label,
            "opsloop.workspace": owner.workspace,
        },
        parent_run_id=owner.parent_run_id,
    )


def _note(log_path: Path, text: str) -> None:
    with log_path.open("a") as log_file:
        log_file.write(text)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """End the step's whole process group and reap its leader."""
    end_process_groups([process.pid], reap=process.poll)
    # SIGKILL has been sent by now; only a process stuck in the kernel could still be there.
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
