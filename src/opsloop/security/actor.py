"""Who is calling: every service call carries an Actor."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, SkipValidation


class Grant(NamedTuple):
    """A role assignment the actor holds: the role at a scope, through ``group`` (None: its
    own), applied from ``persona``'s template, or granted for a while by ``elevation``."""

    role: str
    scope: str
    group: str | None = None
    persona: str | None = None
    elevation: str | None = None


class Actor(BaseModel):
    """Who calls, as authentication established it: the OS user (embedded), the principal
    an API token belongs to (server), or opsloop itself (background work).

    ``principal_id`` is set for a token's principal; ``workspace`` and ``read_only`` carry
    the token's scope, which narrows whatever the principal's roles allow."""

    @property
    def principal_kind(self) -> str:
        return self.kind

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["user", "service_principal", "system"] = "user"
    principal_id: str | None = None
    token_id: str | None = None
    workspace: str | None = None
    read_only: bool = False
    token_expires_at: datetime | None = None
    # The role assignments the token's principal held when the request was authenticated
    # (read with the token, outside any write lock); None: read them when deciding.
    # Made by our own query, never by a caller: not validated again (authentication builds
    # an Actor on every request).
    grants: SkipValidation[tuple[Grant, ...] | None] = None
    # The request the actor is making, for the audit log (set by the API per request).
    request_id: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        return self.name if self.kind == "user" else f"{self.kind}:{self.name}"


def os_user_actor() -> Actor:
    """Embedded mode acts as the operating-system user."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(name=name)


SYSTEM_ACTOR = Actor(name="opsloop", kind="system")
