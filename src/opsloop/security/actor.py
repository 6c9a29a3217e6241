"""Who is calling: every service call carries an Actor."""

from __future__ import annotations

import getpass
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["user", "service_principal", "system"] = "user"

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
