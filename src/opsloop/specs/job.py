"""Command, sweep and pipeline job specs in the Azure ML CLI v2 shape."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from opsloop.specs.base import AssetType, SpecModel
from opsloop.specs.component import (
    ComponentInput,
    ComponentOutput,
    ComponentSpec,
    InputMode,
    InputType,
    OutputMode,
)
from opsloop.specs.environment import InlineEnvironmentSpec
from opsloop.specs.sweep import (
    EarlyTermination,
    Objective,
    SamplingAlgorithm,
    SearchExpression,
    SweepLimits,
    TrialSpec,
)


class JobInput(SpecModel):
    """The long form of a job input: an asset (``type`` + ``path``) or a typed literal."""

    type: InputType | None = None
    path: str | None = None
    mode: InputMode | None = None
    default: Any = None
    value: Any = None
    optional: bool = False
    description: str | None = None


class JobOutput(SpecModel):
    type: AssetType = "uri_folder"
    path: str | None = None
    mode: OutputMode | None = None
    description: str | None = None


InputValue = str | bool | int | float | JobInput | None
OutputValue = str | JobOutput | None


class Limits(SpecModel):
    timeout: int | None = Field(default=None, gt=0, description="Seconds before the job is killed.")


class PipelineSettings(SpecModel):
    """Azure ML passes pipeline settings through, so keys beyond these are accepted (each
    with a warning that opsloop does not use it) rather than refused."""

    model_config = ConfigDict(extra="allow")

    default_compute: str | None = None
    default_datastore: str | None = None
    continue_on_step_failure: bool = False
    force_rerun: bool = False


class _JobCommon(SpecModel):
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    experiment_name: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    outputs: dict[str, OutputValue] = Field(default_factory=dict)
    compute: str | None = None
    environment_variables: dict[str, str] = Field(default_factory=dict)
    limits: Limits | None = None
    # Azure ML keys that have no local meaning: accepted, each with a warning (job_warnings).
    identity: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None

    @field_validator("environment_variables", mode="before")
    @classmethod
    def _stringify_env(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


class CommandJobSpec(_JobCommon):
    """A single command; inline (``command`` + ``code``) or through a ``component``."""

    type: Literal["command"] = "command"
    command: str | None = None
    code: str | None = None
    environment: str | InlineEnvironmentSpec | None = None
    component: str | ComponentSpec | None = None
    resources: dict[str, Any] | None = None
    distribution: dict[str, Any] | None = None
    services: dict[str, Any] | None = None
    queue_settings: dict[str, Any] | None = None
    # Declared inputs/outputs of an inline command (the component the job implies).
    input_types: dict[str, ComponentInput] | None = Field(default=None, exclude=True)
    output_types: dict[str, ComponentOutput] | None = Field(default=None, exclude=True)


def _trial_kind(value: Any) -> str:
    # A component (loaded from ``trial: ./train.yml`` or written inline) names itself and
    # declares inputs; an inline trial is a bare command.
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        keys: Any = value.keys()
    elif isinstance(value, BaseModel):
        keys = type(value).model_fields
    else:  # a list, a number: TrialSpec's validation names what is wrong
        return "TrialSpec"
    component_keys = {"name", "inputs", "outputs", "type", "version", "is_deterministic"}
    return "ComponentSpec" if component_keys & set(keys) else "TrialSpec"


class SweepJobSpec(_JobCommon):
    """A hyperparameter sweep: ``trial`` runs once per point drawn from ``search_space``."""

    type: Literal["sweep"]
    trial: Annotated[
        Annotated[str, Tag("str")]
        | Annotated[ComponentSpec, Tag("ComponentSpec")]
        | Annotated[TrialSpec, Tag("TrialSpec")],
        Discriminator(_trial_kind),
    ]
    search_space: dict[str, SearchExpression]
    sampling_algorithm: SamplingAlgorithm
    objective: Objective
    early_termination: EarlyTermination | None = None
    limits: SweepLimits = Field(default_factory=SweepLimits)  # type: ignore[assignment]

    @field_validator("search_space")
    @classmethod
    def _has_parameters(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("a sweep needs at least one parameter under search_space")
        return value


def _step_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "SweepJobSpec" if kind == "sweep" else "CommandJobSpec"


StepSpec = Annotated[
    Annotated[CommandJobSpec, Tag("CommandJobSpec")] | Annotated[SweepJobSpec, Tag("SweepJobSpec")],
    Discriminator(_step_kind),
]


class PipelineJobSpec(_JobCommon):
    type: Literal["pipeline"]
    settings: PipelineSettings = Field(default_factory=PipelineSettings)
    jobs: dict[str, StepSpec]

    @field_validator("jobs")
    @classmethod
    def _has_steps(cls, value: dict[str, StepSpec]) -> dict[str, StepSpec]:
        if not value:
            raise ValueError("a pipeline needs at least one step under jobs")
        return value


def _job_kind(value: Any) -> str:
    # Tags named as the classes: pydantic puts the tag into error locations, and a tag
    # "command" could not be told from the field ``command``.
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return {"pipeline": "PipelineJobSpec", "sweep": "SweepJobSpec"}.get(str(kind), "CommandJobSpec")


JobSpec = Annotated[
    Annotated[CommandJobSpec, Tag("CommandJobSpec")]
    | Annotated[SweepJobSpec, Tag("SweepJobSpec")]
    | Annotated[PipelineJobSpec, Tag("PipelineJobSpec")],
    Discriminator(_job_kind),
]
