"""A sweep's study: Optuna draws the trials' values and judges early termination.

Samplers are Optuna's: ``random`` is ``RandomSampler`` (``rule: sobol`` is ``QMCSampler``),
``grid`` is ``GridSampler``, ``bayesian`` is ``TPESampler``. Each search-space expression
is an Optuna distribution plus a transform into Azure ML's meaning
(``opsloop.execution.search_values``: ``quniform`` rounds to ``q``, ``normal`` is the
inverse normal CDF of a uniform draw); ``loguniform`` is a log-scale float between
``e**min_value`` and ``e**max_value``.

Early termination reads the values of the primary metric a trial has logged: the n-th value
is reported to Optuna as step n (an Azure ML "interval"). ``median_stopping`` is Optuna's
``MedianPruner`` and ``truncation_selection`` its ``PercentilePruner``: both compare a
trial's best value so far with the values that finished trials reported at the same
interval. Optuna has no bandit policy, so ``BanditPruner`` applies Azure ML's rule to the
trials' Optuna reports: a trial whose best value so far is not within the slack of the best
value any other trial has reported by that interval is stopped.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import FrozenTrial, TrialState

from opsloop.execution.plan import SweepPlan
from opsloop.execution.search_values import to_value
from opsloop.specs.sweep import (
    BanditPolicy,
    Choice,
    LogUniform,
    QLogUniform,
    QUniform,
    RandInt,
    SearchExpression,
    TruncationSelectionPolicy,
    Uniform,
)


def distribution(expression: SearchExpression) -> BaseDistribution:
    """The Optuna distribution a parameter is drawn from (before ``to_value``)."""
    if isinstance(expression, Choice):
        return CategoricalDistribution(expression.values)
    if isinstance(expression, RandInt):
        return IntDistribution(0, expression.upper - 1)
    if isinstance(expression, LogUniform | QLogUniform):
        low, high = math.exp(expression.min_value), math.exp(expression.max_value)
        return FloatDistribution(low, high, log=True)
    if isinstance(expression, Uniform | QUniform):
        return FloatDistribution(expression.min_value, expression.max_value)
    # normal and its kin: a quantile, turned into a value by to_value.
    return FloatDistribution(0.0, 1.0)


def grid_size(plan: SweepPlan) -> int | None:
    """How many points a grid sweep has; None for other algorithms."""
    if plan.sampling_algorithm.type != "grid":
        return None
    return math.prod(len(e.values) for e in plan.search_space.values() if isinstance(e, Choice))


class _AskAndTellGridSampler(optuna.samplers.GridSampler):
    """Optuna's grid sampler, without the ``study.stop()`` it calls once the grid is
    exhausted: that call only works inside ``study.optimize``, and the sweep stops by
    itself after ``grid_size`` trials."""

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        return None


def _sampler(plan: SweepPlan) -> optuna.samplers.BaseSampler:
    algorithm = plan.sampling_algorithm
    if algorithm.type == "grid":
        grid = {k: list(e.values) for k, e in plan.search_space.items() if isinstance(e, Choice)}
        return _AskAndTellGridSampler(grid, seed=algorithm.seed)
    if algorithm.type == "bayesian":
        return optuna.samplers.TPESampler(seed=algorithm.seed)
    if algorithm.rule == "sobol":
        with warnings.catch_warnings():  # "experimental": its interface may change, not its draws
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.QMCSampler(
                qmc_type="sobol",
                scramble=True,
                seed=algorithm.seed,
                independent_sampler=optuna.samplers.RandomSampler(seed=algorithm.seed),
                warn_independent_sampling=False,
                warn_asynchronous_seeding=False,
            )
    return optuna.samplers.RandomSampler(seed=algorithm.seed)


class BanditPruner(optuna.pruners.BasePruner):
    """Azure ML's bandit policy over Optuna's trial reports (see the module's docstring)."""

    def __init__(self, policy: BanditPolicy) -> None:
        self.policy = policy

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or not _due(
            step, self.policy.evaluation_interval, self.policy.delay_evaluation
        ):
            return False
        maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
        mine = _best_until(trial, step, maximize)
        others = [
            _best_until(other, step, maximize)
            for other in study.get_trials(deepcopy=False)
            if other.number != trial.number
        ]
        known = [value for value in others if value is not None]
        if mine is None or not known:
            return False
        leader = max(known) if maximize else min(known)
        factor, amount = self.policy.slack_factor, self.policy.slack_amount
        if maximize:
            limit = leader / (1 + factor) if factor is not None else leader - (amount or 0.0)
            return mine < limit
        limit = leader * (1 + factor) if factor is not None else leader + (amount or 0.0)
        return mine > limit


def _due(step: int, interval: int, delay: int) -> bool:
    """Whether the policy is applied at this interval (0 means every interval)."""
    return step > delay and (step - delay) % max(interval, 1) == 0


def _best_until(trial: FrozenTrial, step: int, maximize: bool) -> float | None:
    values = [v for s, v in trial.intermediate_values.items() if s <= step and not math.isnan(v)]
    if not values:
        return None
    return max(values) if maximize else min(values)


def _pruner(plan: SweepPlan) -> optuna.pruners.BasePruner:
    policy = plan.early_termination
    if policy is None:
        return optuna.pruners.NopPruner()
    if isinstance(policy, BanditPolicy):
        return BanditPruner(policy)
    # Optuna prunes at steps >= n_warmup_steps; Azure ML's delay is "after this many".
    common = {
        "n_startup_trials": 0,
        "n_warmup_steps": policy.delay_evaluation + 1,
        "interval_steps": max(policy.evaluation_interval, 1),
    }
    if isinstance(policy, TruncationSelectionPolicy):
        return optuna.pruners.PercentilePruner(100.0 - policy.truncation_percentage, **common)
    return optuna.pruners.MedianPruner(**common)


@dataclass
class Draw:
    """One trial's values, and the Optuna trial that reports on it."""

    trial: optuna.Trial
    values: dict[str, Any]
    reported: int = 0  # how many values of the primary metric have been reported


class SweepStudy:
    """The Optuna study of one sweep, in memory: it lives as long as the sweep's runner.
    Not thread-safe by design; the runner calls it from one thread."""

    def __init__(self, plan: SweepPlan) -> None:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.plan = plan
        self.study = optuna.create_study(
            direction=plan.objective.goal, sampler=_sampler(plan), pruner=_pruner(plan)
        )
        self._distributions = {k: distribution(e) for k, e in plan.search_space.items()}
        grid = grid_size(plan)
        self.total_trials = min(plan.limits.max_total_trials, grid or plan.limits.max_total_trials)

    def ask(self) -> Draw:
        trial = self.study.ask(self._distributions)
        values = {k: to_value(e, trial.params[k]) for k, e in self.plan.search_space.items()}
        return Draw(trial, values)

    def report(self, draw: Draw, history: list[float]) -> int | None:
        """Report the values logged since the last call; the interval at which the trial
        is to be stopped, or None."""
        for value in history[draw.reported :]:
            draw.reported += 1
            draw.trial.report(value, draw.reported)
            if draw.trial.should_prune():
                return draw.reported
        return None

    def tell(self, draw: Draw, value: float | None, state: TrialState) -> None:
        """End a trial in the study: COMPLETE with its value, PRUNED, or FAIL."""
        if state == TrialState.COMPLETE and value is not None:
            self.study.tell(draw.trial, value)
        elif state == TrialState.PRUNED:
            self.study.tell(draw.trial, state=TrialState.PRUNED)
        else:
            self.study.tell(draw.trial, state=TrialState.FAIL)
