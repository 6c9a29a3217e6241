"""Rows of just-in-time elevation: the roles a principal is eligible for (from a persona
whose access is just-in-time), and the requests to hold them for a while.

An approved request's roles are ordinary role assignments with ``expires_at`` and
``elevation_id`` (``access_tables.RoleAssignmentRow``): the authoriser reads only live
assignments, so an elevation ends at its expiry whether or not anything sweeps it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsloop.store.tables import Base, new_id, utcnow


class RoleEligibilityRow(Base):
    """``role`` that ``principal_id`` may be elevated to at ``scope``, never held standing."""

    __tablename__ = "role_eligibilities"
    __table_args__ = (UniqueConstraint("principal_id", "role", "scope"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    principal_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("principals.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(1024))
    persona: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class ElevationRow(Base):
    """A request to hold ``role`` at ``scope`` for ``duration_s``: pending until another
    Owner approves (the window starts then) or rejects it."""

    __tablename__ = "elevations"
    __table_args__ = (Index("ix_elevations_status", "status"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    principal_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("principals.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(1024))
    workspace: Mapped[str | None] = mapped_column(String(255))
    duration_s: Mapped[float] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    ticket: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))  # pending | approved | rejected | expired
    roles: Mapped[list[Any]] = mapped_column(default=list)  # the family roles it grants
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
