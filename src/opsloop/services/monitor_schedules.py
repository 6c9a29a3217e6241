"""Monitor schedules: Azure ML's way to run a monitor, a schedule whose ``create_monitor``
holds the monitor's definition.

Creating such a schedule creates (or replaces) the monitor named after the schedule, so
``opsloop monitor show|run NAME`` work on it at once; each tick then runs the monitor on
the window that ends at the tick. The monitor stays when the schedule is deleted (its runs
are the monitoring history).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsloop.errors import ValidationError
from opsloop.services.context import ServiceContext
from opsloop.specs.loader import validate_spec
from opsloop.store.schedule_tables import ScheduleRow


class MonitorFireHandler:
    """``create_monitor``: the monitor is created with the schedule and run on each tick."""

    def check(
        self, ctx: ServiceContext, workspace: str, name: str, body: Any, field: str
    ) -> dict[str, Any]:
        from opsloop.services.monitors import create_monitor
        from opsloop.specs.monitor import MonitorDefinition, MonitorSpec

        if not isinstance(body, dict):
            raise ValidationError("must be a monitor definition (a mapping)", field=field)
        try:
            definition = validate_spec(MonitorDefinition, body)
        except ValidationError as exc:
            where = f"{field}.{exc.field}" if exc.field else field
            raise ValidationError(exc.reason, field=where) from None
        spec = MonitorSpec(name=name, **definition.model_dump(by_alias=False, exclude_none=True))
        create_monitor(ctx, workspace, spec)
        return body

    def fire(
        self, ctx: ServiceContext, workspace: str, schedule: ScheduleRow, tick: datetime
    ) -> str:
        from opsloop.services.monitor_runs import run_monitor

        run = run_monitor(ctx, workspace, schedule.name, window_end=tick)
        return f"monitor:{run.monitor}#{run.number}"
