"""``client.computes``: where a workspace's jobs run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsloop.client._resources import _NamedOperations
from opsloop.schemas.entities import Compute


class ComputeOperations(_NamedOperations[Compute]):
    """Create, read, list and delete computes::

    client.computes.create(name="cpu-cluster", type="local", max_instances=2)
    client.computes.get("azureml:cpu-cluster")
    """

    route = "computes"
    spec_model = "ComputeSpec"  # built on first use (opsloop.specs)
    entity = Compute

    def update(
        self,
        name: str,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        **fields: Any,
    ) -> Compute:
        """Replace the compute's settings with the spec's (every field: unset ones reset)."""
        return self._replace(name, spec, file, workspace, fields)

    def delete(self, name: str, *, workspace: str | None = None) -> None:
        """Delete a compute; jobs already submitted keep the compute they were planned on."""
        self._client.request("DELETE", self._path(workspace, name))
