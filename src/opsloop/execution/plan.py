"""The resolved plan of a job: what the resolver produces, the store keeps and executors run.

``JobRow.spec`` holds ``plan.model_dump(mode="json")``: a ``PipelinePlan`` on a pipeline's
row, a ``SweepPlan`` on a sweep's row (a job or a pipeline step), a ``CommandStepPlan`` on a
command job's row and on each step's and each trial's row. Rows written
before these models existed have the same keys, so ``model_validate`` reads them too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opsloop.specs.component import ComponentInput, ComponentOutput
from opsloop.specs.job import PipelineSettings
from opsloop.specs.sweep import (
    EarlyTermination,
    Objective,
    SamplingAlgorithm,
    SearchExpression,
    SweepLimits,
)


class PlanModel(BaseModel):
    # Unknown keys from older rows are ignored rather than refused: the store is ours.
    model_config = ConfigDict(extra="ignore")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class LiteralBinding(PlanModel):
    kind: Literal["literal"] = "literal"
    value: Any


class AssetBinding(PlanModel):
    kind: Literal["asset"] = "asset"
    type: str
    url: str
    hash: str | None = None
    asset: str | None = None  # "data:name:version" when bound by reference
    mode: str | None = None  # Azure ML's access mode; "direct" passes the URL, not a path


class StepOutputBinding(PlanModel):
    kind: Literal["step_output"] = "step_output"
    step: str
    output: str
    type: str | None = None  # filled in by the planner from the producing component


class UnboundBinding(PlanModel):
    kind: Literal["unbound"] = "unbound"


InputBinding = Annotated[
    LiteralBinding | AssetBinding | StepOutputBinding | UnboundBinding,
    Field(discriminator="kind"),
]


class OutputPlan(PlanModel):
    type: str = "uri_folder"
    path: str | None = None  # a datastore URL chosen by the user; None: the artifact store
    parent_output: str | None = None  # the pipeline output this step output feeds


class EnvironmentPlan(PlanModel):
    reference: str | None = None  # "name:version" when pinned from a registered environment
    content: dict[str, Any] = Field(default_factory=dict)
    hash: str | None = None


class ComponentPlan(PlanModel):
    name: str
    display_name: str | None = None
    command: str
    code: str | None = None
    inputs: dict[str, ComponentInput] = Field(default_factory=dict)
    outputs: dict[str, ComponentOutput] = Field(default_factory=dict)
    environment: EnvironmentPlan | None = None
    environment_variables: dict[str, str] = Field(default_factory=dict)
    is_deterministic: bool = True
    hash: str


class ComputePlan(PlanModel):
    """The compute a step runs on, as it was when the job was submitted."""

    name: str = "local"
    type: str = "local"
    max_instances: int | None = None  # at most this many steps on it at once


class CommandStepPlan(PlanModel):
    """One unit that runs a process: a command job, or one step of a pipeline."""

    component: ComponentPlan
    inputs: dict[str, InputBinding] = Field(default_factory=dict)
    outputs: dict[str, OutputPlan] = Field(default_factory=dict)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    timeout: int | None = None
    depends_on: list[str] = Field(default_factory=list)
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)  # a command job's (not a step's)
    code_hash: str | None = None  # set once the code snapshot has been hashed
    compute: ComputePlan = Field(default_factory=ComputePlan)
    interpreter: str | None = None  # set once the step starts: the Python that runs it


class PipelineOutputSource(PlanModel):
    step: str
    output: str


class PipelinePlan(PlanModel):
    """A pipeline's own row; its steps are ``CommandStepPlan`` rows in ``order``."""

    settings: PipelineSettings = Field(default_factory=PipelineSettings)
    order: list[str] = Field(default_factory=list)
    outputs: dict[str, PipelineOutputSource] = Field(default_factory=dict)
    timeout: int | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class SweepPlan(PlanModel):
    """A sweep's own row; its trials are ``CommandStepPlan`` rows made from ``trial`` as
    the sweep draws them, each with the search-space inputs bound to its values."""

    trial: CommandStepPlan  # the search-space inputs are unbound here
    search_space: dict[str, SearchExpression]
    sampling_algorithm: SamplingAlgorithm
    objective: Objective
    early_termination: EarlyTermination | None = None
    limits: SweepLimits = Field(default_factory=SweepLimits)
    depends_on: list[str] = Field(default_factory=list)
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    best_trial: str | None = None  # set when the sweep ends: the trial its outputs come from


class StoredOutput(PlanModel):
    """What a finished step left in the artifact store for one output."""

    url: str
    type: str | None = None
    hash: str | None = None


def read_plan(job_type: str, spec: dict[str, Any]) -> CommandStepPlan | PipelinePlan | SweepPlan:
    """The typed plan of a stored row (``JobRow.type`` and ``JobRow.spec``)."""
    if job_type == "pipeline":
        return PipelinePlan.model_validate(spec)
    return read_step_plan(job_type, spec)


def read_step_plan(job_type: str, spec: dict[str, Any]) -> CommandStepPlan | SweepPlan:
    """The plan of a row that can be a pipeline step: a command or a sweep."""
    if job_type == "sweep":
        return SweepPlan.model_validate(spec)
    return CommandStepPlan.model_validate(spec)
