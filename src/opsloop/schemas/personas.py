"""What persona templates and just-in-time elevation return."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from opsloop.schemas.access import RoleAssignment
from opsloop.schemas.entities import Entity


class PersonaCell(Entity):
    """One cell of the reference tables: the roles a persona holds on a resource family."""

    family: str
    family_title: str
    article_column: str  # the reference architecture's column (an Azure resource)
    codes: list[str]  # the article's abbreviations, as written there (R, KVA, ...)
    roles: list[str]  # the family roles opsloop assigns for them


class PersonaTemplate(Entity):
    kind: str  # production | preproduction
    access: str  # standing | just-in-time (eligible for elevation only)
    cells: list[PersonaCell] = Field(default_factory=list)


class Persona(Entity):
    id: str
    title: str
    type: str
    description: str
    aliases: list[str] = Field(default_factory=list)
    templates: list[PersonaTemplate] = Field(default_factory=list)
    source: str  # where the tables come from


class PersonaAssignment(Entity):
    """What ``persona assign`` did: the assignments it made (standing access), the roles it
    made the principal eligible for (just-in-time), and those the principal held already."""

    persona: str
    principal: str
    workspace: str
    kind: str
    access: str
    assigned: list[RoleAssignment] = Field(default_factory=list)
    eligible: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)


class Elevation(Entity):
    """A just-in-time elevation request; ``status`` is pending, active (approved and not yet
    expired), expired or rejected."""

    id: str
    principal: str
    role: str
    roles: list[str] = Field(default_factory=list)  # the family roles it grants
    scope: str
    workspace: str | None = None
    duration_s: float
    reason: str
    ticket: str | None = None
    status: str
    requested_at: datetime
    requested_by: str
    decided_at: datetime | None = None
    decided_by: str | None = None
    comment: str | None = None
    starts_at: datetime | None = None
    expires_at: datetime | None = None
