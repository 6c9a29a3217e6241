"""Promotion policies: what a model version must pass to enter a workspace, and how it is
deployed there. A policy is YAML kept with the project; ``opsloop model promote --policy``
reads it, and the promotion keeps the copy it ran with."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from opsloop.specs.base import AssetName, NamedSpec, SpecModel
from opsloop.specs.durations import duration_seconds

# Metrics where a smaller value is better; every other metric is better larger.
LOWER_IS_BETTER = frozenset({"rmse", "mse", "mae", "log_loss", "error_rate"})
SCORING_METRICS = frozenset({"rmse", "mse", "mae", "r2", "accuracy", "f1", "precision", "recall"})
FAIRNESS_METRICS = frozenset({"demographic_parity_difference", "equalized_odds_difference"})


Duration = Annotated[str | float, Field(description="90s, 15m, 2h, 1d, or seconds")]


class Bound(SpecModel):
    """``min`` and/or ``max`` a value must keep to."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        return self


class MetricThresholdGate(SpecModel):
    """The version's own logged metrics (of the job step that produced it) within bounds."""

    type: Literal["metric_threshold"]
    metrics: dict[str, Bound] = Field(min_length=1)


class Bootstrap(SpecModel):
    samples: int = Field(default=500, ge=50, le=20_000)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    seed: int = 0


class ChampionComparisonGate(SpecModel):
    """The candidate and the champion scored side by side on a test data asset: the
    candidate may be at most ``tolerance`` worse (in the metric's units)."""

    type: Literal["champion_comparison"]
    test_data: str = Field(description="a data asset: name:version or name@latest")
    label_column: str
    metric: str = "rmse"
    tolerance: float = Field(default=0.0, ge=0.0)
    champion: str | None = Field(
        default=None,
        description="a model reference; default: the version serving most traffic on the "
        "policy's endpoint in the target workspace (no champion there: the gate passes)",
    )
    bootstrap: Bootstrap | None = None

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in SCORING_METRICS:
            raise ValueError(f"must be one of {', '.join(sorted(SCORING_METRICS))}")
        return value


class DataQualityGate(SpecModel):
    """The training data the version's lineage names, checked against a reference profile
    (its own at registration unless ``reference`` names another data asset)."""

    type: Literal["data_quality"]
    data: str | None = Field(default=None, description="default: the lineage's training data")
    reference: str | None = Field(
        default=None, description="a data asset whose profile is the baseline"
    )
    max_missing_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    max_out_of_range_rate: float = Field(default=0.01, ge=0.0, le=1.0)


class FairnessGate(SpecModel):
    """Group fairness of a classifier's predictions on a test data asset (fairlearn)."""

    type: Literal["fairness"]
    test_data: str
    label_column: str
    sensitive_features: list[str] = Field(min_length=1)
    limits: dict[str, float] = Field(
        default_factory=lambda: {"demographic_parity_difference": 0.1}, min_length=1
    )

    @field_validator("limits")
    @classmethod
    def _known_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - FAIRNESS_METRICS)
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: unknown; use {', '.join(sorted(FAIRNESS_METRICS))}"
            )
        return value


class ApprovalGate(SpecModel):
    """A person holding ``role`` approves or rejects; never the one who asked."""

    type: Literal["approval"]
    role: str = "project_lead"
    expires_in: Duration = "24h"

    _duration = field_validator("expires_in")(lambda cls, value: _valid_duration(value))


class ServiceLevel(SpecModel):
    p99_latency_ms: float = Field(default=500.0, gt=0.0)
    error_rate: float = Field(default=0.01, ge=0.0, le=1.0)


class StagingTestGate(SpecModel):
    """The candidate deployed on the policy's endpoint with no traffic, then scored with
    rows of ``sample_data``: each of the first ``smoke_requests`` once (any failure
    refuses), then ``requests`` requests from ``concurrency`` callers against ``slo``."""

    type: Literal["staging_test"]
    sample_data: str = Field(description="a tabular data asset of the target workspace")
    drop_columns: list[str] = Field(default_factory=list, description="e.g. the label")
    rows_per_request: int = Field(default=1, ge=1, le=1000)
    smoke_requests: int = Field(default=5, ge=1, le=100)
    requests: int = Field(default=200, ge=10, le=20_000)
    concurrency: int = Field(default=4, ge=1, le=32)
    slo: ServiceLevel = Field(default_factory=ServiceLevel)


Gate = Annotated[
    MetricThresholdGate
    | ChampionComparisonGate
    | DataQualityGate
    | FairnessGate
    | StagingTestGate
    | ApprovalGate,
    Field(discriminator="type"),
]


