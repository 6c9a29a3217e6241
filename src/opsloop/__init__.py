"""opsloop: a self-hosted MLOps platform.

The public surface is the client and the spec types::

    from opsloop import Client
    client = Client()                      # embedded: ./.opsloop, SQLite, local files
    client.workspaces.create(name="dev")
"""

from __future__ import annotations

__version__ = "0.1.0"

from opsloop.client import Client
from opsloop.errors import (
    ConflictError,
    NotFoundError,
    OpsloopError,
    PermissionDeniedError,
    ValidationError,
)
from opsloop.specs import (
    CommandJobSpec,
    ComponentSpec,
    DataSpec,
    DatastoreSpec,
    EnvironmentSpec,
    ModelSpec,
    PipelineJobSpec,
    RegistrySpec,
    WorkspaceSpec,
)

__all__ = [
    "Client",
    "CommandJobSpec",
    "ComponentSpec",
    "ConflictError",
    "DataSpec",
    "DatastoreSpec",
    "EnvironmentSpec",
    "ModelSpec",
    "NotFoundError",
    "OpsloopError",
    "PermissionDeniedError",
    "PipelineJobSpec",
    "RegistrySpec",
    "ValidationError",
    "WorkspaceSpec",
    "__version__",
]
