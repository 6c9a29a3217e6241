"""Request bodies of access control: principals, groups, API tokens."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from opsloop.specs.base import AssetName, SpecModel

PrincipalKind = Literal["user", "service_principal"]

PRINCIPAL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,254}$")


def _check_principal_name(value: str) -> str:
    if not PRINCIPAL_NAME_PATTERN.match(value):
        raise ValueError(
            "must start with a letter or digit and hold only letters, digits, '_', '-', '.' or '@'"
        )
    return value


# An asset name, or a user principal name as identity providers write it (alice@contoso.com):
# an OIDC subject becomes a principal's name.
PrincipalName = Annotated[
    str,
    AfterValidator(_check_principal_name),
    WithJsonSchema({"type": "string", "pattern": PRINCIPAL_NAME_PATTERN.pattern}),
]


class PrincipalSpec(SpecModel):
    """A user (a person) or a service principal (a process: CI/CD, monitoring, data
    governance) that API tokens can be made for."""

    name: PrincipalName
    kind: PrincipalKind = "user"
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = None


class GroupSpec(SpecModel):
    """A set of principals; a role assigned to the group is held by each member."""

    name: AssetName
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = None


class GroupMemberSpec(SpecModel):
    principal: PrincipalName


class TokenSpec(SpecModel):
    """A new API token for ``principal``. ``expires_at`` (or ``expires_in_days``) bounds
    its life; ``workspace`` and ``read_only`` narrow what it may do below the principal's
    own rights."""

    principal: PrincipalName
    name: str = Field(default="token", min_length=1, max_length=255)
    expires_at: datetime | None = None
    expires_in_days: float | None = Field(default=None, gt=0, le=3650)
    workspace: AssetName | None = None
    read_only: bool = False


class BootstrapSpec(SpecModel):
    """The first platform owner of an empty store."""

    name: PrincipalName = "admin"


def _declared_patterns(patterns: list[str]) -> list[str]:
    """Each pattern must name at least one declared action (a typo would grant nothing)."""
    from fnmatch import fnmatchcase

    from opsloop.catalogue.actions import Action

    for pattern in patterns:
        if not any(fnmatchcase(action.value, pattern) for action in Action):
            raise ValueError(f"{pattern!r} matches no declared action (see `opsloop role actions`)")
    return patterns


DeclaredPatterns = Annotated[list[str], AfterValidator(_declared_patterns)]


class RoleSpec(SpecModel):
    """A custom role: the actions it allows, as patterns over the declared actions
    (``*`` matches anything, ``/`` included), minus ``not_actions``::

        name: model-tester
        description: Runs staging tests and reads what they need
        actions: ["*/read", "jobs/write", "online-endpoints/keys/read"]
        not_actions: ["jobs/logs/read"]
    """

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")
    description: str | None = None
    actions: DeclaredPatterns = Field(min_length=1)
    not_actions: DeclaredPatterns = Field(default_factory=list)


class RoleAssignmentSpec(SpecModel):
    """``role`` held by ``principal`` (a user, service principal or group) at ``scope``:
    ``/``, ``/workspaces/<name>``, one resource in it
    (``/workspaces/<name>/online-endpoints/<endpoint>``) or ``/registries/<name>``."""

    principal: PrincipalName
    role: str = Field(min_length=1, max_length=128)
    scope: str = Field(default="/", min_length=1, max_length=1024)
