"""Compute specs: where jobs run. ``type: local`` runs steps as processes on the host that
runs the job; Azure ML's cluster and instance types are accepted and run the same way."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from opsloop.specs.base import NamedSpec

# Names a spec may use without creating anything: the default local compute.
DEFAULT_COMPUTES = frozenset(("local", "serverless"))

# Far above any real cluster, and inside the store's 32-bit integer columns.
MAX_INSTANCES_LIMIT = 100_000

ComputeType = Literal["local", "amlcompute", "computeinstance"]


class ComputeSpec(NamedSpec):
    type: ComputeType = "local"
    max_instances: int | None = Field(
        default=None,
        ge=1,
        le=MAX_INSTANCES_LIMIT,
        description="At most this many steps run on it at once.",
    )
    min_instances: int = Field(default=0, ge=0, le=MAX_INSTANCES_LIMIT)
    # Azure ML keys with no local meaning: stored, each with a warning (compute_warnings).
    size: str | None = None
    tier: str | None = None
    location: str | None = None
    idle_time_before_scale_down: int | None = Field(default=None, ge=0, le=2**31 - 1)
    identity: dict[str, Any] | None = None
    network_settings: dict[str, Any] | None = None
    ssh_public_access_enabled: bool | None = None
    ssh_settings: dict[str, Any] | None = None
    enable_node_public_ip: bool | None = None
