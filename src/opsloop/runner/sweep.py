"""Run a sweep (a sweep job, or a sweep step of a pipeline).

Trials are drawn from the sweep's Optuna study (``opsloop.execution.sweep``) and run as
command steps, at most ``max_concurrent_trials`` at a time, each with its own MLflow run
nested in the sweep's. While they run, the values of the primary metric they log are
reported to the study; a trial the early termination policy rejects is stopped (Canceled,
its error says why). The sweep ends with its best trial: the one whose last value of the
primary metric is best for ``goal``; its values and metric are logged on the sweep's run,
and its outputs become the sweep's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TypeVar

from optuna.trial import TrialState

from opsloop.execution.plan import SweepPlan
from opsloop.execution.states import JobStatus
from opsloop.execution.sweep import Draw, SweepStudy
from opsloop.runner.step import StepOutcome, StepRun, start_run
from opsloop.services import job_runs, sweep_runs
from opsloop.services.context import Platform
from opsloop.services.job_runs import StepView

T = TypeVar("T")
log = logging.getLogger(__name__)
_POLL_S = 0.25


@dataclass
class _Trial:
    draw: Draw
    step: StepRun
    view: StepView
    pruned: bool = False
    value: float | None = None  # the last value of the primary metric it logged


@dataclass
class SweepRun:
    platform: Platform
    workspace: str
    job_name: str  # the top-level job
    row_id: str
    label: str  # the sweep's step name, or the job name for a sweep job
    trial_prefix: str  # "" for a sweep job's trials, "<step>." for a sweep step's
    cancel: threading.Event
    parent_run_id: str | None
    experiment_id: str
    _trials: list[_Trial] = field(default_factory=list, init=False)

    def execute(self) -> StepOutcome:
        run_id = start_run(self, self.label)
        try:
            plan = self._report(sweep_runs.report_sweep_started, self.row_id, run_id)
            timed_out = self._run_trials(plan, SweepStudy(plan), run_id)
        except Exception as exc:  # a bug must not leave the sweep (or its trials) running
            log.exception("sweep %s failed", self.label)
            for trial in self._trials:
                trial.step.cancel.set()
            return self._end(JobStatus.FAILED, f"sweep error: {exc}", run_id)
        return self._conclude(plan, run_id, timed_out=timed_out)

    # ---- trials ----------------------------------------------------------------------
    def _run_trials(self, plan: SweepPlan, study: SweepStudy, run_id: str) -> bool:
        """Run trials until the limits say stop; whether the sweep's timeout ended it."""
        total = study.total_trials
        concurrency = min(plan.limits.max_concurrent_trials or total, total)
        deadline = time.monotonic() + plan.limits.timeout if plan.limits.timeout else None
        running: dict[Future[StepOutcome], _Trial] = {}
        timed_out = False
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            while True:
                timed_out = timed_out or (deadline is not None and time.monotonic() > deadline)
                if self.cancel.is_set() or timed_out:
                    reason = "sweep timed out (limits.timeout)" if timed_out else "canceled"
                    for trial in running.values():
                        if not trial.step.cancel.is_set():
                            trial.step.cancel_reason = reason
                            trial.step.cancel.set()
                else:
                    while len(running) < concurrency and len(self._trials) < total:
                        trial = self._start_trial(study, run_id)
                        running[pool.submit(trial.step.execute)] = trial
                if not running:
                    return timed_out
                done, _ = wait(running, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for future, trial in running.items():
                    self._follow_metric(plan, study, trial, ended=future in done)
                for future in done:
                    trial = running.pop(future)
                    self._tell(study, trial, future.result())

    def _start_trial(self, study: SweepStudy, run_id: str) -> _Trial:
        draw = study.ask()
        number = len(self._trials)
        view = self._report(sweep_runs.report_trial_created, self.row_id, number, draw.values)
        step = StepRun(
            self.platform,
            self.workspace,
            self.job_name,
            view.id,
            f"{self.trial_prefix}trial_{number}",
            force_rerun=True,  # a trial is an experiment: it runs, whatever ran before
            cancel=threading.Event(),
            parent_run_id=run_id,
            experiment_id=self.experiment_id,
            timeout_key="limits.trial_timeout",
        )
        trial = _Trial(draw, step, view)
        self._trials.append(trial)
        return trial

    def _follow_metric(
        self, plan: SweepPlan, study: SweepStudy, trial: _Trial, *, ended: bool
    ) -> None:
        """Report the primary metric's new values; stop the trial if the policy says so."""
        if trial.step.run_id is None or trial.pruned:
            return
        metric = plan.objective.primary_metric
        history = self.platform.tracking.metric_history(trial.step.run_id, metric)
        if history:
            trial.value = history[-1]
        if ended:  # its values still count for the trials that go on
            for value in history[trial.draw.reported :]:
                trial.draw.reported += 1
                trial.draw.trial.report(value, trial.draw.reported)
            return
        interval = study.report(trial.draw, history)
        if interval is not None and plan.early_termination is not None:
            trial.pruned = True
            trial.step.cancel_reason = (
                f"stopped early by the {plan.early_termination.type} policy at interval "
                f"{interval} ({metric} = {history[interval - 1]:.6g})"
            )
            trial.step.cancel.set()

    def _tell(self, study: SweepStudy, trial: _Trial, outcome: StepOutcome) -> None:
        if trial.pruned:
            study.tell(trial.draw, None, TrialState.PRUNED)
        elif outcome.status == JobStatus.COMPLETED and trial.value is not None:
            study.tell(trial.draw, trial.value, TrialState.COMPLETE)
        else:
            study.tell(trial.draw, None, TrialState.FAIL)

    # ---- the end ---------------------------------------------------------------------
    def _conclude(self, plan: SweepPlan, run_id: str, *, timed_out: bool) -> StepOutcome:
        metric = plan.objective.primary_metric
        ended = {t.view.id: self._report(job_runs.load_step, t.view.id) for t in self._trials}
        scored = [
            t
            for t in self._trials
            if ended[t.view.id].status == JobStatus.COMPLETED and t.value is not None
        ]
        canceled = self.cancel.is_set() and not timed_out
        if not scored:
            status = JobStatus.CANCELED if canceled else JobStatus.FAILED
            return self._end(status, self._why_none(metric, ended, timed_out), run_id)
        pick = max if plan.objective.goal == "maximize" else min
        best = pick(scored, key=lambda t: t.value or 0.0)
        self.platform.tracking.log_params(run_id, best.draw.values)
        self.platform.tracking.log_metrics(run_id, {metric: best.value or 0.0})
        if canceled:  # the best of the trials that completed still counts
            return self._end(JobStatus.CANCELED, "canceled by user", run_id, ended[best.view.id])
        return self._end(JobStatus.COMPLETED, None, run_id, best=ended[best.view.id])

    def _why_none(self, metric: str, ended: dict[str, StepView], timed_out: bool) -> str:
        if self.cancel.is_set() and not timed_out:
            return "canceled by user"
        if timed_out:
            return "the sweep timed out (limits.timeout) before any trial completed"
        completed = [v for v in ended.values() if v.status == JobStatus.COMPLETED]
        if completed:
            return f"no completed trial logged the primary metric {metric!r}"
        first = next(iter(ended.values()), None)
        detail = f"; {first.label}: {first.error}" if first is not None else ""
        return f"no trial completed{detail}"

    def _end(
        self, status: JobStatus, error: str | None, run_id: str, best: StepView | None = None
    ) -> StepOutcome:
        tracking = self.platform.tracking.end_run(run_id, status.value)
        self._report(
            sweep_runs.report_sweep_finished,
            self.row_id,
            status,
            error=error,
            best_trial=best.name if best is not None else None,
            outputs=best.outputs if best is not None else {},
            tracking=tracking,
        )
        return StepOutcome(status, error)

    def _report(self, call: Callable[..., T], *args: object, **kwargs: object) -> T:
        return job_runs.report(self.platform, call, *args, **kwargs)
