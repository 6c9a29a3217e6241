"""Event types of model aliases and of sharing versions into registries."""

from __future__ import annotations

from opsloop.catalogue.events import EventPayload


class ModelAliasSet(EventPayload):
    event_type = "model.alias_set"
    resource_type = "models"
    description = "An alias (champion, ...) was set on a model version, or moved to it."
    alias: str
    version: str
    previous_version: str | None = None


class ModelAliasDeleted(EventPayload):
    event_type = "model.alias_deleted"
    resource_type = "models"
    description = "An alias was removed from a model."
    alias: str
    version: str


class ModelShared(EventPayload):
    event_type = "model.shared"
    resource_type = "models"
    description = (
        "A model version was copied into a registry (files verified by their content hash), "
        "keeping its lineage and a pointer back to where it came from."
    )
    registry: str
    name: str
    version: str
    source: str  # workspace/name:version
    path: str
    content_hash: str | None = None


class EnvironmentShared(EventPayload):
    event_type = "environment.shared"
    resource_type = "environments"
    description = "An environment version was copied into a registry."
    registry: str
    name: str
    version: str
    source: str  # workspace/name:version


class ComponentShared(EventPayload):
    event_type = "component.shared"
    resource_type = "components"
    description = (
        "A component version was copied into a registry (its environment with it, named by "
        "the registry's URI)."
    )
    registry: str
    name: str
    version: str
    source: str  # workspace/name:version
