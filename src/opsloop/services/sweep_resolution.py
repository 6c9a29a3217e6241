"""A sweep spec's checks and its trial: what ``job_resolution`` resolves for a sweep.

The search space's parameters become inputs of the trial: an inline trial's
``${{search_space.x}}`` is its input ``x``, and a component trial's inputs are named by
the search space (as Azure ML binds them). The trial is resolved as a command step with a
stand-in value for each parameter (so types are checked at submission); each trial the
sweep runs binds them to the values it drew.
"""

from __future__ import annotations

import math
import re
from typing import Any

from opsloop.errors import ValidationError
from opsloop.execution.plan import CommandStepPlan, SweepPlan, UnboundBinding
from opsloop.execution.search_values import to_value
from opsloop.specs.component import ComponentInput
from opsloop.specs.job import CommandJobSpec, Limits, SweepJobSpec
from opsloop.specs.sweep import Choice, RandInt, SearchExpression, TrialSpec

_SEARCH_SPACE = re.compile(r"\$\{\{\s*search_space\.(?P<name>[^{}\s]*)\s*\}\}")
# What Azure ML's bayesian sampling takes; grid takes choice only.
_BAYESIAN = ("choice", "uniform", "quniform")


def trial_job(spec: SweepJobSpec, prefix: str) -> CommandJobSpec:
    """The trial as a command job, each search-space parameter bound to a stand-in value.
    An inline trial's ``input_types`` hold the parameters' types only: the caller adds
    those of the sweep's own inputs."""
    for name in spec.search_space:
        if name in spec.inputs:
            raise ValidationError(
                "this parameter is also bound under inputs; give it in one place",
                field=f"{prefix}search_space.{name}",
            )
    stand_ins = {name: _stand_in(expr) for name, expr in spec.search_space.items()}
    common: dict[str, Any] = {
        "inputs": {**spec.inputs, **stand_ins},
        "outputs": spec.outputs,
        "compute": spec.compute,
        "limits": Limits(timeout=spec.limits.trial_timeout) if spec.limits.trial_timeout else None,
        "environment_variables": spec.environment_variables,
    }
    trial = spec.trial
    if not isinstance(trial, TrialSpec):
        return CommandJobSpec(component=trial, **common)
    command = _SEARCH_SPACE.sub(lambda m: _as_input(m, spec, prefix), trial.command)
    return CommandJobSpec(
        command=command,
        code=trial.code,
        environment=trial.environment,
        input_types={name: _input_type(expr) for name, expr in spec.search_space.items()},
        **{
            **common,
            "environment_variables": {**spec.environment_variables, **trial.environment_variables},
        },
    )


def sweep_plan(spec: SweepJobSpec, trial: CommandStepPlan, prefix: str) -> SweepPlan:
    """The sweep's plan around its resolved trial; refuses what the algorithm cannot do."""
    algorithm = spec.sampling_algorithm.type
    for name, expr in spec.search_space.items():
        field = f"{prefix}search_space.{name}"
        if name not in trial.component.inputs:
            declared = ", ".join(sorted(trial.component.inputs)) or "none"
            raise ValidationError(
                f"the trial has no input {name!r} to take this parameter (it has: {declared})",
                field=field,
            )
        if algorithm == "grid" and not isinstance(expr, Choice):
            raise ValidationError(
                f"grid sampling takes choice parameters only, not {expr.type}", field=field
            )
        if algorithm == "bayesian" and expr.type not in _BAYESIAN:
            raise ValidationError(
                f"bayesian sampling takes {', '.join(_BAYESIAN)} parameters only, not {expr.type}",
                field=field,
            )
    if algorithm == "bayesian" and spec.early_termination is not None:
        raise ValidationError(
            "bayesian sampling does not support an early termination policy",
            field=f"{prefix}early_termination",
        )
    for name, output in trial.outputs.items():
        if output.path is not None:
            raise ValidationError(
                "a sweep's output is its best trial's, and every trial writes to the "
                "artifact store: leave its path unset",
                field=f"{prefix}outputs.{name}",
            )
    template = trial.model_copy(deep=True)
    for name in spec.search_space:
        template.inputs[name] = UnboundBinding()
    return SweepPlan(
        trial=template,
        search_space=spec.search_space,
        sampling_algorithm=spec.sampling_algorithm,
        objective=spec.objective,
        early_termination=spec.early_termination,
        limits=spec.limits,
        description=spec.description,
        tags=spec.tags,
    )


def _as_input(match: re.Match[str], spec: SweepJobSpec, prefix: str) -> str:
    name = match["name"]
    if name not in spec.search_space:
        known = ", ".join(sorted(spec.search_space))
        raise ValidationError(
            f"${{{{search_space.{name}}}}} is not in the search space (it has: {known})",
            field=f"{prefix}trial.command",
        )
    return f"${{{{inputs.{name}}}}}"


def _stand_in(expr: SearchExpression) -> Any:
    """A value the parameter can take, to check it against the trial's input."""
    if isinstance(expr, Choice):
        return expr.values[0]
    if isinstance(expr, RandInt):
        return 0
    quantile = 0.5
    drawn = getattr(expr, "min_value", quantile)
    if expr.type in ("loguniform", "qloguniform"):
        drawn = math.exp(drawn)
    return to_value(expr, drawn)


def _input_type(expr: SearchExpression) -> ComponentInput:
    if isinstance(expr, RandInt):
        return ComponentInput(type="integer")
    if not isinstance(expr, Choice):
        return ComponentInput(type="number")
    values = expr.values
    if all(isinstance(v, bool) for v in values):
        return ComponentInput(type="boolean")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return ComponentInput(type="integer")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return ComponentInput(type="number")
    return ComponentInput(type="string")