class DeployTarget(SpecModel):
    """Where the promoted version is deployed in the target workspace."""

    endpoint: AssetName
    deployment: AssetName | None = Field(
        default=None, description="default: <model name>-<version>, made name-safe"
    )
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="more online deployment fields (instance_count, request_settings, ...)",
    )


class Analysis(SpecModel):
    """What each canary interval must show, from the endpoint's own traffic log (for a
    shadow: its mirrored requests, with ``min_requests`` counting those compared)."""

    min_requests: int = Field(default=20, ge=1, description="fewer: inconclusive, the step holds")
    success_rate: float = Field(default=0.99, ge=0.0, le=1.0)
    p99_latency_ms: float = Field(default=500.0, gt=0.0)


class Comparison(SpecModel):
    """How a shadow's answers must match the live deployment's, on the same requests."""

    outputs: Literal["auto", "labels", "numbers"] = Field(
        default="auto",
        description="auto: labels when the live outputs are text, booleans or integers",
    )
    agreement_rate: float = Field(
        default=0.99, ge=0.0, le=1.0, description="labels: the share of equal predictions"
    )
    mean_absolute_difference: float | None = Field(
        default=None, ge=0.0, description="numbers: at most this, in the outputs' units"
    )
    relative_difference: float | None = Field(
        default=None,
        ge=0.0,
        description="numbers: mean absolute difference / mean absolute live output, at most "
        "this (the default, 0.01, when neither numeric limit is given)",
    )

    def numeric_limits(self) -> tuple[float | None, float | None]:
        """(mean absolute difference, relative difference) limits, the default applied."""
        if self.mean_absolute_difference is None and self.relative_difference is None:
            return None, DEFAULT_RELATIVE_DIFFERENCE
        return self.mean_absolute_difference, self.relative_difference


DEFAULT_RELATIVE_DIFFERENCE = 0.01
# Settings that only one strategy reads: given with another, they are a mistake.
_STRATEGY_SETTINGS = {"steps": "canary", "mirror_percent": "shadow", "comparison": "shadow"}


class Rollout(SpecModel):
    """``blue-green``: all traffic at once after provisioning. ``canary``: traffic in
    ``steps`` (percent, ending at 100), each held ``interval`` and analysed; ``failure_limit``
    failed analyses roll the traffic back. ``shadow``: ``mirror_percent`` of the requests
    copied to the candidate, its answers compared with the live ones each ``interval``;
    agreeing, it takes all traffic; ``failure_limit`` disagreements stop it."""

    strategy: Literal["blue-green", "canary", "shadow"] = "blue-green"
    steps: list[int] = Field(default_factory=lambda: [10, 50, 100])
    mirror_percent: int = Field(
        default=20, ge=1, le=50, description="shadow: the share of requests copied (at most 50)"
    )
    interval: Duration = "60s"
    analysis: Analysis = Field(default_factory=Analysis)
    comparison: Comparison = Field(default_factory=Comparison)
    failure_limit: int = Field(default=1, ge=1)
    max_inconclusive: int = Field(
        default=10, ge=1, description="inconclusive intervals in a row before it gives up"
    )

    _duration = field_validator("interval")(lambda cls, value: _valid_duration(value))

    @field_validator("steps")
    @classmethod
    def _reaches_all_traffic(cls, steps: list[int]) -> list[int]:
        if not steps or steps[-1] != 100:
            raise ValueError("must end at 100: a canary that never takes all traffic never ends")
        if any(b <= a for a, b in itertools.pairwise(steps)) or steps[0] <= 0:
            raise ValueError("must rise from above 0 to 100, e.g. [10, 50, 100]")
        return steps

    @model_validator(mode="after")
    def _settings_of_the_strategy(self) -> Rollout:
        # Compared with the defaults rather than the fields set: a stored policy is read back
        # with every field written out.
        defaults = Rollout.model_construct()
        for name, strategy in _STRATEGY_SETTINGS.items():
            if self.strategy != strategy and getattr(self, name) != getattr(defaults, name):
                raise ValueError(f"{name} is a setting of the {strategy} strategy, not of "
                                 f"{self.strategy}")  # fmt: skip
        return self


class PromotionPolicySpec(NamedSpec):
    registry: AssetName | None = Field(
        default=None,
        description="where a workspace's version is shared first (default: the only registry)",
    )
    gates: list[Gate] = Field(default_factory=list)
    deploy: DeployTarget
    rollout: Rollout = Field(default_factory=Rollout)


def _valid_duration(value: Any) -> Any:
    duration_seconds(value)
    return value


def as_timedelta(value: str | float) -> timedelta:
    return timedelta(seconds=duration_seconds(value))
