"""The parts of a sweep job spec (Azure ML CLI v2 ``type: sweep``): search space, sampling
algorithm, objective, early termination policy and limits.

Each search-space expression keeps Azure ML's key names and meaning (``loguniform``'s
``min_value``/``max_value`` are exponents of e, ``randint`` is ``[0, upper)``); how each
is drawn is ``opsloop.execution.sweep``'s business.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from opsloop.specs.base import SpecModel
from opsloop.specs.environment import InlineEnvironmentSpec


class Choice(SpecModel):
    type: Literal["choice"]
    values: list[str | int | float | bool] = Field(min_length=1)


class RandInt(SpecModel):
    type: Literal["randint"]
    upper: int = Field(gt=0, description="Integers in [0, upper).")


class _Range(SpecModel):
    min_value: float
    max_value: float

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        if self.min_value >= self.max_value:
            raise ValueError("min_value must be less than max_value")
        return self


class Uniform(_Range):
    type: Literal["uniform"]


class QUniform(_Range):
    type: Literal["quniform"]
    q: float = Field(gt=0)


class LogUniform(_Range):
    """``exp(uniform(min_value, max_value))``: the bounds are exponents of e."""

    type: Literal["loguniform"]


class QLogUniform(_Range):
    type: Literal["qloguniform"]
    q: float = Field(gt=0)


class _Gaussian(SpecModel):
    mu: float
    sigma: float = Field(gt=0)


class Normal(_Gaussian):
    type: Literal["normal"]


class QNormal(_Gaussian):
    type: Literal["qnormal"]
    q: float = Field(gt=0)


class LogNormal(_Gaussian):
    """``exp(normal(mu, sigma))``."""

    type: Literal["lognormal"]


class QLogNormal(_Gaussian):
    type: Literal["qlognormal"]
    q: float = Field(gt=0)


_EXPRESSIONS: dict[str, type[SpecModel]] = {
    "choice": Choice,
    "randint": RandInt,
    "uniform": Uniform,
    "quniform": QUniform,
    "loguniform": LogUniform,
    "qloguniform": QLogUniform,
    "normal": Normal,
    "qnormal": QNormal,
    "lognormal": LogNormal,
    "qlognormal": QLogNormal,
}


def _expression_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(kind, str) or kind not in _EXPRESSIONS:
        # Tagged by class name, so an error location reads search_space.x.<key>.
        return "Unknown"
    return _EXPRESSIONS[kind].__name__


class _UnknownExpression(SpecModel):
    # Its other keys are not the fault: the type is.
    model_config = ConfigDict(extra="ignore")

    type: Any

    @field_validator("type")
    @classmethod
    def _refuse(cls, value: Any) -> Any:
        raise ValueError(
            f"unknown search space type {value!r}; use one of: {', '.join(_EXPRESSIONS)}"
        )


SearchExpression = Annotated[
    Annotated[Choice, Tag("Choice")]
    | Annotated[RandInt, Tag("RandInt")]
    | Annotated[Uniform, Tag("Uniform")]
    | Annotated[QUniform, Tag("QUniform")]
    | Annotated[LogUniform, Tag("LogUniform")]
    | Annotated[QLogUniform, Tag("QLogUniform")]
    | Annotated[Normal, Tag("Normal")]
    | Annotated[QNormal, Tag("QNormal")]
    | Annotated[LogNormal, Tag("LogNormal")]
    | Annotated[QLogNormal, Tag("QLogNormal")]
    | Annotated[_UnknownExpression, Tag("Unknown")],
    Discriminator(_expression_kind),
]


class SamplingAlgorithm(SpecModel):
    """``random`` (optionally ``rule: sobol`` and a ``seed``), ``grid`` or ``bayesian``."""

    type: Literal["random", "grid", "bayesian"]
    seed: int | None = None
    rule: Literal["random", "sobol"] = "random"

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"type": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _rule_is_random_only(self) -> SamplingAlgorithm:
        if self.type != "random" and self.rule != "random":
            raise ValueError(f"rule applies to random sampling only, not {self.type}")
        return self


class Objective(SpecModel):
    goal: Literal["minimize", "maximize"]
    primary_metric: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _goal_any_case(cls, value: Any) -> Any:
        # Azure ML's SDK writes "Maximize"; its YAML schema says "maximize".
        if isinstance(value, dict) and isinstance(value.get("goal"), str):
            return {**value, "goal": value["goal"].lower()}
        return value


class _Policy(SpecModel):
    # An interval is one value of the primary metric logged by the trial.
    evaluation_interval: int = Field(default=0, ge=0)
    delay_evaluation: int = Field(default=0, ge=0)


class BanditPolicy(_Policy):
    type: Literal["bandit"]
    slack_factor: float | None = Field(default=None, ge=0)
    slack_amount: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_slack(self) -> BanditPolicy:
        if (self.slack_factor is None) == (self.slack_amount is None):
            raise ValueError("a bandit policy takes exactly one of slack_factor, slack_amount")
        return self


class MedianStoppingPolicy(_Policy):
    type: Literal["median_stopping"]


class TruncationSelectionPolicy(_Policy):
    type: Literal["truncation_selection"]
    truncation_percentage: int = Field(ge=1, le=99)
    exclude_finished_jobs: bool = False


_POLICIES: dict[str, type[SpecModel]] = {
    "bandit": BanditPolicy,
    "median_stopping": MedianStoppingPolicy,
    "truncation_selection": TruncationSelectionPolicy,
}


def _policy_kind(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    policy = _POLICIES.get(str(kind))
    return policy.__name__ if policy is not None else None


EarlyTermination = Annotated[
    Annotated[BanditPolicy, Tag("BanditPolicy")]
    | Annotated[MedianStoppingPolicy, Tag("MedianStoppingPolicy")]
    | Annotated[TruncationSelectionPolicy, Tag("TruncationSelectionPolicy")],
    Discriminator(
        _policy_kind,
        custom_error_type="invalid_policy",
        custom_error_message="type must be one of: " + ", ".join(_POLICIES),
    ),
]


class SweepLimits(SpecModel):
    max_total_trials: int = Field(default=1000, gt=0)
    max_concurrent_trials: int | None = Field(default=None, gt=0)
    timeout: int | None = Field(default=None, gt=0, description="Seconds for the whole sweep.")
    trial_timeout: int | None = Field(default=None, gt=0, description="Seconds per trial.")


class TrialSpec(SpecModel):
    """An inline command trial; ``${{search_space.x}}`` in ``command`` is the trial's value."""

    command: str
    code: str | None = None
    environment: str | InlineEnvironmentSpec | None = None
    environment_variables: dict[str, str] = Field(default_factory=dict)
    resources: dict[str, Any] | None = None
    distribution: dict[str, Any] | None = None


# Union members' names, which pydantic puts in error locations: never shown to a user.
SWEEP_MEMBER_NAMES = frozenset(
    [
        *(cls.__name__ for cls in (*_EXPRESSIONS.values(), *_POLICIES.values())),
        "Unknown",
        "_UnknownExpression",
    ]
)
