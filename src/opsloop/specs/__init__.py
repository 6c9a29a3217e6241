"""Pydantic models of every YAML spec, and the loader that reports file and line."""

from opsloop.specs.component import ComponentInput, ComponentOutput, ComponentSpec
from opsloop.specs.compute import ComputeSpec
from opsloop.specs.data import DataSpec, DatastoreSpec
from opsloop.specs.environment import EnvironmentSpec, InlineEnvironmentSpec
from opsloop.specs.job import (
    CommandJobSpec,
    JobInput,
    JobOutput,
    JobSpec,
    PipelineJobSpec,
    StepSpec,
)
from opsloop.specs.loader import apply_overrides, load_spec_file, validate_spec
from opsloop.specs.model import ModelSpec
from opsloop.specs.workspace import RegistrySpec, WorkspaceSpec

__all__ = [
    "CommandJobSpec",
    "ComponentInput",
    "ComponentOutput",
    "ComponentSpec",
    "ComputeSpec",
    "DataSpec",
    "DatastoreSpec",
    "EnvironmentSpec",
    "InlineEnvironmentSpec",
    "JobInput",
    "JobOutput",
    "JobSpec",
    "ModelSpec",
    "PipelineJobSpec",
    "RegistrySpec",
    "StepSpec",
    "WorkspaceSpec",
    "apply_overrides",
    "load_spec_file",
    "validate_spec",
]
