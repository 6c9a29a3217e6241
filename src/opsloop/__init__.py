"""opsloop: a self-hosted MLOps platform.

The public surface is the client and the spec types::

    from opsloop import Client
    client = Client()                      # embedded: ./.opsloop, SQLite, local files
    client.workspaces.create(name="dev")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from opsloop.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    OpsloopError,
    PermissionDeniedError,
    ValidationError,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from opsloop.client import Client
    from opsloop.specs import (
        CommandJobSpec,
        ComponentSpec,
        DataSpec,
        DatastoreSpec,
        EnvironmentSpec,
        ModelSpec,
        PipelineJobSpec,
        PromotionPolicySpec,
        RegistrySpec,
        WorkspaceSpec,
    )

# The client and the spec types are imported on first use: a process that runs one part of
# opsloop (a serving worker, the traffic-log writer, a batch scoring worker) would otherwise
# pay about 0.4 s at every start for the client's imports.
_LAZY = {
    "Client": "opsloop.client",
    **dict.fromkeys(
        (
            "CommandJobSpec", "ComponentSpec", "DataSpec", "DatastoreSpec", "EnvironmentSpec",
            "ModelSpec", "PipelineJobSpec", "PromotionPolicySpec", "RegistrySpec",
            "WorkspaceSpec",
        ),
        "opsloop.specs",
    ),
}  # fmt: skip

__all__ = [
    "AuthenticationError",
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
    "PromotionPolicySpec",
    "RegistrySpec",
    "ValidationError",
    "WorkspaceSpec",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'opsloop' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups do not come here again
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
