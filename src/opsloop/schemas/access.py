"""What access control's services return: principals, groups and tokens (never a token's
secret or hash, except the secret once, in ``CreatedToken``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from opsloop.schemas.entities import Entity


class Principal(Entity):
    name: str
    kind: str  # user | service_principal | group
    display_name: str | None = None
    description: str | None = None
    disabled: bool = False
    disabled_at: datetime | None = None
    groups: list[str] = Field(default_factory=list)
    created_at: datetime
    created_by: str


class Group(Entity):
    name: str
    display_name: str | None = None
    description: str | None = None
    members: list[str] = Field(default_factory=list)
    created_at: datetime
    created_by: str


class ApiToken(Entity):
    id: str
    principal: str
    name: str
    workspace: str | None = None
    read_only: bool = False
    status: str  # active | expired | revoked
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None


class CreatedToken(ApiToken):
    """A new token with its secret: the only time the secret is shown."""

    token: str


class Identity(Entity):
    """Who the caller is, as the server authenticated it (``opsloop whoami``)."""

    name: str
    kind: str
    principal: str | None = None
    token_id: str | None = None
    workspace: str | None = None
    read_only: bool = False
    roles: list[str] = Field(default_factory=list)


class Role(Entity):
    name: str
    description: str | None = None
    built_in: bool
    actions: list[str]
    not_actions: list[str] = Field(default_factory=list)
    allowed_actions: list[str] = Field(default_factory=list)  # the patterns, expanded


class RoleAssignment(Entity):
    id: str
    principal: str
    principal_kind: str
    role: str
    scope: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    persona: str | None = None  # the persona template that made it
    elevation: str | None = None  # the elevation request that granted it, for a while


class AccessDecision(Entity):
    """Why ``principal`` may or may not take ``action`` at ``scope``."""

    principal: str
    action: str
    scope: str
    allowed: bool
    reason: str
    role: str | None = None  # the role that allowed it
    assignment_scope: str | None = None
    via_group: str | None = None
    persona: str | None = None  # the assignment came from this persona's template
    elevation: str | None = None  # the assignment holds under this elevation request
