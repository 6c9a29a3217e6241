"""Command component specs: typed inputs and outputs, code, environment, command."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from opsloop.specs.base import AssetType, AssetVersion, NamedSpec, SpecModel
from opsloop.specs.environment import InlineEnvironmentSpec

# Azure ML's data access modes; docs/azureml.md says what each means locally.
InputMode = Literal["ro_mount", "download", "direct", "eval_mount", "eval_download"]
OutputMode = Literal["rw_mount", "upload", "direct"]

InputType = Literal[
    "string",
    "integer",
    "number",
    "boolean",
    "uri_file",
    "uri_folder",
    "mltable",
    "mlflow_model",
    "custom_model",
]


class ComponentInput(SpecModel):
    type: InputType
    description: str | None = None
    default: Any = None
    optional: bool = False
    min: float | None = None
    max: float | None = None
    enum: list[Any] | None = None
    mode: InputMode | None = None

    @model_validator(mode="after")
    def _default_fits(self) -> ComponentInput:
        if self.default is not None:
            # One mechanism checks defaults and bound values alike.
            from opsloop.specs.values import coerce_literal

            coerce_literal(self, self.default)
        return self


class ComponentOutput(SpecModel):
    type: AssetType = "uri_folder"
    description: str | None = None
    mode: OutputMode | None = None


class ComponentSpec(NamedSpec):
    version: AssetVersion = None
    display_name: str | None = None
    type: Literal["command"] = "command"
    inputs: dict[str, ComponentInput] = Field(default_factory=dict)
    outputs: dict[str, ComponentOutput] = Field(default_factory=dict)
    code: str | None = None
    environment: str | InlineEnvironmentSpec | None = None
    command: str
    environment_variables: dict[str, str] = Field(default_factory=dict)
    is_deterministic: bool = True
    resources: dict[str, Any] | None = None
    distribution: dict[str, Any] | None = None
