"""Workspace and registry specs."""

from __future__ import annotations

from typing import Literal

from opsloop.specs.base import NamedSpec


class WorkspaceSpec(NamedSpec):
    """An isolated environment (dev, test, staging, prod)."""

    kind: Literal["preproduction", "production"] = "preproduction"
    display_name: str | None = None


class RegistrySpec(NamedSpec):
    """A store shared across workspaces for models, environments, components and data."""

    location: str | None = None
    replication_locations: list[dict[str, str]] | None = None
