"""The job runner process: claims a queued job and runs its steps on the local executor.

``python -m opsloop.execution.runner WORKSPACE JOB`` (started by ``launcher``). Independent
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
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from sqlalchemy import select

from opsloop.execution.planner import downstream_of
from opsloop.execution.states import JobStatus, is_terminal
from opsloop.execution.step import StepOutcome, StepRun
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import jobs as job_service
from opsloop.services.context import Platform
from opsloop.services.workspaces import require_workspace_row
from opsloop.store.tables import JobRow

log = logging.getLogger("opsloop.runner")


class JobRunner:
    def __init__(self, platform: Platform, workspace: str, job_name: str) -> None:
        self.platform = platform
        self.workspace = workspace
        self.job_name = job_name
        self.cancel = threading.Event()
        self.job_id = ""

    def run(self) -> str:
        if not self._claim():
            return "skipped"
        job = self._job_row()
        experiment_id = self.platform.tracking.experiment_id(self.workspace, job.experiment_name)
        watcher = threading.Thread(target=self._watch_cancel, daemon=True)
        watcher.start()
        try:
            if job.type == "pipeline":
                return self._run_pipeline(job, experiment_id)
            return self._run_command(job, experiment_id)
        except Exception as exc:  # a runner bug must not leave the job Running forever
            log.exception("runner failed")
            self._finish_job(JobStatus.FAILED, error=f"runner error: {exc}")
            return JobStatus.FAILED
        finally:
            self.cancel.set()

    # ---- claiming and watching -------------------------------------------------------
    def _claim(self) -> bool:
        with self.platform.context(SYSTEM_ACTOR) as ctx:
            ws = require_workspace_row(ctx, self.workspace)
            row = job_service.require_job_row(ctx, ws, self.job_name)
            self.job_id = row.id
            if row.status != JobStatus.QUEUED:
                return False
            job_service.set_status(ctx, row, JobStatus.RUNNING, runner_pid=os.getpid())
            return True

    def _job_row(self) -> JobRow:
        with self.platform.database.transaction() as session:
            row = session.get(JobRow, self.job_id)
            assert row is not None
            session.expunge(row)
            return row

    def _watch_cancel(self) -> None:
        while not self.cancel.wait(0.5):
            with self.platform.database.transaction() as session:
                row = session.get(JobRow, self.job_id)
                if row is None or row.cancel_requested or is_terminal(row.status):
                    self.cancel.set()

    # ---- command jobs ----------------------------------------------------------------
    def _run_command(self, job: JobRow, experiment_id: str) -> str:
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

    # ---- pipeline jobs ---------------------------------------------------------------
    def _run_pipeline(self, job: JobRow, experiment_id: str) -> str:
        settings = job.spec.get("settings", {})
        parent_run = self.platform.tracking.start_run(
            experiment_id,
            self.job_name,
            {"opsloop.job": self.job_name, "opsloop.workspace": self.workspace},
        )
        self._update_job(mlflow_run_id=parent_run)
        steps = self._steps()
        dependencies = {name: set(row.spec.get("depends_on", [])) for name, row in steps.items()}
        status: dict[str, JobStatus] = {name: JobStatus.NOT_STARTED for name in steps}
        runs: dict[str, StepRun] = {}
        running: dict[Future[StepOutcome], str] = {}
        failed: list[str] = []
        deadline = time.monotonic() + job.spec["timeout"] if job.spec.get("timeout") else None
        with ThreadPoolExecutor(max_workers=self.platform.settings.max_parallel_steps) as pool:
            while True:
                stop_all = self.cancel.is_set() or (
                    failed and not settings.get("continue_on_step_failure")
                )
                timed_out = deadline is not None and time.monotonic() > deadline
                if timed_out or (self.cancel.is_set() and not failed):
                    stop_all = True
                if not stop_all:
                    for name in self._ready(status, dependencies):
                        runs[name] = StepRun(
                            self.platform,
                            self.workspace,
                            self.job_name,
                            steps[name].id,
                            name,
                            force_rerun=bool(settings.get("force_rerun")),
                            cancel=threading.Event(),
                            parent_run_id=parent_run,
                            experiment_id=experiment_id,
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
        outputs = self._pipeline_outputs(job)
        self._finish_job(final, error=error, outputs=outputs)
        self.platform.tracking.end_run(parent_run, final.value)
        return final

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
            with self.platform.database.transaction() as session:
                first = session.scalar(
                    select(JobRow).where(
                        JobRow.parent_id == self.job_id, JobRow.step_name == failed[0]
                    )
                )
                detail = first.error if first else ""
            return JobStatus.FAILED, f"step {failed[0]!r} failed: {detail}"
        if timed_out:
            return JobStatus.FAILED, "pipeline timed out (limits.timeout)"
        if any(s == JobStatus.CANCELED for s in status.values()) or self.cancel.is_set():
            return JobStatus.CANCELED, "canceled by user"
        return JobStatus.COMPLETED, None

    def _pipeline_outputs(self, job: JobRow) -> dict[str, Any]:
        steps = self._steps()
        outputs: dict[str, Any] = {}
        for name, source in job.spec.get("outputs", {}).items():
            step = steps.get(source["step"])
            if step is not None and source["output"] in step.outputs:
                outputs[name] = step.outputs[source["output"]]
        return outputs

    # ---- store helpers ---------------------------------------------------------------
    def _steps(self) -> dict[str, JobRow]:
        with self.platform.database.transaction() as session:
            rows = list(session.scalars(select(JobRow).where(JobRow.parent_id == self.job_id)))
            for row in rows:
                session.expunge(row)
        return {row.step_name or row.name: row for row in rows}

    def _cancel_step(self, row: JobRow, reason: str) -> None:
        with self.platform.context(SYSTEM_ACTOR) as ctx:
            current = ctx.session.get(JobRow, row.id)
            if current is not None and not is_terminal(current.status):
                job_service.set_status(ctx, current, JobStatus.CANCELED, error=reason)

    def _update_job(self, **fields: Any) -> None:
        with self.platform.database.transaction() as session:
            row = session.get(JobRow, self.job_id)
            assert row is not None
            for key, value in fields.items():
                setattr(row, key, value)

    def _finish_job(self, status: JobStatus, **fields: Any) -> None:
        with self.platform.context(SYSTEM_ACTOR) as ctx:
            row = ctx.session.get(JobRow, self.job_id)
            if row is not None and not is_terminal(row.status):
                job_service.set_status(ctx, row, status, **fields)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print("usage: python -m opsloop.execution.runner WORKSPACE JOB", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    result = JobRunner(Platform(), args[0], args[1]).run()
    log.info("job %s finished: %s", args[1], result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
