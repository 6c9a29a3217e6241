"""Event types of persona templates and just-in-time elevation."""

from __future__ import annotations

from opsloop.catalogue.events import EventPayload


class PersonaAssigned(EventPayload):
    event_type = "persona.assigned"
    resource_type = "role-assignments"
    description = (
        "A persona's template was applied to a principal in a workspace: the role "
        "assignments it made and the roles it made the principal eligible for."
    )
    principal: str
    persona: str
    kind: str
    assigned: list[str]
    eligible: list[str]


class ElevationRequested(EventPayload):
    event_type = "elevation.requested"
    resource_type = "elevations"
    description = "A principal asked to hold a role for a while; another Owner decides."
    elevation: str
    principal: str
    role: str
    scope: str
    duration_s: float
    reason: str
    ticket: str | None = None


class ElevationApproved(EventPayload):
    event_type = "elevation.approved"
    resource_type = "elevations"
    description = "An elevation request was approved: its roles hold until expires_at."
    elevation: str
    principal: str
    roles: list[str]
    scope: str
    expires_at: str
    comment: str | None = None


class ElevationRejected(EventPayload):
    event_type = "elevation.rejected"
    resource_type = "elevations"
    description = "An elevation request was rejected."
    elevation: str
    principal: str
    comment: str


class ElevationExpired(EventPayload):
    event_type = "elevation.expired"
    resource_type = "elevations"
    description = (
        "An approved elevation reached its expiry (its roles stopped holding at that "
        "moment; this event is recorded by the worker's next pass)."
    )
    elevation: str
    principal: str
    roles: list[str]
    expired_at: str
