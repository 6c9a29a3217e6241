"""Environment specs: Python dependencies plus an optional base image.

``EnvironmentSpec`` is what ``environment create`` registers (it needs a name);
``InlineEnvironmentSpec`` is an environment written inside a job or component, as Azure ML
allows (``environment: {image: python}``): it needs no name, and is stored as an anonymous
version named by its content hash."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from opsloop.specs.base import AssetName, AssetVersion, SpecModel


class InlineEnvironmentSpec(SpecModel):
    """``conda_file`` (a path, or its parsed content once loaded) or ``requirements``."""

    name: AssetName | None = None
    version: AssetVersion = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    image: str | None = None
    conda_file: str | dict[str, Any] | None = None
    requirements: str | list[str] | None = None
    build: dict[str, Any] | None = None
    os_type: str | None = None

    @model_validator(mode="after")
    def _has_dependencies_or_image(self) -> InlineEnvironmentSpec:
        if (
            self.conda_file is None
            and self.requirements is None
            and self.image is None
            and self.build is None
        ):
            raise ValueError("an environment needs image, conda_file, requirements or build")
        return self


class EnvironmentSpec(InlineEnvironmentSpec):
    """A registered environment: the same fields, and a name."""

    name: AssetName
