"""Schedule specs, in the shape of Azure ML's schedule YAML: a ``trigger`` (``cron`` or
``recurrence``) and what each tick creates: ``create_job`` (a job file, an inline job, or
a registered component) or ``create_monitor`` (a monitor's definition, kept as written).

Time zones are IANA names (``Europe/Berlin``) or the Windows names Azure ML uses
(``Pacific Standard Time``), mapped to IANA through tzlocal's table of the Unicode CLDR's
mapping. A naive ``start_time`` or ``end_time`` is a wall time in ``time_zone``.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    Tag,
    field_validator,
)

from opsloop.errors import ValidationError
from opsloop.specs.base import SpecModel

SCHEDULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LAST_YEAR = 2999
Frequency = Literal["minute", "hour", "day", "week", "month"]


@cache
def _windows_zones() -> dict[str, str]:
    # tzlocal keeps the CLDR's Windows -> IANA table current with each release.
    from tzlocal.windows_tz import win_tz

    return dict(win_tz)


def zone_for(name: str) -> ZoneInfo:
    """The zone a schedule's ``time_zone`` names (IANA, or a Windows name as Azure ML
    writes them); ValueError naming the problem if it names none."""
    iana = _windows_zones().get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise ValueError(
            f"unknown time zone {name!r}: give an IANA name such as 'Europe/Berlin' or a "
            "Windows name such as 'Pacific Standard Time'"
        ) from None


def _check_zone(value: str) -> str:
    zone_for(value)
    return value


def _check_cron(value: str) -> str:
    from cronsim import CronSim, CronSimError

    if len(value.split()) != 5:
        raise ValueError(
            "a cron expression has five fields: minute hour day-of-month month day-of-week"
        )
    try:
        CronSim(value, datetime(2000, 1, 1))
    except CronSimError as exc:
        raise ValueError(f"invalid cron expression {value!r}: {exc}") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_check_zone)]


class _TriggerCommon(SpecModel):
    start_time: datetime | None = Field(
        default=None, description="First moment a tick may fall on; default: when created."
    )
    end_time: datetime | None = Field(default=None, description="No tick after this moment.")
    time_zone: TimeZoneName = "UTC"


class CronTrigger(_TriggerCommon):
    """Ticks at the times a five-field cron expression names, read in ``time_zone``."""

    type: Literal["cron"]
    expression: Annotated[str, AfterValidator(_check_cron)]


class RecurrencePattern(SpecModel):
    """When in each period a ``day``, ``week`` or ``month`` recurrence ticks."""

    hours: list[Annotated[int, Field(ge=0, le=23)]] | None = None
    minutes: list[Annotated[int, Field(ge=0, le=59)]] | None = None
    week_days: list[str] | None = None
    month_days: list[Annotated[int, Field(ge=1, le=31)]] | None = None

    @field_validator("hours", "minutes", "week_days", "month_days")
    @classmethod
    def _not_empty(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None and not value:
            raise ValueError("give at least one value, or leave the key out")
        return value

    @field_validator("week_days", mode="before")
    @classmethod
    def _week_day_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            for day in value:
                if not isinstance(day, str) or day.lower() not in WEEK_DAYS:
                    raise ValueError(f"{day!r} is no week day: one of {', '.join(WEEK_DAYS)}")
            return [day.lower() for day in value]
        return value


class RecurrenceTrigger(_TriggerCommon):
    """Ticks every ``interval`` minutes, hours, days, weeks or months from ``start_time``;
    for days, weeks and months at the ``schedule``'s hours and minutes (default: those of
    ``start_time``), on its ``week_days`` (weeks) or ``month_days`` (months)."""

    type: Literal["recurrence"]
    frequency: Frequency
    interval: int = Field(ge=1, le=1000)
    schedule: RecurrencePattern | None = None


def _trigger_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "RecurrenceTrigger" if kind == "recurrence" else "CronTrigger"


Trigger = Annotated[
    Annotated[CronTrigger, Tag("CronTrigger")]
    | Annotated[RecurrenceTrigger, Tag("RecurrenceTrigger")],
    Discriminator(_trigger_kind),
]


def _check_schedule_name(value: str) -> str:
    if not SCHEDULE_NAME.match(value):
        raise ValueError(
            "must start with a letter or digit and hold at most 100 letters, digits, '_' or '-'"
        )
    return value


class ScheduleSpec(SpecModel):
    """A schedule: its trigger and what each tick creates (exactly one ``create_*``).

    ``create_job`` as the server keeps it: an inline job (the client reads a job file and
    uploads its local code first), or a registered component's reference
    (``name:version``, ``name@latest``, ``azureml:`` accepted) run as a command job."""

    name: Annotated[str, AfterValidator(_check_schedule_name)]
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    trigger: Trigger
    create_job: str | dict[str, Any] | None = None
    create_monitor: dict[str, Any] | None = None

    @property
    def action_kind(self) -> str:
        """What a tick creates: ``job`` or ``monitor`` (keys of the fire handlers)."""
        return "job" if self.create_job is not None else "monitor"

    @property
    def action_body(self) -> str | dict[str, Any]:
        body = self.create_job if self.create_job is not None else self.create_monitor
        assert body is not None  # _one_action
        return body


def aware(moment: datetime, zone: ZoneInfo) -> datetime:
    """A spec's moment as an aware datetime: a naive one is a wall time in ``zone``."""
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def check_schedule(spec: ScheduleSpec) -> None:
    """The rules that span fields, each reported at the field to change (one
    ``ValidationError``; the client turns its field into the file's line)."""
    given = [key for key in ("create_job", "create_monitor") if getattr(spec, key) is not None]
    if len(given) != 1:
        raise ValidationError(
            "a schedule needs exactly one of create_job or create_monitor"
            + (" (both are given)" if len(given) == 2 else ""),
            field=given[1] if len(given) == 2 else None,
        )
    trigger = spec.trigger
    zone = zone_for(trigger.time_zone)
    start, end = trigger.start_time, trigger.end_time
    for key, moment in (("start_time", start), ("end_time", end)):
        if moment is not None and not 1970 <= moment.year <= LAST_YEAR:
            raise ValidationError(f"give a year from 1970 to {LAST_YEAR}", field=f"trigger.{key}")
    if start and end and aware(end, zone) <= aware(start, zone):
        raise ValidationError("must come after start_time", field="trigger.end_time")
    if isinstance(trigger, RecurrenceTrigger) and trigger.schedule is not None:
        _check_pattern(trigger.frequency, trigger.schedule)


def _check_pattern(frequency: str, pattern: RecurrencePattern) -> None:
    if frequency in ("minute", "hour"):
        raise ValidationError(
            f"a {frequency} recurrence ticks every interval from start_time; a schedule "
            "applies to frequency day, week or month",
            field="trigger.schedule",
        )
    if pattern.week_days and frequency != "week":
        raise ValidationError("applies to frequency week only", field="trigger.schedule.week_days")
    if pattern.month_days and frequency != "month":
        raise ValidationError(
            "applies to frequency month only", field="trigger.schedule.month_days"
        )
