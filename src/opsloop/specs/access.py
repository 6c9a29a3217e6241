"""Request bodies of access control: principals, groups, API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from opsloop.specs.base import AssetName, SpecModel

PrincipalKind = Literal["user", "service_principal"]


class PrincipalSpec(SpecModel):
    """A user (a person) or a service principal (a process: CI/CD, monitoring, data
    governance) that API tokens can be made for."""

    name: AssetName
    kind: PrincipalKind = "user"
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = None


class GroupSpec(SpecModel):
    """A set of principals; a role assigned to the group is held by each member."""

    name: AssetName
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = None


class GroupMemberSpec(SpecModel):
    principal: AssetName


class TokenSpec(SpecModel):
    """A new API token for ``principal``. ``expires_at`` (or ``expires_in_days``) bounds
    its life; ``workspace`` and ``read_only`` narrow what it may do below the principal's
    own rights."""

    principal: AssetName
    name: str = Field(default="token", min_length=1, max_length=255)
    expires_at: datetime | None = None
    expires_in_days: float | None = Field(default=None, gt=0, le=3650)
    workspace: AssetName | None = None
    read_only: bool = False


class BootstrapSpec(SpecModel):
    """The first platform owner of an empty store."""

    name: AssetName = "admin"
