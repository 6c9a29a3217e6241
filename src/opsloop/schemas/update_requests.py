"""Request bodies that change a platform-wide resource in place (``PATCH``, used by
``opsloop apply``): only the fields a body gives change; a field given as null is cleared.
What cannot change in place (a workspace's kind, a principal's kind, a name) is not here."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from opsloop.specs.base import StorableText


class _Update(StorableText):
    model_config = ConfigDict(extra="forbid")

    def changes(self) -> dict[str, Any]:
        """The fields the caller gave, with their values (null included)."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class WorkspaceUpdate(_Update):
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = None
    tags: dict[str, str] | None = None


class RegistryUpdate(_Update):
    description: str | None = None
    tags: dict[str, str] | None = None


class PrincipalUpdate(_Update):
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = None
