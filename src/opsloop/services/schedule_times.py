"""When a schedule ticks: the first tick of a cron or recurrence trigger after a moment.

Cron expressions are read by cronsim, in the trigger's time zone. Recurrences are counted
here, from ``start_time``: every ``interval`` minutes or hours of elapsed time; or on the
days of every ``interval``-th day, week or month at the schedule's wall-clock times.

Across daylight saving changes, both kinds behave alike (cronsim's rule, which is
Debian cron's): a wall time the spring-forward gap skips (02:30 in Berlin on the last
Sunday of March) ticks once, at the first moment after the gap (03:00 CEST); a wall time
the fall-back hour repeats ticks once, at its first occurrence (02:30 CEST, not 02:30 CET).
A ``minute``/``hour`` recurrence, or a cron field with steps over the hours (``*/30 * * *
*``), counts elapsed time, so it ticks in both copies of the repeated hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim

from opsloop.specs.schedule import (
    WEEK_DAYS,
    CronTrigger,
    RecurrenceTrigger,
    aware,
    zone_for,
)

# A recurrence whose days never come (31 February every 12 months) gives up after this
# many periods; creating such a schedule is refused (``first_tick`` is None).
_MAX_PERIODS = 2000
# Counting the ticks missed during downtime stops here (a minute cron over a year).
MAX_MISSED_COUNT = 600_000

Trigger = CronTrigger | RecurrenceTrigger


def next_tick(trigger: Trigger, after: datetime) -> datetime | None:
    """The first tick strictly after ``after`` (an aware moment), not before
    ``start_time`` and not after ``end_time``; in UTC. None when no tick is left."""
    # Compared in UTC only: Python compares two times of one zone by their wall clocks,
    # which the repeated hour of a fall-back day makes ambiguous.
    zone = zone_for(trigger.time_zone)
    after = after.astimezone(UTC)
    start = aware(trigger.start_time, zone).astimezone(UTC) if trigger.start_time else None
    if start is not None and start > after:
        # A tick may fall on start_time itself: look from just before it.
        after = start - timedelta(microseconds=1)
    try:
        if isinstance(trigger, CronTrigger):
            found: datetime | None = _cron_after(trigger.expression, zone, after)
        else:
            found = _recurrence_after(trigger, zone, after)
    except (OverflowError, StopIteration):  # past the year 9999: no tick is left
        return None
    if found is None:
        return None
    found = found.astimezone(UTC)
    if trigger.end_time is not None and found > aware(trigger.end_time, zone).astimezone(UTC):
        return None
    return found


def latest_due(trigger: Trigger, due: datetime, now: datetime) -> tuple[datetime, int]:
    """The last tick at or before ``now``, from ``due`` (a tick at or before ``now``), and
    how many ticks between them were skipped: after downtime a schedule fires once, for
    the latest tick it missed."""
    latest, skipped = due, 0
    while skipped < MAX_MISSED_COUNT:
        following = next_tick(trigger, latest)
        if following is None or following > now:
            break
        latest, skipped = following, skipped + 1
    return latest, skipped


def upcoming(trigger: Trigger, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` ticks after ``after`` (fewer when the trigger ends)."""
    ticks: list[datetime] = []
    moment: datetime | None = after
    while moment is not None and len(ticks) < count:
        moment = next_tick(trigger, moment)
        if moment is not None:
            ticks.append(moment)
    return ticks


def _cron_after(expression: str, zone: ZoneInfo, after: datetime) -> datetime:
    return next(CronSim(expression, after.astimezone(zone)))


