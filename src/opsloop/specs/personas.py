"""Request bodies of persona templates and just-in-time elevation."""

from __future__ import annotations

from pydantic import Field, field_validator

from opsloop.specs.base import AssetName, SpecModel
from opsloop.specs.durations import duration_seconds


class PersonaAssignSpec(SpecModel):
    """Apply ``persona``'s template for the kind of ``workspace`` to ``principal``."""

    principal: AssetName
    workspace: AssetName


class ElevationRequestSpec(SpecModel):
    """Ask to hold ``role`` (a role the caller is eligible for, such as ``Owner``, or one
    family role, such as ``Owner (key vault)``) in ``workspace`` for ``duration``."""

    role: str = Field(min_length=1, max_length=128)
    workspace: AssetName
    duration: str | float = Field(description="90s, 15m, 2h, 1d, or seconds")
    reason: str = Field(min_length=1, max_length=2000)
    ticket: str | None = Field(default=None, max_length=255)

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | float) -> str | float:
        duration_seconds(value)  # one message naming the field when it is no duration
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say why the elevation is needed")
        return value.strip()


class ElevationDecisionSpec(SpecModel):
    comment: str | None = Field(default=None, max_length=2000)
