"""Pydantic models of every YAML spec, and the loader that reports file and line.

The names below are imported on first use (``from opsloop.specs import JobSpec`` works as
ever): a process that needs one small module of this package (the SDK's entities need
``spec_warnings``) should not build every spec model, a noticeable share of a CLI call.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from opsloop.specs.promotion import PromotionPolicySpec
    from opsloop.specs.workspace import RegistrySpec, WorkspaceSpec

_MODULES = {
    "ComponentInput": "component",
    "ComponentOutput": "component",
    "ComponentSpec": "component",
    "ComputeSpec": "compute",
    "DataSpec": "data",
    "DatastoreSpec": "data",
    "EnvironmentSpec": "environment",
    "InlineEnvironmentSpec": "environment",
    "CommandJobSpec": "job",
    "JobInput": "job",
    "JobOutput": "job",
    "JobSpec": "job",
    "PipelineJobSpec": "job",
    "StepSpec": "job",
    "apply_overrides": "loader",
    "load_spec_file": "loader",
    "validate_spec": "loader",
    "ModelSpec": "model",
    "PromotionPolicySpec": "promotion",
    "RegistrySpec": "workspace",
    "WorkspaceSpec": "workspace",
}

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
    "PromotionPolicySpec",
    "RegistrySpec",
    "StepSpec",
    "WorkspaceSpec",
    "apply_overrides",
    "load_spec_file",
    "validate_spec",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'opsloop.specs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"opsloop.specs.{module}"), name)
    globals()[name] = value  # later lookups do not come here again
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
