"""Who an OIDC token names, as a principal of this platform.

The subject claim's value is the principal's name. A principal signs in as itself: its own
role assignments, and those of the opsloop groups it belongs to, hold as for an API token.
The token's groups claim adds the assignments of the opsloop groups named the same, for
this call: the identity provider says who is in which group, so a team manages membership
there and assigns roles to the groups here, once.

A subject with no principal yet is made one (a user, holding no role of its own) on its
first sign-in when ``oidc_auto_provision`` is on, else refused. A disabled principal is
refused whatever its token says. Reads happen outside any write transaction, as an API
token's do; only a first sign-in writes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, or_, select

from opsloop.errors import AuthenticationError, ConflictError
from opsloop.security.actor import Actor, Grant
from opsloop.security.oidc import OidcConfig, OidcIdentity
from opsloop.services.context import Platform
from opsloop.services.principals import GROUP, create_principal
from opsloop.services.roles import load_grants
from opsloop.services.tokens import principal_actor
from opsloop.specs.access import PRINCIPAL_NAME_PATTERN, PrincipalSpec
from opsloop.store.access_tables import PrincipalRow, RoleAssignmentRow
from opsloop.store.tables import UTCDateTime

# Who makes the principals of first sign-ins, as the audit log and created_by name it.
PROVISIONER = Actor(name="oidc", kind="system")


def sign_in(platform: Platform, identity: OidcIdentity, config: OidcConfig) -> Actor:
    """The actor a verified OIDC identity is; ``AuthenticationError`` saying why if none."""
    name = identity.subject
    if not PRINCIPAL_NAME_PATTERN.match(name):
        raise AuthenticationError(
            f"the OIDC token's {config.subject_claim!r} claim ({name!r}) cannot name a "
            "principal: set OPSLOOP_OIDC_SUBJECT_CLAIM to a claim holding a plain name"
        )
    found = _read(platform, name, identity.groups)
    if found is None:
        if not config.auto_provision:
            raise AuthenticationError(
                f"{name!r} signed in with OIDC but is no principal of this platform (ask "
                "an owner: opsloop principal create)"
            )
        _provision(platform, identity)
        found = _read(platform, name, identity.groups)
        if found is None:  # pragma: no cover - made just now, and never deleted
            raise AuthenticationError(f"principal {name!r} could not be made")
    principal_id, kind, disabled, grants = found
    if kind == GROUP:
        raise AuthenticationError(f"{name!r} is a group, which cannot sign in")
    return principal_actor(name, kind, principal_id, disabled=disabled, grants=grants)


def _read(
    platform: Platform, name: str, groups: tuple[str, ...]
) -> tuple[str, str, bool, tuple[Grant, ...]] | None:
    with platform.database.read() as connection:
        row = connection.execute(_PRINCIPAL, {"name": name}).first()
        if row is None:
            return None
        principal_id, kind, disabled_at = row
        grants = load_grants(connection, principal_id)
        if groups:
            claimed = connection.execute(
                _GROUP_GRANTS, {"names": list(groups), "now": datetime.now(UTC)}
            ).tuples()
            # The groups' assignments after the principal's own (the order decisions read).
            extra = sorted(
                {Grant(*row) for row in claimed} - set(grants),
                key=lambda g: (-len(g.scope), g.group or "", g.role),
            )
            grants = (*grants, *extra)
    return principal_id, kind, disabled_at is not None, grants


def _provision(platform: Platform, identity: OidcIdentity) -> None:
    spec = PrincipalSpec(
        name=identity.subject,
        kind="user",
        display_name=identity.display_name[:255] if identity.display_name else None,
        description=f"signed in with OIDC from {identity.issuer}",
    )
    try:
        with platform.context(PROVISIONER) as ctx:
            create_principal(ctx, spec)
    except ConflictError:
        pass  # a concurrent first request of the same subject made it


_PRINCIPAL = select(PrincipalRow.id, PrincipalRow.kind, PrincipalRow.disabled_at).where(
    PrincipalRow.name == bindparam("name")
)

# The live assignments of the enabled groups named in a token's groups claim.
_GROUP_GRANTS = (
    select(
        RoleAssignmentRow.role,
        RoleAssignmentRow.scope,
        PrincipalRow.name,
        RoleAssignmentRow.persona,
        RoleAssignmentRow.elevation_id,
    )
    .join(PrincipalRow, PrincipalRow.id == RoleAssignmentRow.principal_id)
    .where(
        PrincipalRow.kind == GROUP,
        PrincipalRow.disabled_at.is_(None),
        PrincipalRow.name.in_(bindparam("names", expanding=True)),
        or_(
            RoleAssignmentRow.expires_at.is_(None),
            RoleAssignmentRow.expires_at > bindparam("now", type_=UTCDateTime()),
        ),
    )
)