def _recurrence_after(
    trigger: RecurrenceTrigger, zone: ZoneInfo, after: datetime
) -> datetime | None:
    # The anchor is always set by the time a schedule is stored (its creation time when
    # the spec gives none); a spec checked before storing counts from ``after``.
    anchor = aware(trigger.start_time, zone) if trigger.start_time else after
    if trigger.frequency in ("minute", "hour"):
        step = timedelta(
            minutes=trigger.interval if trigger.frequency == "minute" else 60 * trigger.interval
        )
        # In UTC: Python subtracts and adds two times of one zone by their wall clocks.
        start, moment = anchor.astimezone(UTC), after.astimezone(UTC)
        if moment < start:
            return start
        return start + ((moment - start) // step + 1) * step
    local_anchor = anchor.astimezone(zone)
    pattern = trigger.schedule
    hours = sorted(set(pattern.hours if pattern and pattern.hours else [local_anchor.hour]))
    minutes = sorted(set(pattern.minutes if pattern and pattern.minutes else [local_anchor.minute]))
    first_day = max(local_anchor.date(), after.astimezone(zone).date() - timedelta(days=1))
    for day in _days(trigger, local_anchor.date(), first_day):
        for hour in hours:
            for minute in minutes:
                moment = _wall_time(day, hour, minute, zone)
                if moment > after and moment >= anchor:
                    return moment
    return None


def _days(trigger: RecurrenceTrigger, anchor: date, first: date) -> Iterator[date]:
    """The days, from ``first`` on, on which a day/week/month recurrence ticks."""
    pattern = trigger.schedule
    interval = trigger.interval
    if trigger.frequency == "day":
        offset = (first - anchor).days % interval
        day = first + timedelta(days=(interval - offset) % interval)
        for _ in range(_MAX_PERIODS):
            yield day
            day += timedelta(days=interval)
    elif trigger.frequency == "week":
        names = pattern.week_days if pattern and pattern.week_days else None
        weekdays = {WEEK_DAYS.index(n) for n in names} if names else {anchor.weekday()}
        anchor_monday = anchor - timedelta(days=anchor.weekday())
        day = first
        for _ in range(_MAX_PERIODS * 7):
            weeks = (day - anchor_monday).days // 7
            if weeks % interval == 0 and day.weekday() in weekdays:
                yield day
            day += timedelta(days=1)
    else:
        month_days = sorted(
            set(pattern.month_days if pattern and pattern.month_days else [anchor.day])
        )
        year, month = first.year, first.month
        for _ in range(_MAX_PERIODS):
            if ((year - anchor.year) * 12 + month - anchor.month) % interval == 0:
                for number in month_days:
                    found = _date_or_none(year, month, number)
                    if found is not None and found >= first:
                        yield found
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # 31 April: that month has no such day, and skips it
        return None


def _wall_time(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The moment a wall-clock time names in ``zone``: the first occurrence of a repeated
    one; for one that the spring-forward gap skips, the first moment after the gap."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return moment
    # In the gap: fold=0 reads it with the offset before the change; the gap ends at the
    # change itself, which lies between this reading and the wall time read after it.
    before = moment
    after = local.replace(fold=1).astimezone(UTC)
    low, high = min(before, after), max(before, after)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def describe(trigger: Trigger) -> str:
    """The trigger in words, for tables: ``At 02:30 every day (Europe/Berlin)``."""
    zone = f" ({trigger.time_zone})"
    if isinstance(trigger, CronTrigger):
        return f"{CronSim(trigger.expression, datetime(2000, 1, 1)).explain()}{zone}"
    unit = (
        trigger.frequency if trigger.interval == 1 else f"{trigger.interval} {trigger.frequency}s"
    )
    text = f"every {unit}"
    pattern = trigger.schedule
    if pattern is not None:
        if pattern.week_days:
            text += " on " + ", ".join(day.capitalize() for day in pattern.week_days)
        if pattern.month_days:
            text += " on day " + ", ".join(str(day) for day in pattern.month_days)
        if pattern.hours or pattern.minutes:
            start = trigger.start_time
            hours = pattern.hours or ([start.hour] if start else [])
            minutes = pattern.minutes or ([start.minute] if start else [])
            text += " at " + ", ".join(f"{h:02d}:{m:02d}" for h in hours for m in minutes)
    return text + zone
