"""Online endpoints: a stable scoring address, its keys or tokens, and its traffic split.

Endpoint names are unique across the platform (as Azure's are per region), because
``opsloop server`` serves every endpoint at ``/endpoints/<name>/``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import (
    OnlineEndpointCreated,
    OnlineEndpointCredentialsRead,
    OnlineEndpointDeleted,
    OnlineEndpointKeysRegenerated,
    OnlineEndpointTrafficChanged,
)
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.endpoints import EndpointCredentials, OnlineEndpoint
from opsloop.security.secrets_at_rest import SecretBox
from opsloop.services.context import ServiceContext
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.endpoint import (
    OnlineEndpointSpec,
    check_mirror,
    check_percentages,
    check_total,
)
from opsloop.store.tables import DeploymentRow, EndpointRow, WorkspaceRow, utcnow

TOKEN_LIFETIME = timedelta(hours=1)
TOKEN_ALGORITHM = "HS256"


def create_online_endpoint(
    ctx: ServiceContext, workspace: str, spec: OnlineEndpointSpec
) -> OnlineEndpoint:
    ctx.begin_mutation(Action.ONLINE_ENDPOINTS_WRITE, workspace, f"online-endpoint:{spec.name}")
    ws = require_workspace_row(ctx, workspace)
    if _find(ctx, spec.name) is not None:
        raise ConflictError(f"online endpoint {spec.name!r} already exists")
    if spec.traffic or spec.mirror_traffic:
        named = sorted(set(spec.traffic) | set(spec.mirror_traffic))
        raise ValidationError(
            f"deployment {named[0]!r} does not exist yet; set traffic after creating deployments",
            field="traffic",
        )
    row = EndpointRow(
        workspace_id=ws.id,
        kind="online",
        name=spec.name,
        description=spec.description,
        tags=spec.tags,
        auth_mode=spec.auth_mode,
        spec={"traffic": {}, "mirror_traffic": {}},
        keys=_new_keys(ctx.secret_box),
        created_by=str(ctx.actor),
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        Action.ONLINE_ENDPOINTS_WRITE,
        workspace=workspace,
        target=f"online-endpoint:{spec.name}",
        event=OnlineEndpointCreated(auth_mode=spec.auth_mode),
    )
    return to_entity(ctx, row, workspace)


def update_online_endpoint(
    ctx: ServiceContext,
    workspace: str,
    name: str,
    *,
    traffic: dict[str, int] | None = None,
    mirror_traffic: dict[str, int] | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    auth_mode: str | None = None,
    revision: int | None = None,
    via: str | None = None,
) -> OnlineEndpoint:
    """Change traffic, mirror traffic, description or tags; the runtime picks it up live.
    ``revision``: the one the change was worked out from (refused if the endpoint moved on).
    ``via``: what made the change besides its actor (``promotion:<name>``, ``rollback``), for
    the endpoint's history."""
    ctx.begin_mutation(Action.ONLINE_ENDPOINTS_WRITE, workspace, f"online-endpoint:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_endpoint_row(ctx, ws, name, lock=True)
    require_revision(row, revision)
    if auth_mode is not None and auth_mode != row.auth_mode:
        raise ValidationError("auth_mode cannot change once the endpoint exists", field="auth_mode")
    new_traffic = dict(row.spec.get("traffic", {}) if traffic is None else traffic)
    new_mirror = dict(
        row.spec.get("mirror_traffic", {}) if mirror_traffic is None else mirror_traffic
    )
    _check_split(ctx, row, new_traffic, new_mirror)
    row.spec = {**row.spec, "traffic": new_traffic, "mirror_traffic": new_mirror}
    if description is not None:
        row.description = description
    if tags is not None:
        row.tags = tags
    touch(row)
    ctx.record(
        Action.ONLINE_ENDPOINTS_WRITE,
        workspace=workspace,
        target=f"online-endpoint:{name}",
        event=OnlineEndpointTrafficChanged(traffic=new_traffic, mirror_traffic=new_mirror, via=via),
    )
    return to_entity(ctx, row, workspace)


def get_online_endpoint(ctx: ServiceContext, workspace: str, name: str) -> OnlineEndpoint:
    ctx.authorize(Action.ONLINE_ENDPOINTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return to_entity(ctx, require_endpoint_row(ctx, ws, name), workspace)


def list_online_endpoints(ctx: ServiceContext, workspace: str) -> list[OnlineEndpoint]:
    ctx.authorize(Action.ONLINE_ENDPOINTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(EndpointRow)
        .where(EndpointRow.workspace_id == ws.id, EndpointRow.kind == "online")
        .order_by(EndpointRow.name)
    )
    return [to_entity(ctx, row, workspace) for row in rows]


def delete_online_endpoint(ctx: ServiceContext, workspace: str, name: str) -> None:
    ctx.begin_mutation(Action.ONLINE_ENDPOINTS_DELETE, workspace, f"online-endpoint:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_endpoint_row(ctx, ws, name, lock=True)
    ctx.session.delete(row)
    ctx.record(
        Action.ONLINE_ENDPOINTS_DELETE,
        workspace=workspace,
        target=f"online-endpoint:{name}",
        event=OnlineEndpointDeleted(),
    )


def get_credentials(ctx: ServiceContext, workspace: str, name: str) -> EndpointCredentials:
    """Keys for key auth; a token valid for an hour for token auth."""
    ctx.begin_mutation(Action.ONLINE_ENDPOINTS_KEYS_READ, workspace, f"online-endpoint:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_endpoint_row(ctx, ws, name)
    ctx.record(
        Action.ONLINE_ENDPOINTS_KEYS_READ,
        workspace=workspace,
        target=f"online-endpoint:{name}",
        event=OnlineEndpointCredentialsRead(auth_mode=row.auth_mode),
    )
    box = ctx.platform.secret_box
    if row.auth_mode == "key":
        return _key_credentials(box, row)
    expires = datetime.now(UTC) + TOKEN_LIFETIME
    token = issue_token(box.open(row.keys["token_secret"]), name, str(ctx.actor), expires)
    return EndpointCredentials(
        auth_mode=row.auth_mode, access_token=token, expiry_time_utc=expires, token_type="Bearer"
    )


def regenerate_keys(
    ctx: ServiceContext, workspace: str, name: str, key_type: str = "primary"
) -> EndpointCredentials:
    """A new primary or secondary key; the other keeps working, so clients can rotate."""
    if key_type not in ("primary", "secondary"):
        raise ValidationError("key_type must be primary or secondary", field="key_type")
    ctx.begin_mutation(Action.ONLINE_ENDPOINTS_KEYS_WRITE, workspace, f"online-endpoint:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_endpoint_row(ctx, ws, name, lock=True)
    if row.auth_mode != "key":
        raise ValidationError(
            f"endpoint {name!r} uses {row.auth_mode} auth; only key endpoints have keys",
            field="auth_mode",
        )
    box = ctx.platform.secret_box
    row.keys = {**row.keys, key_type: box.seal(secrets.token_urlsafe(32))}
    touch(row)
    ctx.record(
        Action.ONLINE_ENDPOINTS_KEYS_WRITE,
        workspace=workspace,
        target=f"online-endpoint:{name}",
        event=OnlineEndpointKeysRegenerated(key_type=key_type),
    )
    return _key_credentials(box, row)


def issue_token(secret: str, endpoint: str, subject: str, expires: datetime) -> str:
    claims = {"aud": f"opsloop-endpoint:{endpoint}", "sub": subject, "exp": expires}
    import jwt  # here: its import costs a CLI call that issues no token

    return jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM)


def require_endpoint_row(
    ctx: ServiceContext, ws: WorkspaceRow, name: str, *, kind: str = "online", lock: bool = False
) -> EndpointRow:
    query = select(EndpointRow).where(
        EndpointRow.workspace_id == ws.id, EndpointRow.kind == kind, EndpointRow.name == name
    )
    if lock:
        query = query.with_for_update()
    row = ctx.session.scalar(query)
    if row is None:
        raise NotFoundError(f"{kind} endpoint {name!r} not found in workspace {ws.name!r}")
    return row


def deployment_rows(ctx: ServiceContext, endpoint: EndpointRow) -> list[DeploymentRow]:
    return list(
        ctx.session.scalars(
            select(DeploymentRow)
            .where(DeploymentRow.endpoint_id == endpoint.id)
            .order_by(DeploymentRow.name)
        )
    )


def require_revision(row: EndpointRow, expected: int | None) -> None:
    """Refuse a change worked out from an older state of the endpoint (read, modified and
    written back by a client), so one of two concurrent updates is never silently lost."""
    if expected is not None and row.revision != expected:
        raise ConflictError(
            f"endpoint {row.name!r} changed since it was read (revision {expected}, now "
            f"{row.revision}); run the update again"
        )


def touch(row: EndpointRow) -> None:
    """Bump the revision, so serving runtimes reload this endpoint."""
    row.revision = (row.revision or 0) + 1
    row.updated_at = utcnow()


def _check_split(
    ctx: ServiceContext, row: EndpointRow, traffic: dict[str, int], mirror: dict[str, int]
) -> None:
    existing = {deployment.name for deployment in deployment_rows(ctx, row)}
    for field, split in (("traffic", traffic), ("mirror_traffic", mirror)):
        for deployment in split:
            if deployment not in existing:
                raise ValidationError(
                    f"endpoint {row.name!r} has no deployment {deployment!r}", field=field
                )
        try:
            check_percentages(split)
            if field == "traffic":
                check_total(split)
            else:
                check_mirror(traffic, split)
        except ValueError as exc:
            raise ValidationError(str(exc), field=field) from None


def _find(ctx: ServiceContext, name: str, kind: str = "online") -> EndpointRow | None:
    return ctx.session.scalar(
        select(EndpointRow).where(EndpointRow.kind == kind, EndpointRow.name == name)
    )


def _new_keys(box: SecretBox) -> dict[str, str]:
    """Both keys and the token-signing secret, sealed: the store never holds them in clear."""
    return {
        "primary": box.seal(secrets.token_urlsafe(32)),
        "secondary": box.seal(secrets.token_urlsafe(32)),
        "token_secret": box.seal(secrets.token_urlsafe(48)),
    }


def _key_credentials(box: SecretBox, row: EndpointRow) -> EndpointCredentials:
    return EndpointCredentials(
        auth_mode="key",
        primary_key=box.open(row.keys["primary"]),
        secondary_key=box.open(row.keys["secondary"]),
    )


def to_entity(ctx: ServiceContext, row: EndpointRow, workspace: str) -> OnlineEndpoint:
    return OnlineEndpoint(
        workspace=workspace,
        name=row.name,
        description=row.description,
        tags=row.tags,
        auth_mode=row.auth_mode,
        traffic=row.spec.get("traffic", {}),
        mirror_traffic=row.spec.get("mirror_traffic", {}),
        provisioning_state=row.provisioning_state,
        scoring_path=f"/endpoints/{row.name}/score",
        deployments=[deployment.name for deployment in deployment_rows(ctx, row)],
        revision=row.revision,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )
