"""API tokens: long random secrets, shown once, stored as their SHA-256.

A token is 32 random bytes (256 bits), so a fast hash is as safe as a slow password hash
and costs microseconds: authentication looks the SHA-256 up by its unique index, compares
it in constant time, and reads the token's and its principal's state on every request, so
a revoked token, an expired one or a disabled principal's is refused on the next call, in
every server process, with no cache to invalidate.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select

from opsloop.catalogue.access_events import TokenCreated, TokenRevoked
from opsloop.catalogue.actions import Action
from opsloop.errors import AuthenticationError, NotFoundError, ValidationError
from opsloop.schemas.access import ApiToken, CreatedToken
from opsloop.security.actor import Actor, Grant
from opsloop.security.authorization import check_token_scope
from opsloop.services.context import ServiceContext
from opsloop.services.principals import require_principal_row
from opsloop.services.roles import load_grants
from opsloop.specs.access import TokenSpec
from opsloop.store.access_tables import ApiTokenRow, PrincipalRow
from opsloop.store.database import Database

# Secret scanners (GitHub's, gitleaks) recognise a token by a fixed prefix.
TOKEN_PREFIX = "opsloop_pat_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(ctx: ServiceContext, spec: TokenSpec) -> CreatedToken:
    own = owns(ctx.actor, spec.principal)
    if own:
        ctx.begin_own_mutation(Action.TOKENS_WRITE, f"principal:{spec.principal}")
        check_token_scope(ctx.actor, Action.TOKENS_WRITE, spec.workspace)
    else:
        # Authorised at the platform whatever the token's scope: a token acts as its
        # principal, so a workspace's owner making one for another principal would act
        # under that name.
        ctx.begin_mutation(Action.TOKENS_WRITE, None, f"principal:{spec.principal}")
    expires_at = _expiry(spec)
    if own:
        _within_calling_token(ctx.actor, expires_at)
    principal = require_principal_row(ctx, spec.principal, groups=False, field="principal")
    if principal.disabled_at is not None:
        raise ValidationError(f"principal {spec.principal!r} is disabled", field="principal")
    return issue_token(
        ctx,
        principal,
        name=spec.name,
        expires_at=expires_at,
        workspace=spec.workspace,
        read_only=spec.read_only,
    )


def owns(actor: Actor, principal: str) -> bool:
    """Whether ``principal`` is the caller itself: people and service principals manage
    their own tokens without any role, as on GitHub or GitLab. A token makes tokens no
    wider than itself: a read-only one makes none, a workspace one makes tokens for that
    workspace only (``check_token_scope``), and none outlives the token that made it."""
    return actor.principal_id is not None and actor.kind != "system" and actor.name == principal


def _within_calling_token(actor: Actor, expires_at: datetime | None) -> None:
    """So that a short-lived CI token cannot turn itself into a permanent one."""
    limit = actor.token_expires_at
    if limit is not None and (expires_at is None or expires_at > _utc(limit)):
        raise ValidationError(
            f"must not be later than the calling token's own expiry, {_utc(limit).isoformat()}",
            field="expires_at",
        )


def _expiry(spec: TokenSpec) -> datetime | None:
    if spec.expires_at is not None and spec.expires_in_days is not None:
        raise ValidationError("give expires_at or expires_in_days, not both", field="expires_at")
    now = datetime.now(UTC)
    if spec.expires_at is None:
        return None if spec.expires_in_days is None else now + timedelta(days=spec.expires_in_days)
    expires_at = _utc(spec.expires_at)
    if expires_at <= now:
        raise ValidationError("must be in the future", field="expires_at")
    return expires_at


def issue_token(
    ctx: ServiceContext,
    principal: PrincipalRow,
    *,
    name: str,
    expires_at: datetime | None,
    workspace: str | None,
    read_only: bool,
) -> CreatedToken:
    """Make and store a token (the caller has authorised it); its secret, once."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(
        principal_id=principal.id,
        name=name,
        token_hash=token_hash(secret),
        workspace=workspace,
        read_only=read_only,
        created_by=str(ctx.actor),
        expires_at=expires_at,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        Action.TOKENS_WRITE,
        workspace=workspace,
        target=f"principal:{principal.name}",
        event=TokenCreated(
            token_id=row.id,
            principal=principal.name,
            workspace=workspace,
            read_only=read_only,
            expires_at=expires_at.isoformat() if expires_at else None,
        ),
    )
    return CreatedToken(**to_entity(row, principal.name).model_dump(), token=secret)


