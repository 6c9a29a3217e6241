"""What services return and the API answers: plain pydantic entities, never ORM rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from opsloop.specs.spec_warnings import SpecWarning


class Entity(BaseModel):
    model_config = ConfigDict(frozen=False, defer_build=True)


class Workspace(Entity):
    name: str
    kind: str
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    created_at: datetime
    created_by: str


class Registry(Entity):
    name: str
    description: str | None = None
    location: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    created_at: datetime
    created_by: str


class Datastore(Entity):
    workspace: str
    name: str
    url: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    is_default: bool = False
    created_at: datetime
    created_by: str


class SharedFrom(Entity):
    """Where a registry's version was shared from."""

    workspace: str
    name: str
    version: str


class AssetVersion(Entity):
    """Fields every versioned asset has."""

    registry_segment: ClassVar[str] = ""  # its kind in a registry URI: models, data, ...

    workspace: str | None  # None for a registry's version
    registry: str | None = None  # the registry holding it, for a shared version
    name: str
    version: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    content_hash: str | None = None
    created_at: datetime
    created_by: str
    # Hidden from lists and name@latest; still found by name:version.
    archived: bool = False
    archived_at: datetime | None = None
    shared_from: SharedFrom | None = None  # a registry's version: where it was shared from

    @property
    def reference(self) -> str:
        """How a workspace names this version: ``name:version``, or the registry URI."""
        if self.registry:
            return (
                f"azureml://registries/{self.registry}/{self.registry_segment}/{self.name}"
                f"/versions/{self.version}"
            )
        return f"{self.name}:{self.version}"


class Compute(Entity):
    """Where jobs run: ``local`` runs steps as processes on the host that runs the job."""

    workspace: str
    name: str
    type: str
    max_instances: int | None = None  # at most this many steps at once (None: no limit)
    min_instances: int = 0
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)  # Azure ML keys, stored only
    created_at: datetime
    created_by: str
    warnings: list[SpecWarning] = Field(default_factory=list)  # only when just created


class DataAsset(AssetVersion):
    registry_segment: ClassVar[str] = "data"
    type: str
    path: str
    profile: dict[str, Any] | None = None


class Environment(AssetVersion):
    registry_segment: ClassVar[str] = "environments"
    image: str | None = None
    conda_file: dict[str, Any] | None = None
    requirements: list[str] | None = None
    build: dict[str, Any] | None = None  # a Docker build context, uploaded


class Component(AssetVersion):
    registry_segment: ClassVar[str] = "components"
    display_name: str | None = None
    type: str = "command"
    spec: dict[str, Any]


class ModelLineage(Entity):
    job: str | None = None
    step: str | None = None
    output: str | None = None
    data: list[str] = Field(default_factory=list)
    environment: str | None = None
    code_hash: str | None = None


class Model(AssetVersion):
    registry_segment: ClassVar[str] = "models"
    type: str
    path: str
    lineage: ModelLineage = Field(default_factory=ModelLineage)
    flavors: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)  # champion, challenger, ...


class ModelAlias(Entity):
    """A named pointer to one version of a model: ``name@alias`` resolves to it."""

    workspace: str | None
    registry: str | None = None
    name: str
    alias: str
    version: str
    updated_at: datetime
    updated_by: str


class Job(Entity):
    workspace: str
    name: str
    type: str
    status: str
    display_name: str | None = None
    experiment_name: str
    parent_job: str | None = None
    step_name: str | None = None
    created_at: datetime
    created_by: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    exit_code: int | None = None
    error: str | None = None
    reused_from: str | None = None
    reuse_reason: str | None = None  # why the step was reused, or why it ran
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    mlflow_run_id: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    steps: list[Job] = Field(default_factory=list)
    spec: dict[str, Any] = Field(default_factory=dict)
    compute: str | None = None  # a command job's or step's compute
    environment: str | None = None  # the environment it was pinned to
    interpreter: str | None = None  # the Python that ran it, once it ran
    best_trial: str | None = None  # a sweep's, once it has ended: its outputs are this trial's
    # Azure ML keys in the spec that opsloop accepted and does not use; only when created.
    warnings: list[SpecWarning] = Field(default_factory=list)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None

    @property
    def is_terminal(self) -> bool:
        return self.status in {"Completed", "Failed", "Canceled"}


class LogChunk(Entity):
    """A piece of a job's logs, for following them live."""

    job: str
    status: str
    text: str
    offsets: dict[str, int]
    complete: bool


class Upload(Entity):
    url: str
    content_hash: str


class AuditEntry(Entity):
    at: datetime
    actor: str
    action: str
    workspace: str | None = None
    target: str | None = None
    outcome: str
    detail: dict[str, Any] = Field(default_factory=dict)


class Event(Entity):
    id: int
    at: datetime
    type: str
    workspace: str | None = None
    subject: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
