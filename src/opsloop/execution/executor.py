"""Executors: where a job's plan runs. One small interface, one implementation per backend.

An executor starts something that runs the stored plan of a job (``PlanRef``) and reports
every state change, heartbeat and output through ``opsloop.services.job_runs``; it never
writes the store itself. It can also end step processes that a lost runner left behind.

Usage (the jobs service does this once the job's transaction has committed)::

    executor = executor_for(settings)
    handle = executor.launch(PlanRef(workspace="dev", job="brave_river_1a2b3c4d"))
    ...
    executor.cancel([StepProcess(host=handle.host, pgid=12345)])

``LocalExecutor`` starts a detached runner process on this host. A ``ray`` executor would
submit the runner as a Ray task and end steps through Ray instead of process groups.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from opsloop.config import Settings
from opsloop.execution.launcher import launch_runner
from opsloop.execution.processes import end_process_groups, this_host


@dataclass(frozen=True)
class PlanRef:
    """Which stored plan to run: the job's name in its workspace."""

    workspace: str
    job: str


@dataclass(frozen=True)
class ExecutorHandle:
    """What ``launch`` started, for logs and diagnostics (the store holds the truth)."""

    executor: str
    ref: PlanRef
    host: str
    pid: int | None = None


@dataclass(frozen=True)
class StepProcess:
    """A step's process group as recorded on its row (``step_host``, ``step_pgid``)."""

    host: str | None
    pgid: int | None


class Executor(ABC):
    name: ClassVar[str]

    @abstractmethod
    def launch(self, ref: PlanRef) -> ExecutorHandle:
        """Start running the plan; returns at once (the run reports through the service)."""

    @abstractmethod
    def cancel(self, processes: Sequence[StepProcess]) -> list[StepProcess]:
        """End step processes whose runner is gone (SIGTERM, then SIGKILL after a grace
        period). Returns those this executor is in charge of: they are gone afterwards
        (or were already); the others belong to another host or backend."""


class LocalExecutor(Executor):
    """A detached ``python -m opsloop.runner.runner`` process per job, on this host."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def launch(self, ref: PlanRef) -> ExecutorHandle:
        pid = launch_runner(self.settings, ref.workspace, ref.job)
        return ExecutorHandle(executor=self.name, ref=ref, host=this_host(), pid=pid)

    def cancel(self, processes: Sequence[StepProcess]) -> list[StepProcess]:
        # A pid means nothing on another host; those wait for a sweep running there.
        host = this_host()
        mine = [p for p in processes if p.pgid and p.host == host]
        end_process_groups(p.pgid for p in mine if p.pgid)
        return mine


def executor_for(settings: Settings) -> Executor:
    """The executor jobs run on. Only ``local`` exists today."""
    return LocalExecutor(settings)
