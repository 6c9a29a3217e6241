"""A sweep's study: Azure ML's search-space semantics on Optuna's samplers, and the early
termination policies judged from reported metric values (no processes, no store)."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest
from optuna.trial import TrialState

from opsloop.execution.plan import SweepPlan
from opsloop.execution.sweep import Draw, SweepStudy


def _plan(
    search_space: dict[str, Any],
    sampling: Any = "random",
    *,
    goal: str = "minimize",
    policy: dict[str, Any] | None = None,
    trials: int = 200,
) -> SweepPlan:
    return SweepPlan.model_validate(
        {
            "trial": {"component": {"name": "t", "command": "true", "hash": "h"}},
            "search_space": search_space,
            "sampling_algorithm": sampling,
            "objective": {"goal": goal, "primary_metric": "loss"},
            "early_termination": policy,
            "limits": {"max_total_trials": trials},
        }
    )


def _draw_all(study: SweepStudy) -> list[dict[str, Any]]:
    draws = [study.ask() for _ in range(study.total_trials)]
    for draw in draws:
        study.tell(draw, 0.0, TrialState.COMPLETE)
    return [d.values for d in draws]


def test_grid_draws_every_point_once_and_no_more() -> None:
    plan = _plan(
        {
            "x": {"type": "choice", "values": [1, 2, 3]},
            "k": {"type": "choice", "values": ["a", "b"]},
        },
        "grid",
        trials=50,
    )
    study = SweepStudy(plan)
    assert study.total_trials == 6
    points = {(v["x"], v["k"]) for v in _draw_all(study)}
    assert points == {(x, k) for x in (1, 2, 3) for k in ("a", "b")}


def test_max_total_trials_caps_a_grid() -> None:
    plan = _plan({"x": {"type": "choice", "values": [1, 2, 3, 4]}}, {"type": "grid"}, trials=3)
    study = SweepStudy(plan)
    assert study.total_trials == 3
    assert len({v["x"] for v in _draw_all(study)}) == 3


@pytest.mark.parametrize("rule", ["random", "sobol"])
def test_distributions_keep_azure_ml_meaning(rule: str) -> None:
    space = {
        "u": {"type": "uniform", "min_value": 2, "max_value": 3},
        "qu": {"type": "quniform", "min_value": 0, "max_value": 10, "q": 2.5},
        "lu": {"type": "loguniform", "min_value": -2, "max_value": 1},
        "qlu": {"type": "qloguniform", "min_value": 0, "max_value": 3, "q": 1},
        "n": {"type": "normal", "mu": 10, "sigma": 2},
        "qn": {"type": "qnormal", "mu": 0, "sigma": 5, "q": 3},
        "ln": {"type": "lognormal", "mu": 0, "sigma": 0.5},
        "qln": {"type": "qlognormal", "mu": 1, "sigma": 0.5, "q": 0.5},
        "r": {"type": "randint", "upper": 4},
        "c": {"type": "choice", "values": ["rbf", "linear"]},
    }
    values = _draw_all(SweepStudy(_plan(space, {"type": "random", "seed": 7, "rule": rule})))
    column = {name: [v[name] for v in values] for name in space}
    assert all(2 <= x <= 3 for x in column["u"])
    assert all(0 <= x <= 10 and math.isclose(x / 2.5, round(x / 2.5)) for x in column["qu"])
    # loguniform's bounds are exponents of e, and the draws spread over the log scale.
    assert all(math.exp(-2) <= x <= math.exp(1) for x in column["lu"])
    logs = [math.log(x) for x in column["lu"]]
    assert min(logs) < -1.4 and max(logs) > 0.4
    assert all(x == round(x) and 1 <= x <= round(math.exp(3)) for x in column["qlu"])
    assert abs(statistics.mean(column["n"]) - 10) < 0.6
    assert 1.5 < statistics.stdev(column["n"]) < 2.5
    assert all(math.isclose(x / 3, round(x / 3)) for x in column["qn"])
    assert all(x > 0 for x in column["ln"])
    assert abs(statistics.median(math.log(x) for x in column["ln"])) < 0.15
    assert all(math.isclose(x / 0.5, round(x / 0.5)) for x in column["qln"])
    assert set(column["r"]) == {0, 1, 2, 3}
    assert set(column["c"]) == {"rbf", "linear"}


def test_a_seed_makes_random_sampling_repeatable() -> None:
    space = {"u": {"type": "uniform", "min_value": 0, "max_value": 1}}
    plan = _plan(space, {"type": "random", "seed": 42}, trials=5)
    assert _draw_all(SweepStudy(plan)) == _draw_all(SweepStudy(plan))
    other = _plan(space, {"type": "random", "seed": 43}, trials=5)
    assert _draw_all(SweepStudy(plan)) != _draw_all(SweepStudy(other))


def test_bayesian_sampling_moves_towards_the_better_region() -> None:
    plan = _plan(
        {"x": {"type": "uniform", "min_value": 0, "max_value": 10}},
        {"type": "bayesian", "seed": 1},
        trials=40,
    )
    study = SweepStudy(plan)
    drawn = []
    for _ in range(40):
        draw = study.ask()
        drawn.append(draw.values["x"])
        study.tell(draw, (draw.values["x"] - 2) ** 2, TrialState.COMPLETE)
    # TPE's later draws sit nearer the minimum at 2 than its random start-up draws.
    early, late = drawn[:10], drawn[-10:]
    assert statistics.mean(abs(x - 2) for x in late) < statistics.mean(abs(x - 2) for x in early)


def _run(study: SweepStudy, curves: list[list[float]]) -> list[int | None]:
    """Report each trial's curve (all trials running at once, interval by interval);
    the interval at which each was stopped, or None."""
    draws: list[Draw] = [study.ask() for _ in curves]
    stopped: list[int | None] = [None] * len(curves)
    for interval in range(1, max(len(c) for c in curves) + 1):
        for index, (draw, curve) in enumerate(zip(draws, curves, strict=True)):
            if stopped[index] is None and interval <= len(curve):
                stopped[index] = study.report(draw, curve[:interval])
    return stopped


BANDIT = {"type": "bandit", "slack_factor": 0.2, "evaluation_interval": 1, "delay_evaluation": 2}


def test_bandit_stops_a_trial_outside_the_slack_of_the_best_after_the_delay() -> None:
    study = SweepStudy(
        _plan({"x": {"type": "uniform", "min_value": 0, "max_value": 1}}, policy=BANDIT)
    )
    good = [1.0, 0.9, 0.8, 0.7]
    close = [1.1, 1.0, 0.95, 0.8]  # within 20% of the best at each interval
    bad = [5.0, 4.0, 3.0, 2.0]  # outside from the start; judged only after 2 intervals
    assert _run(study, [good, close, bad]) == [None, None, 3]


def test_bandit_slack_amount_when_maximizing() -> None:
    policy = {"type": "bandit", "slack_amount": 0.1}
    plan = _plan(
        {"x": {"type": "uniform", "min_value": 0, "max_value": 1}}, goal="maximize", policy=policy
    )
    assert _run(SweepStudy(plan), [[0.9, 0.95], [0.85, 0.9], [0.5, 0.6]]) == [None, None, 1]


def test_median_and_truncation_compare_with_finished_trials() -> None:
    space = {"x": {"type": "uniform", "min_value": 0, "max_value": 1}}
    for policy in (
        {"type": "median_stopping"},
        {"type": "truncation_selection", "truncation_percentage": 40},
    ):
        study = SweepStudy(_plan(space, policy=policy))
        finished = [[1.0, 0.8, 0.6], [1.2, 1.0, 0.9], [0.9, 0.7, 0.5]]
        for curve in finished:
            draw = study.ask()
            for step, value in enumerate(curve, start=1):
                draw.trial.report(value, step)
            study.tell(draw, curve[-1], TrialState.COMPLETE)
        assert _run(study, [[3.0, 2.0], [0.8, 0.6]]) == [1, None], policy


def test_delay_evaluation_holds_off_median_stopping() -> None:
    space = {"x": {"type": "uniform", "min_value": 0, "max_value": 1}}
    study = SweepStudy(_plan(space, policy={"type": "median_stopping", "delay_evaluation": 2}))
    draw = study.ask()
    for step in range(1, 5):
        draw.trial.report(1.0, step)
    study.tell(draw, 1.0, TrialState.COMPLETE)
    assert _run(study, [[9.0, 9.0, 9.0, 9.0]]) == [3]
