"""Jobs: submit, follow, inspect, cancel and download their outputs."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from opsloop.client._progress import StepProgress
from opsloop.client._resources import _Operations
from opsloop.schemas.entities import Job, LogChunk
from opsloop.schemas.job_plans import JobPlan


class JobOperations(_Operations):
    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> Job:
        """Submit a command or pipeline job; it starts at once and runs in the background."""
        return self._submit(workspace, "job", "JobSpec", Job, spec, file, overrides, fields)

    def validate(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> JobPlan:
        """Check a job as ``create`` would, without running or storing anything (local code
        and data are hashed, not uploaded); returns its plan: each step's component,
        compute, environment, bound inputs and outputs, and whether it would be reused::

            plan = client.jobs.validate(file="pipeline.yml", overrides=["inputs.n=3"])
            [(s.name, s.reuse, s.reason) for s in plan.steps]

        Raises the error ``create`` would, naming the file, line and field."""
        return self._submit(
            workspace, "job", "JobSpec", JobPlan, spec, file, overrides, fields, "validate"
        )

    def get(self, name: str, *, workspace: str | None = None) -> Job:
        return self._get(Job, f"/workspaces/{self._ws(workspace)}/jobs/{name}")

    def list(self, *, workspace: str | None = None, limit: int = 100) -> list[Job]:
        return self._list(Job, f"/workspaces/{self._ws(workspace)}/jobs", limit=limit)

    def cancel(self, name: str, *, workspace: str | None = None) -> Job:
        return self._post(Job, f"/workspaces/{self._ws(workspace)}/jobs/{name}/cancel", {})

    def logs(
        self, name: str, *, workspace: str | None = None, offsets: dict[str, int] | None = None
    ) -> LogChunk:
        import json

        return self._get(
            LogChunk,
            f"/workspaces/{self._ws(workspace)}/jobs/{name}/logs",
            offsets=json.dumps(offsets or {}),
        )

    def stream(
        self,
        name: str,
        *,
        workspace: str | None = None,
        out: IO[str] | None = None,
        poll_seconds: float = 0.5,
    ) -> Job:
        """Print the job's logs as they are written, and each pipeline step's state as it
        changes (Running, Completed in 12.3 s, Reused from ...), until the job ends;
        returns the final job."""
        out = out or sys.stdout
        offsets: dict[str, int] = {}
        progress = StepProgress()
        pauses = _pauses(poll_seconds)
        while True:
            chunk = self.logs(name, workspace=workspace, offsets=offsets)
            if chunk.text:
                out.write(chunk.text)
            job = self._status(name, workspace)
            for line in progress.changes(job):
                out.write(f"[step] {line}\n")
            out.flush()
            offsets = chunk.offsets
            if chunk.complete:
                return self.get(name, workspace=workspace)
            time.sleep(next(pauses))

    def wait(
        self,
        name: str,
        *,
        workspace: str | None = None,
        timeout: float = 3600,
        poll_seconds: float = 0.3,
    ) -> Job:
        """Block until the job reaches Completed, Failed or Canceled."""
        deadline = time.monotonic() + timeout
        pauses = _pauses(poll_seconds)
        while True:
            job = self._status(name, workspace)
            if job.is_terminal:
                return self.get(name, workspace=workspace)
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {name} still {job.status} after {timeout:.0f} s")
            time.sleep(next(pauses))

    def _status(self, name: str, workspace: str | None) -> Job:
        """The job without the metrics of runs still going: those are read from MLflow,
        whose import a process that only follows the status should not pay for."""
        return self._get(Job, f"/workspaces/{self._ws(workspace)}/jobs/{name}", tracking=False)

    def download(
        self,
        name: str,
        destination: str | Path,
        *,
        output_name: str | None = None,
        step: str | None = None,
        workspace: str | None = None,
    ) -> Path:
        """Copy the job's stored outputs into ``destination/<job>/<output>/`` (a pipeline's
        own outputs, or with ``step`` that step's, into ``destination/<job>.<step>/``), or
        only ``output_name``; returns ``destination/<job>``."""
        target = Path(destination) / (f"{name}.{step}" if step else name)
        params = {"output_name": output_name, "step": step}
        self._download_folder(
            f"/workspaces/{self._ws(workspace)}/jobs/{name}/download",
            target,
            params={k: v for k, v in params.items() if v is not None},
        )
        return target


def _pauses(longest: float) -> Iterator[float]:
    """Pauses between polls: short at first, when a quick job is likely to end, growing to
    ``longest`` so a long job is not polled more often than asked."""
    pause = min(0.05, longest)
    while True:
        yield pause
        pause = min(pause * 1.2, longest)
