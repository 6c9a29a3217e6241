"""What the schedules' services return: a schedule, and the ticks it fired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from opsloop.schemas.entities import Entity


class ScheduleFire(Entity):
    """One fired tick: the job (or monitor run) it created, or why it created none."""

    tick_at: datetime
    fired_at: datetime
    missed_ticks: int = 0
    created: str | None = None
    error: str | None = None


class Schedule(Entity):
    workspace: str
    name: str
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    trigger: dict[str, Any]
    trigger_text: str = ""  # the trigger in words
    creates: str  # "job" | "monitor"
    action: dict[str, Any] = Field(default_factory=dict)
    enabled: bool
    next_fire_at: datetime | None = None
    last_fired_at: datetime | None = None
    run_as: str  # whom the ticks act as
    created_at: datetime
    created_by: str
    # ``show`` only: the next few ticks, and the latest fires (newest first).
    upcoming: list[datetime] = Field(default_factory=list)
    fires: list[ScheduleFire] = Field(default_factory=list)
