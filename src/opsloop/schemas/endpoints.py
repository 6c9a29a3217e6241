"""Entities of online and batch endpoints: what services return and the API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from opsloop.schemas.entities import Entity


class OnlineEndpoint(Entity):
    workspace: str
    name: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    auth_mode: str
    traffic: dict[str, int] = Field(default_factory=dict)
    mirror_traffic: dict[str, int] = Field(default_factory=dict)
    provisioning_state: str
    scoring_path: str
    deployments: list[str] = Field(default_factory=list)
    revision: int
    created_at: datetime
    created_by: str
    updated_at: datetime


class OnlineDeployment(Entity):
    workspace: str
    endpoint_name: str
    name: str
    model: str | None = None
    model_type: str | None = None
    provisioning_state: str
    runtime: str | None = Field(
        default=None,
        description="What scores requests, as provisioning chose it from the spec's "
        "inference_runtime: onnx, sklearn, pyfunc (the model's own flavor) or script. None "
        "for deployments provisioned before the choice was recorded.",
    )
    runtime_reason: str | None = Field(default=None, description="Why that runtime.")
    spec: dict[str, Any]
    created_at: datetime
    created_by: str
    updated_at: datetime


class EndpointCredentials(Entity):
    """Key mode: both keys. Token mode: a short-lived token and when it expires.

    Keys are spelt as ``az ml online-endpoint get-credentials`` spells them."""

    model_config = ConfigDict(populate_by_name=True)

    auth_mode: str
    primary_key: str | None = Field(default=None, alias="primaryKey")
    secondary_key: str | None = Field(default=None, alias="secondaryKey")
    access_token: str | None = Field(default=None, alias="accessToken")
    expiry_time_utc: datetime | None = Field(default=None, alias="expiryTimeUtc")
    token_type: str | None = Field(default=None, alias="tokenType")


class RequestLogEntry(Entity):
    at: datetime
    endpoint: str
    deployment: str | None
    request_id: str
    method: str
    path: str
    status_code: int
    model_status: str | None
    request_bytes: int
    response_bytes: int
    duration_ms: float
    model_duration_ms: float | None
    throttle_ms: float
    auth_type: str | None
    mirrored: bool
    comparison: dict[str, Any] | None = None


class BatchEndpoint(Entity):
    workspace: str
    name: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    auth_mode: str
    default_deployment: str | None = None
    deployments: list[str] = Field(default_factory=list)
    created_at: datetime
    created_by: str


class BatchDeployment(Entity):
    workspace: str
    endpoint_name: str
    name: str
    model: str
    spec: dict[str, Any]
    created_at: datetime
    created_by: str


class TrafficChange(Entity):
    """One traffic split an endpoint had: when, who made it (and through what: a
    promotion, a rollback), and the model each deployment with traffic then served."""

    at: datetime
    traffic: dict[str, int]
    models: dict[str, str | None] = Field(default_factory=dict)
    actor: str | None = None
    via: str | None = None
