"""ORM rows of the metadata store. Rows never leave the service layer: services return
pydantic entities (``opsloop.services.entities``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and read back with its zone on every backend.

    SQLite keeps no zone and hands back naive datetimes; PostgreSQL hands them back in its
    session's time zone. Without this the same API answered ``...T07:55:25`` embedded and
    ``...T07:55:25Z`` on a team server. Naive values given to the store are taken as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # Not left to PostgreSQL, which would read a naive value in its session's time zone.
        return in_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return in_utc(value)


@overload
def in_utc(value: datetime) -> datetime: ...
@overload
def in_utc(value: None) -> None: ...
def in_utc(value: datetime | None) -> datetime | None:
    """The same moment in UTC; a naive value (as SQLite and raw SQL aggregates give back)
    is taken as UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime()}


class WorkspaceRow(Base):
    """A workspace; or, with ``kind`` ``registry``, the space that holds a registry's shared
    asset versions (named ``registry:<name>``, never listed or addressed as a workspace),
    so registries version, resolve and archive assets exactly as workspaces do."""

    __tablename__ = "workspaces"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mlflow_experiment_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class RegistryRow(Base):
    __tablename__ = "registries"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class DatastoreRow(Base):
    __tablename__ = "datastores"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class AssetVersionRow(Base):
    """One version of a versioned asset: data, environment, component or model.

    They share versioning, references and tags; what differs lives in ``spec``.
    """

    __tablename__ = "asset_versions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "asset_kind", "name", "version"),
        Index("ix_asset_lookup", "workspace_id", "asset_kind", "name", "version_number"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    asset_kind: Mapped[str] = mapped_column(String(32))  # data | environment | component | model
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(64))
    # Numeric versions sort numerically; explicit string versions get 0 and sort by time.
    version_number: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str | None] = mapped_column(String(32))
    path: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # profile, lineage, ...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    # Set while archived: hidden from lists and from name@latest, still found by version.
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class AssetAliasRow(Base):
    """A named pointer to one version of an asset (``taxi-model@champion``): moved by
    ``alias set``, so what resolves ``name@alias`` follows it."""

    __tablename__ = "asset_aliases"
    __table_args__ = (UniqueConstraint("workspace_id", "asset_kind", "name", "alias"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    asset_kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    alias: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255))


class ComputeRow(Base):
    """A named compute of a workspace, where jobs run: ``local`` (processes on this host)
    with at most ``max_instances`` steps at once. Azure ML keys with no local meaning
    (size, tier, ...) are kept in ``spec``."""

    __tablename__ = "computes"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    max_instances: Mapped[int | None] = mapped_column(Integer)
    min_instances: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class JobRow(Base):
    """A job, or one step of a pipeline job (``parent_id`` set)."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_jobs_parent", "parent_id"),
        Index("ix_jobs_reuse", "workspace_id", "step_hash", "status"),
        Index("ix_jobs_liveness", "status", "heartbeat_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    step_name: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(255))
    experiment_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)  # resolved bindings
    outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name -> artifact URL
    step_hash: Mapped[str | None] = mapped_column(String(64))
    reused_from: Mapped[str | None] = mapped_column(String(255))
    reuse_reason: Mapped[str | None] = mapped_column(Text)  # why reused, or why not
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64))
    # {"metrics": ..., "params": ...} as MLflow held them when the row ended, so reading a
    # finished job needs no MLflow (its import alone costs a CLI call a second or more).
    tracking: Mapped[dict[str, Any] | None] = mapped_column()
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    runner_pid: Mapped[int | None] = mapped_column(Integer)
    runner_host: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None] = mapped_column()  # the runner's last sign of life
    # The running process group of a command job or step, and the host it runs on.
    step_pgid: Mapped[int | None] = mapped_column(Integer)
    step_host: Mapped[str | None] = mapped_column(String(255))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()


class AuditRow(Base):
    """Append-only and hash-chained (``security/audit_chain.py``): who did what, where,
    from which request, and how it ended. Written only by ``services/audit.py``."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"), Index("ix_audit_actor", "actor"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(255))
    principal_kind: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(128))
    workspace: Mapped[str | None] = mapped_column(String(255))
    target: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(String(1024))
    outcome: Mapped[str] = mapped_column(String(32))  # succeeded | failed | denied
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(255))  # the caller's address
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class OutboxEventRow(Base):
    """Events written in the same transaction as the change they describe; the dispatcher
    reads them in ``id`` order and keeps one cursor per subscriber."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        Index("ix_outbox_at", "at"),
        Index("ix_outbox_type", "type", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_id)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    type: Mapped[str] = mapped_column(String(128))
    workspace: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LeaseRow(Base):
    """Who does one piece of background work until when. ``token`` grows with every new
    holder: a write made under a lease checks it (fencing), so a holder that lost its lease
    while paused cannot write over its successor."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    token: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column()
    acquired_at: Mapped[datetime | None] = mapped_column()


