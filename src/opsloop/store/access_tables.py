"""Rows of access control: principals (users, service principals, groups), group members,
API tokens and role assignments.

Groups are principals too, so that a role assignment names one kind of thing whether it
goes to a person, a process or a group. A just-in-time elevation is a role assignment with
``expires_at`` and the request that granted it (``elevation_tables``); an OIDC subject maps
to a principal by ``external_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsloop.store.tables import Base, new_id, utcnow


class PrincipalRow(Base):
    __tablename__ = "principals"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # user | service_principal | group
    display_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))  # an OIDC subject, later
    disabled_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class GroupMemberRow(Base):
    __tablename__ = "group_members"
    __table_args__ = (Index("ix_group_members_member", "member_id"),)
    group_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("principals.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("principals.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[str] = mapped_column(String(255))


class ApiTokenRow(Base):
    """A token's SHA-256, never the token: the secret is shown once, when it is made."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_principal", "principal_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    principal_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("principals.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    workspace: Mapped[str | None] = mapped_column(String(255))  # scope: this workspace only
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by: Mapped[str | None] = mapped_column(String(255))


class RoleAssignmentRow(Base):
    """A role held by a principal (or a group's members) at a scope: ``/`` (the platform),
    ``/workspaces/<name>`` or one resource under it (``/workspaces/dev/online-endpoints/ep``)."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("principal_id", "role", "scope"),
        Index("ix_role_assignments_scope", "scope"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    principal_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("principals.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    # A just-in-time elevation's assignment holds until ``expires_at`` (the authoriser
    # reads only live ones) and names the request that granted it.
    expires_at: Mapped[datetime | None] = mapped_column()
    elevation_id: Mapped[str | None] = mapped_column(String(32))
    persona: Mapped[str | None] = mapped_column(String(64))  # the template it came from


class CustomRoleRow(Base):
    """A role defined from YAML: patterns over the catalogue's actions."""

    __tablename__ = "custom_roles"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[list[Any]] = mapped_column(default=list)
    not_actions: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