def list_tokens(ctx: ServiceContext, principal: str | None = None) -> list[ApiToken]:
    """Every principal's tokens (needs the read action at the platform), or one principal's;
    one's own need no role."""
    if principal is None or not owns(ctx.actor, principal):
        ctx.authorize(Action.TOKENS_READ, None, f"principal:{principal}" if principal else None)
    query = (
        select(ApiTokenRow, PrincipalRow.name)
        .join(PrincipalRow, PrincipalRow.id == ApiTokenRow.principal_id)
        .order_by(PrincipalRow.name, ApiTokenRow.created_at)
    )
    if principal is not None:
        query = query.where(
            ApiTokenRow.principal_id
            == require_principal_row(ctx, principal, groups=False, field="principal").id
        )
    return [to_entity(row, name) for row, name in ctx.session.execute(query).tuples()]


def revoke_token(ctx: ServiceContext, token_id: str) -> ApiToken:
    """Revoke a token: one's own (any of them, whatever the calling token's scope: revoking
    only takes rights away), or anyone's with the revoke action at the platform."""
    row = ctx.session.get(ApiTokenRow, token_id)
    if row is not None and row.principal_id == ctx.actor.principal_id:
        ctx.begin_own_mutation(Action.TOKENS_REVOKE, f"token:{token_id}")
    else:
        # Authorised before saying whether the token exists, so ids cannot be probed.
        ctx.begin_mutation(Action.TOKENS_REVOKE, None, f"token:{token_id}")
    if row is None:
        raise NotFoundError(f"token {token_id!r} not found")
    principal = ctx.session.get_one(PrincipalRow, row.principal_id)
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        row.revoked_by = str(ctx.actor)
        ctx.record(
            Action.TOKENS_REVOKE,
            workspace=row.workspace,
            target=f"principal:{principal.name}",
            event=TokenRevoked(token_id=row.id, principal=principal.name),
        )
    return to_entity(row, principal.name)


def authenticate(database: Database, token: str) -> Actor:
    """The actor an API token names; ``AuthenticationError`` (401) saying why if none.

    One indexed read outside any write transaction (``Database.read``), on every request."""
    digest = token_hash(token)
    with database.read() as connection:
        found = connection.execute(_TOKEN, {"digest": digest}).first()
        # The principal's role assignments, read here too: the decision then needs no
        # read inside the call's transaction (which, on SQLite, holds the write lock).
        grants = load_grants(connection, found[6]) if found is not None else ()
    # The index finds the row by its hash; comparing the hashes again in constant time keeps
    # the decision itself free of timing differences.
    if found is None or not hmac.compare_digest(found[1], digest):
        raise AuthenticationError("the API token is not valid (unknown or malformed)")
    token_id, _, expires_at, revoked_at, workspace, read_only, pid, name, kind, disabled = found
    if revoked_at is not None:
        raise AuthenticationError(f"the API token {token_id} was revoked")
    if expires_at is not None and _utc(expires_at) <= datetime.now(UTC):
        raise AuthenticationError(f"the API token {token_id} expired at {_utc(expires_at)}")
    return principal_actor(
        name,
        kind,
        pid,
        disabled=disabled is not None,
        grants=grants,
        token_id=token_id,
        workspace=workspace,
        read_only=bool(read_only),
        token_expires_at=_utc(expires_at) if expires_at is not None else None,
    )


def principal_actor(
    name: str,
    kind: str,
    principal_id: str,
    *,
    disabled: bool,
    grants: tuple[Grant, ...],
    **token: Any,
) -> Actor:
    """The actor a principal authenticates as (``token``: the API token's id and scope);
    a disabled principal is refused, whatever its credentials say."""
    if disabled:
        raise AuthenticationError(f"principal {name!r} is disabled")
    return Actor(
        name=name,
        kind="service_principal" if kind == "service_principal" else "user",
        principal_id=principal_id,
        grants=grants,
        **token,
    )


# Built once: authentication runs it on every request, and building a statement costs more
# than running it.
_TOKEN = (
    select(
        ApiTokenRow.id,
        ApiTokenRow.token_hash,
        ApiTokenRow.expires_at,
        ApiTokenRow.revoked_at,
        ApiTokenRow.workspace,
        ApiTokenRow.read_only,
        PrincipalRow.id,
        PrincipalRow.name,
        PrincipalRow.kind,
        PrincipalRow.disabled_at,
    )
    .join(PrincipalRow, PrincipalRow.id == ApiTokenRow.principal_id)
    .where(ApiTokenRow.token_hash == bindparam("digest"))
)


def _utc(moment: datetime) -> datetime:
    # Core reads through the same UTCDateTime type as the ORM; a naive value is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def to_entity(row: ApiTokenRow, principal: str) -> ApiToken:
    now = datetime.now(UTC)
    if row.revoked_at is not None:
        status = "revoked"
    elif row.expires_at is not None and _utc(row.expires_at) <= now:
        status = "expired"
    else:
        status = "active"
    return ApiToken(
        id=row.id,
        principal=principal,
        name=row.name,
        workspace=row.workspace,
        read_only=row.read_only,
        status=status,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )
