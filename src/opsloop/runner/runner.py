"""The job runner process: claims a queued job and runs its steps on the local executor.

``python -m opsloop.runner.runner WORKSPACE JOB`` (started by ``launcher``). Independent
steps run in parallel up to ``max_parallel_steps``; a failed step cancels what depends on
it (and everything else unless ``continue_on_step_failure``); cancel requests and
timeouts are honoured by killing the step's process group.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, TypeVar

from opsloop.config import Settings
from opsloop.execution.launcher import RUNNER, STANDBY, job_folder
from opsloop.execution.plan import PipelinePlan, StoredOutput, SweepPlan
from opsloop.execution.planner import downstream_of
from opsloop.execution.processes import this_host
from opsloop.execution.states import JobStatus
from opsloop.runner.step import StepOutcome, StepRun
from opsloop.services import job_runs
from opsloop.services.context import Platform
from opsloop.services.job_runs import RunView, StepView

if TYPE_CHECKING:
    from opsloop.runner.sweep import SweepRun

log = logging.getLogger("opsloop.runner")
T = TypeVar("T")
_POLL_S = 0.5
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


class JobRunner:
    def __init__(self, platform: Platform, workspace: str, job_name: str) -> None:
        self.platform = platform
        self.workspace = workspace
        self.job_name = job_name
        self.cancel = threading.Event()  # the job is to stop: canceled, or ended elsewhere
        self._done = threading.Event()  # this runner is finished: stop heartbeating
        self.job_id = ""

    def run(self) -> str:
        job = self._report(
            job_runs.report_started,
            self.workspace,
            self.job_name,
            pid=os.getpid(),
            host=this_host(),
        )
        if job is None:
            return "skipped"
        self.job_id = job.id
        # Heartbeats start with the claim: opening MLflow alone can take seconds.
        watcher = threading.Thread(target=self._watch, daemon=True)
        watcher.start()
        try:
            experiment_id = self.platform.tracking.experiment_id(
                self.workspace, job.experiment_name
            )
            if isinstance(job.plan, PipelinePlan):
                return self._run_pipeline(job, job.plan, experiment_id)
            if isinstance(job.plan, SweepPlan):
                return self._run_sweep(job, experiment_id)
            return self._run_command(job, experiment_id)
        except Exception as exc:  # a runner bug must not leave the job Running forever
            log.exception("runner failed")
            self._report(
                job_runs.report_finished,
                self.job_id,
                JobStatus.FAILED,
                error=f"runner error: {exc}",
            )
            return JobStatus.FAILED
        finally:
            self._done.set()
            watcher.join(timeout=5)

    # ---- heartbeats and cancel requests ----------------------------------------------
    def _watch(self) -> None:
        """Heartbeat every ``runner_heartbeat_interval_s``; between beats, look for a cancel
        request every half second so a cancel takes effect quickly."""
        interval = self.platform.settings.runner_heartbeat_interval_s
        next_beat = time.monotonic() + interval
        while not self._done.wait(min(_POLL_S, interval)):
            try:
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + interval
                    keep_going = self._report(job_runs.report_heartbeat, self.job_id)
                else:
                    keep_going = not self._report(job_runs.should_stop, self.job_id)
            except Exception:  # a store hiccup: try again; a long silence gets us swept
                log.exception("heartbeat failed")
                continue
            if not keep_going:
                self.cancel.set()

    # ---- command jobs ----------------------------------------------------------------
    def _run_command(self, job: RunView, experiment_id: str) -> str:
        step = StepRun(
            self.platform,
            self.workspace,
            self.job_name,
            job.id,
            self.job_name,
            force_rerun=True,
            cancel=self.cancel,
            parent_run_id=None,
            experiment_id=experiment_id,
        )
        return step.execute().status

    def _run_sweep(self, job: RunView, experiment_id: str) -> str:
        from opsloop.runner.sweep import SweepRun  # Optuna: loaded only to run a sweep

        sweep = SweepRun(
            self.platform,
            self.workspace,
            self.job_name,
            job.id,
            self.job_name,
            trial_prefix="",
            cancel=self.cancel,
            parent_run_id=None,
            experiment_id=experiment_id,
        )
        return sweep.execute().status

    # ---- pipeline jobs ---------------------------------------------------------------
    def _run_pipeline(self, job: RunView, plan: PipelinePlan, experiment_id: str) -> str:
        settings = plan.settings
        parent_run = self.platform.tracking.start_run(
            experiment_id,
            self.job_name,
            {"opsloop.job": self.job_name, "opsloop.workspace": self.workspace},
        )
        self._report(job_runs.report_run_id, self.job_id, parent_run)
        steps = self._report(job_runs.steps_of, self.job_id)
        dependencies = {name: set(step.plan.depends_on) for name, step in steps.items()}
        status: dict[str, JobStatus] = {name: JobStatus.NOT_STARTED for name in steps}
        runs: dict[str, StepRun | SweepRun] = {}
        running: dict[Future[StepOutcome], str] = {}
        failed: list[str] = []
        deadline = time.monotonic() + plan.timeout if plan.timeout else None
        with ThreadPoolExecutor(max_workers=self.platform.settings.max_parallel_steps) as pool:
            while True:
                stop_all = self.cancel.is_set() or (
                    failed and not settings.continue_on_step_failure
                )
                timed_out = deadline is not None and time.monotonic() > deadline
                if timed_out or (self.cancel.is_set() and not failed):
                    stop_all = True
                if not stop_all:
                    for name in self._ready(status, dependencies):
                        runs[name] = self._step_run(
                            steps[name], name, settings.force_rerun, parent_run, experiment_id
                        )
                        status[name] = JobStatus.RUNNING
                        running[pool.submit(runs[name].execute)] = name
                else:
                    for name in running.values():
                        runs[name].cancel.set()
                if not running:
                    break
                done, _ = wait(running, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    outcome = future.result()
                    status[name] = outcome.status
                    if outcome.status == JobStatus.FAILED:
                        failed.append(name)
                        for blocked in downstream_of(name, dependencies):
                            if status[blocked] == JobStatus.NOT_STARTED:
                                status[blocked] = JobStatus.CANCELED
                                self._cancel_step(steps[blocked], f"upstream step {name!r} failed")
        for name, state in status.items():
            if state == JobStatus.NOT_STARTED:
                self._cancel_step(steps[name], "pipeline stopped before this step ran")
        final, error = self._pipeline_result(
            status, failed, timed_out=deadline is not None and time.monotonic() > deadline
        )
        outputs = self._pipeline_outputs(plan)
        tracking = self.platform.tracking.end_run(parent_run, final.value)
        self._report(
            job_runs.report_finished,
            self.job_id,
            final,
            error=error,
            outputs=outputs,
            tracking=tracking,
        )
        return final

    def _step_run(
        self, step: StepView, name: str, force_rerun: bool, parent_run: str, experiment_id: str
    ) -> StepRun | SweepRun:
        if isinstance(step.plan, SweepPlan):
            from opsloop.runner.sweep import SweepRun  # Optuna: loaded only to run a sweep

            return SweepRun(
                self.platform,
                self.workspace,
                self.job_name,
                step.id,
                name,
                trial_prefix=f"{name}.",
                cancel=threading.Event(),
                parent_run_id=parent_run,
                experiment_id=experiment_id,
            )
        return StepRun(
            self.platform,
            self.workspace,
            self.job_name,
            step.id,
            name,
            force_rerun=force_rerun,
            cancel=threading.Event(),
            parent_run_id=parent_run,
            experiment_id=experiment_id,
        )

    def _ready(self, status: dict[str, JobStatus], dependencies: dict[str, set[str]]) -> list[str]:
        return [
            name
            for name, state in status.items()
            if state == JobStatus.NOT_STARTED
            and all(status[d] == JobStatus.COMPLETED for d in dependencies[name])
        ]

    def _pipeline_result(
        self, status: dict[str, JobStatus], failed: list[str], *, timed_out: bool
    ) -> tuple[JobStatus, str | None]:
        if failed:
            first = self._report(job_runs.steps_of, self.job_id).get(failed[0])
            detail = first.error if first else ""
            return JobStatus.FAILED, f"step {failed[0]!r} failed: {detail}"
        if timed_out:
            return JobStatus.FAILED, "pipeline timed out (limits.timeout)"
        if any(s == JobStatus.CANCELED for s in status.values()) or self.cancel.is_set():
            return JobStatus.CANCELED, "canceled by user"
        return JobStatus.COMPLETED, None

    def _pipeline_outputs(self, plan: PipelinePlan) -> dict[str, StoredOutput]:
        steps = self._report(job_runs.steps_of, self.job_id)
        outputs: dict[str, StoredOutput] = {}
        for name, source in plan.outputs.items():
            step = steps.get(source.step)
            if step is not None and source.output in step.outputs:
                outputs[name] = step.outputs[source.output]
        return outputs

    # ---- reporting -------------------------------------------------------------------
    def _cancel_step(self, step: StepView, reason: str) -> None:
        self._report(job_runs.report_step_finished, step.id, JobStatus.CANCELED, error=reason)

    def _report(self, call: Callable[..., T], *args: object, **kwargs: object) -> T:
        return job_runs.report(self.platform, call, *args, **kwargs)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if args == [STANDBY]:
        return standby()
    if len(args) != 2:
        print(f"usage: python -m {RUNNER} WORKSPACE JOB | {STANDBY}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    result = JobRunner(Platform(), args[0], args[1]).run()
    log.info("job %s finished: %s", args[1], result)
    return 0


def standby() -> int:
    """Load what every job needs, then run the job ``launch_runner`` hands over on standard
    input (its workspace and name, a line each); end if none comes."""
    platform: Platform | None = None
    warm_up_error = ""
    try:
        platform = Platform()
        platform.tracking.client  # noqa: B018 - MLflow's import and store: most of the wait
    except Exception:  # reported in the job's log once there is one; the job then fails
        warm_up_error = traceback.format_exc()
    workspace, job_name = sys.stdin.readline().strip(), sys.stdin.readline().strip()
    if not workspace or not job_name:
        return 0
    settings = platform.settings if platform is not None else Settings()
    folder = job_folder(settings, workspace, job_name)
    os.chdir(folder)
    with (folder / "runner.log").open("ab") as runner_log:
        os.dup2(runner_log.fileno(), sys.stdout.fileno())
        os.dup2(runner_log.fileno(), sys.stderr.fileno())
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    log.info("runner started ahead of job %s (pid %s)", job_name, os.getpid())
    if warm_up_error:
        log.error("loading before the job failed:\n%s", warm_up_error)
    result = JobRunner(platform or Platform(), workspace, job_name).run()
    log.info("job %s finished: %s", job_name, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
