"""What ``opsloop job validate`` answers: a job's resolved plan, nothing run or stored."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from opsloop.specs.spec_warnings import SpecWarning


class PlannedInput(BaseModel):
    """One input of a step as it would be bound."""

    kind: Literal["literal", "asset", "step_output", "unbound"]
    value: Any = None  # a literal's value
    asset: str | None = None  # "data:name:version" for an asset reference
    url: str | None = None  # where an asset input is read from
    step: str | None = None  # the upstream step and output of a step-output input
    output: str | None = None

    def describe(self) -> str:
        if self.kind == "literal":
            return repr(self.value)
        if self.kind == "asset":
            return self.asset or self.url or ""
        if self.kind == "step_output":
            return f"{self.step}.outputs.{self.output}"
        return "(unbound)"


class PlannedStep(BaseModel):
    """One step (a command job is one step, named after the job) and whether it would run."""

    name: str
    type: Literal["command", "sweep"] = "command"
    component: str  # name@version, or "inline" for a command written in the job
    compute: str
    environment: str | None = None
    inputs: dict[str, PlannedInput] = Field(default_factory=dict)
    outputs: dict[str, str] = Field(default_factory=dict)  # name -> type (and where it goes)
    depends_on: list[str] = Field(default_factory=list)
    reuse: Literal["reused", "runs"]
    reused_from: str | None = None  # the earlier job step whose outputs it would take
    reason: str  # why it runs, or what it reuses


class JobPlan(BaseModel):
    """A job spec checked against the store: each step resolved, and what would be reused."""

    workspace: str
    name: str | None = None  # the job's name when the spec gives one
    type: Literal["command", "sweep", "pipeline"]
    experiment_name: str
    steps: list[PlannedStep] = Field(default_factory=list)
    warnings: list[SpecWarning] = Field(default_factory=list)