class EventSubscriptionRow(Base):
    """The events whose type matches one of ``event_types`` (and ``workspace``, ``subject``)
    each get ``action`` (``opsloop.specs.events``; empty on the first subscriptions: a
    webhook to ``webhook_url``). ``secret`` signs webhooks, sealed with the master key."""

    __tablename__ = "event_subscriptions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    workspace: Mapped[str | None] = mapped_column(String(255))  # None: every workspace
    event_types: Mapped[list[Any]] = mapped_column(default=list)  # fnmatch patterns
    subject: Mapped[str | None] = mapped_column(Text)  # fnmatch pattern
    action: Mapped[dict[str, Any] | None] = mapped_column()
    secret: Mapped[str | None] = mapped_column(Text)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class EventCursorRow(Base):
    """How far a subscriber has read the outbox: every event up to ``position`` is done."""

    __tablename__ = "event_cursors"
    subscriber: Mapped[str] = mapped_column(String(255), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventDeliveryRow(Base):
    """One (subscriber, event) pair: the idempotency key, attempts and how it ended."""

    __tablename__ = "event_deliveries"
    __table_args__ = (UniqueConstraint("subscriber", "event_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscriber: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[int] = mapped_column(Integer)  # the outbox row's id
    idempotency_key: Mapped[str] = mapped_column(String(320), unique=True)
    # new | retrying | queued (redelivery asked for) | delivered | dead_letter
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    effect: Mapped[str | None] = mapped_column(Text)  # what the action made: job:dev/name


class EndpointRow(Base):
    """An online or batch endpoint. ``revision`` grows with every change of it or its
    deployments, so a serving runtime can tell cheaply when to reload."""

    __tablename__ = "endpoints"
    __table_args__ = (UniqueConstraint("kind", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # online | batch
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    auth_mode: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)  # traffic, mirror, defaults
    # Secrets: never copied into an entity except by get-credentials.
    keys: Mapped[dict[str, Any]] = mapped_column(default=dict)
    provisioning_state: Mapped[str] = mapped_column(String(32), default="Succeeded")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeploymentRow(Base):
    """A deployment of an endpoint: the spec with its model pinned to name:version."""

    __tablename__ = "endpoint_deployments"
    __table_args__ = (UniqueConstraint("endpoint_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_name: Mapped[str | None] = mapped_column(String(255))
    model_version: Mapped[str | None] = mapped_column(String(64))
    model_type: Mapped[str | None] = mapped_column(String(32))
    model_url: Mapped[str | None] = mapped_column(Text)
    model_hash: Mapped[str | None] = mapped_column(String(64))
    code_url: Mapped[str | None] = mapped_column(Text)
    onnx_url: Mapped[str | None] = mapped_column(Text)
    # What provisioning chose for inference_runtime (onnx, sklearn, pyfunc, script) and why.
    runtime: Mapped[str | None] = mapped_column(String(32))
    runtime_reason: Mapped[str | None] = mapped_column(Text)
    provisioning_state: Mapped[str] = mapped_column(String(32), default="Succeeded")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EndpointRequestLogRow(Base):
    """One scored request, written in batches by the serving runtime."""

    __tablename__ = "endpoint_request_logs"
    __table_args__ = (
        Index("ix_request_logs_endpoint", "endpoint", "at"),
        Index("ix_request_logs_at", "at"),  # retention deletes by age alone
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    workspace: Mapped[str] = mapped_column(String(255))
    endpoint: Mapped[str] = mapped_column(String(255))
    deployment: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(255))
    status_code: Mapped[int] = mapped_column(Integer)
    model_status: Mapped[str | None] = mapped_column(String(64))
    request_bytes: Mapped[int] = mapped_column(Integer, default=0)
    response_bytes: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    model_duration_ms: Mapped[float | None] = mapped_column()
    throttle_ms: Mapped[float] = mapped_column(default=0.0)
    auth_type: Mapped[str | None] = mapped_column(String(16))
    mirrored: Mapped[bool] = mapped_column(default=False)
    # A mirrored request's answers, its shadow's and the live deployment's, for a shadow
    # rollout to compare: {"deployment": live, "live": [...], "shadow": [...]}.
    comparison: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


# Rows of one concept each live in modules of their own; imported here so that
# Base.metadata (the migrations' schema check) holds every table.
from opsloop.store import access_tables as access_tables  # noqa: E402
from opsloop.store import delivery_tables as _delivery_tables  # noqa: E402, F401
from opsloop.store import elevation_tables as _elevation_tables  # noqa: E402, F401
from opsloop.store import labeling_tables as _labeling_tables  # noqa: E402, F401
from opsloop.store import monitor_tables as _monitor_tables  # noqa: E402, F401
from opsloop.store import promotion_tables as _promotion_tables  # noqa: E402, F401
from opsloop.store import schedule_tables as _schedule_tables  # noqa: E402, F401
from opsloop.store import vault_tables as _vault_tables  # noqa: E402, F401
from opsloop.store import workspace_check_tables as _workspace_check_tables  # noqa: E402, F401
