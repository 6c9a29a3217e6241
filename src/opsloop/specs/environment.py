"""Environment specs: Python dependencies plus an optional base image."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from opsloop.specs.base import AssetVersion, NamedSpec


class EnvironmentSpec(NamedSpec):
    """``conda_file`` (a path, or its parsed content once loaded) or ``requirements``."""

    version: AssetVersion = None
    image: str | None = None
    conda_file: str | dict[str, Any] | None = None
    requirements: str | list[str] | None = None
    build: dict[str, Any] | None = None
    os_type: str | None = None

    @model_validator(mode="after")
    def _has_dependencies_or_image(self) -> EnvironmentSpec:
        if self.conda_file is None and self.requirements is None and self.image is None:
            raise ValueError("an environment needs conda_file, requirements or image")
        return self
