"""Event types of access control. Payloads never hold a token's secret or hash."""

from __future__ import annotations

from opsloop.catalogue.events import EventPayload


class PrincipalCreated(EventPayload):
    event_type = "principal.created"
    resource_type = "principals"
    description = "A user or service principal was created."
    kind: str


class PrincipalUpdated(EventPayload):
    event_type = "principal.updated"
    resource_type = "principals"
    description = "A principal's display name or description was changed."
    fields: list[str]


class PrincipalDisabled(EventPayload):
    event_type = "principal.disabled"
    resource_type = "principals"
    description = "A principal was disabled: its tokens stopped working."


class GroupCreated(EventPayload):
    event_type = "group.created"
    resource_type = "groups"
    description = "A group was created."


class GroupMembershipChanged(EventPayload):
    event_type = "group.membership_changed"
    resource_type = "groups"
    description = "A principal was added to or removed from a group."
    member: str
    change: str  # added | removed


class TokenCreated(EventPayload):
    event_type = "token.created"
    resource_type = "principals/tokens"
    description = "An API token was created for a principal (its secret is never recorded)."
    token_id: str
    principal: str
    workspace: str | None = None
    read_only: bool = False
    expires_at: str | None = None


class TokenRevoked(EventPayload):
    event_type = "token.revoked"
    resource_type = "principals/tokens"
    description = "An API token was revoked: it stopped working at once."
    token_id: str
    principal: str


class RoleAssigned(EventPayload):
    event_type = "role.assigned"
    resource_type = "role-assignments"
    description = "A role was assigned to a principal at a scope."
    principal: str
    role: str
    scope: str


class RoleUnassigned(EventPayload):
    event_type = "role.unassigned"
    resource_type = "role-assignments"
    description = "A role assignment was removed."
    principal: str
    role: str
    scope: str


class CustomRoleCreated(EventPayload):
    event_type = "role.created"
    resource_type = "roles"
    description = "A custom role was defined."
    actions: list[str]
    not_actions: list[str]
