"""Next ticks of cron and recurrence triggers, each expectation worked out by hand from a
calendar: time zones, Windows zone names, start and end, and the two DST changes of 2026
in Berlin (spring forward 29 March 02:00 CET -> 03:00 CEST; fall back 25 October 03:00
CEST -> 02:00 CET)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsloop.services.schedule_times import describe, latest_due, next_tick, upcoming
from opsloop.specs.loader import validate_spec
from opsloop.specs.schedule import Trigger


def trigger(**fields: Any) -> Any:
    return validate_spec(Trigger, fields)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# ---- cron -----------------------------------------------------------------------------
def test_cron_next_tick_is_strictly_after() -> None:
    hourly = trigger(type="cron", expression="0 * * * *")
    assert next_tick(hourly, utc(2026, 1, 5, 10, 0)) == utc(2026, 1, 5, 11, 0)
    assert next_tick(hourly, utc(2026, 1, 5, 10, 59, 59)) == utc(2026, 1, 5, 11, 0)


def test_cron_weekdays_at_nine() -> None:
    weekdays = trigger(type="cron", expression="0 9 * * 1-5")
    # Friday 9 January 2026 at 10:00 -> Monday 12 January at 09:00.
    assert next_tick(weekdays, utc(2026, 1, 9, 10, 0)) == utc(2026, 1, 12, 9, 0)


def test_cron_reads_the_expression_in_its_time_zone() -> None:
    # 09:00 in New York in January is 14:00 UTC (EST, UTC-5); in July 13:00 (EDT, UTC-4).
    ny = trigger(type="cron", expression="0 9 * * *", time_zone="America/New_York")
    assert next_tick(ny, utc(2026, 1, 5, 12, 0)) == utc(2026, 1, 5, 14, 0)
    assert next_tick(ny, utc(2026, 7, 6, 12, 0)) == utc(2026, 7, 6, 13, 0)


def test_windows_zone_names_map_to_iana() -> None:
    # Azure ML's "Pacific Standard Time" is America/Los_Angeles: 10:00 PST = 18:00 UTC.
    pacific = trigger(type="cron", expression="0 10 * * *", time_zone="Pacific Standard Time")
    assert next_tick(pacific, utc(2026, 2, 2, 0, 0)) == utc(2026, 2, 2, 18, 0)


def test_start_time_counts_as_a_possible_tick_and_end_time_stops() -> None:
    daily = trigger(
        type="cron",
        expression="0 10 * * *",
        start_time="2026-03-01T10:00:00",
        end_time="2026-03-03T09:00:00",
    )
    assert upcoming(daily, utc(2026, 1, 1), 10) == [utc(2026, 3, 1, 10), utc(2026, 3, 2, 10)]


def test_naive_start_time_is_a_wall_time_in_the_zone() -> None:
    tokyo = trigger(
        type="cron", expression="0 * * * *", start_time="2026-05-01T09:00:00",
        time_zone="Asia/Tokyo",
    )  # fmt: skip
    # 09:00 in Tokyo (UTC+9) is 00:00 UTC.
    assert next_tick(tokyo, utc(2026, 1, 1)) == utc(2026, 5, 1, 0, 0)


def test_cron_across_spring_forward_ticks_once_after_the_gap() -> None:
    berlin = trigger(type="cron", expression="30 2 * * *", time_zone="Europe/Berlin")
    ticks = upcoming(berlin, utc(2026, 3, 27, 12), 3)
    assert ticks == [
        utc(2026, 3, 28, 1, 30),  # 02:30 CET
        utc(2026, 3, 29, 1, 0),  # 02:30 does not exist: 03:00 CEST, the end of the gap
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
    ]


def test_cron_across_fall_back_ticks_once_at_the_first_occurrence() -> None:
    berlin = trigger(type="cron", expression="30 2 * * *", time_zone="Europe/Berlin")
    ticks = upcoming(berlin, utc(2026, 10, 24, 12), 3)
    assert ticks == [
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST; the repeated 02:30 CET does not tick
        utc(2026, 10, 26, 1, 30),  # 02:30 CET
        utc(2026, 10, 27, 1, 30),
    ]


# ---- recurrence -----------------------------------------------------------------------
def test_minute_recurrence_counts_from_start_time() -> None:
    every_15 = trigger(
        type="recurrence", frequency="minute", interval=15, start_time="2026-01-01T00:05:00Z"
    )
    assert next_tick(every_15, utc(2025, 12, 1)) == utc(2026, 1, 1, 0, 5)
    assert next_tick(every_15, utc(2026, 1, 1, 0, 5)) == utc(2026, 1, 1, 0, 20)
    assert next_tick(every_15, utc(2026, 1, 1, 1, 0)) == utc(2026, 1, 1, 1, 5)


def test_hour_recurrence_is_elapsed_time_across_dst() -> None:
    # Every 2 hours from 00:00 CET on the spring-forward day: 00:00, 01:00... in UTC terms
    # 23:00Z, 01:00Z, 03:00Z, whatever the wall clock says.
    every_2h = trigger(
        type="recurrence", frequency="hour", interval=2, start_time="2026-03-29T00:00:00",
        time_zone="Europe/Berlin",
    )  # fmt: skip
    assert upcoming(every_2h, utc(2026, 3, 28), 3) == [
        utc(2026, 3, 28, 23),
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 3),
    ]


def test_day_recurrence_with_hours_and_minutes() -> None:
    # Azure ML's example: every day at 04:00, 04:30, 05:00, 05:30 ... in Pacific time
    # (UTC-8 in January), from 10 July 2022 10:00.
    daily = trigger(
        type="recurrence", frequency="day", interval=1,
        schedule={"hours": [4, 5], "minutes": [0, 30]},
        start_time="2026-01-10T10:00:00", time_zone="Pacific Standard Time",
    )  # fmt: skip
    assert upcoming(daily, utc(2026, 1, 1), 5) == [
        utc(2026, 1, 11, 12, 0),  # 10 January's 04:00-05:30 lie before start_time
        utc(2026, 1, 11, 12, 30),
        utc(2026, 1, 11, 13, 0),
        utc(2026, 1, 11, 13, 30),
        utc(2026, 1, 12, 12, 0),
    ]


def test_every_third_day_at_start_times_clock() -> None:
    third = trigger(
        type="recurrence", frequency="day", interval=3, start_time="2026-01-01T06:15:00Z"
    )
    assert upcoming(third, utc(2026, 1, 1, 7), 3) == [
        utc(2026, 1, 4, 6, 15),
        utc(2026, 1, 7, 6, 15),
        utc(2026, 1, 10, 6, 15),
    ]


def test_every_other_week_on_named_days() -> None:
    # Start Wednesday 7 January 2026: its week (Mon 5 Jan) ticks, the next one does not.
    fortnightly = trigger(
        type="recurrence", frequency="week", interval=2,
        schedule={"week_days": ["Monday", "friday"], "hours": [8], "minutes": [0]},
        start_time="2026-01-07T00:00:00Z",
    )  # fmt: skip
    assert upcoming(fortnightly, utc(2026, 1, 1), 4) == [
        utc(2026, 1, 9, 8),  # Friday of the start week (Monday 5 Jan is before the start)
        utc(2026, 1, 19, 8),  # Monday two weeks on
        utc(2026, 1, 23, 8),
        utc(2026, 2, 2, 8),
    ]


def test_month_recurrence_skips_months_without_the_day() -> None:
    monthly = trigger(
        type="recurrence", frequency="month", interval=1,
        schedule={"month_days": [30], "hours": [12], "minutes": [0]},
        start_time="2026-01-01T00:00:00Z",
    )  # fmt: skip
    assert upcoming(monthly, utc(2026, 1, 1), 3) == [
        utc(2026, 1, 30, 12),
        utc(2026, 3, 30, 12),  # February 2026 has no 30th
        utc(2026, 4, 30, 12),
    ]


def test_recurrence_across_spring_forward_and_fall_back_in_berlin() -> None:
    daily = trigger(
        type="recurrence", frequency="day", interval=1,
        schedule={"hours": [2], "minutes": [30]},
        start_time="2026-03-01T00:00:00", time_zone="Europe/Berlin",
    )  # fmt: skip
    assert upcoming(daily, utc(2026, 3, 28, 12), 2) == [
        utc(2026, 3, 29, 1, 0),  # the gap: 03:00 CEST, as cron does
        utc(2026, 3, 30, 0, 30),
    ]
    assert upcoming(daily, utc(2026, 10, 24, 12), 2) == [
        utc(2026, 10, 25, 0, 30),  # the first 02:30 (CEST), once
        utc(2026, 10, 26, 1, 30),
    ]


def test_end_time_ends_a_recurrence() -> None:
    short = trigger(
        type="recurrence", frequency="minute", interval=10,
        start_time="2026-01-01T00:00:00Z", end_time="2026-01-01T00:25:00Z",
    )  # fmt: skip
    assert upcoming(short, utc(2025, 1, 1), 10) == [
        utc(2026, 1, 1, 0, 0),
        utc(2026, 1, 1, 0, 10),
        utc(2026, 1, 1, 0, 20),
    ]
    assert next_tick(short, utc(2026, 1, 1, 0, 20)) is None


def test_after_downtime_the_latest_missed_tick_is_the_one_fired() -> None:
    hourly = trigger(type="cron", expression="0 * * * *")
    # Due at 01:00, back at 05:30: 01:00..05:00 missed; the fire is for 05:00, four skipped.
    assert latest_due(hourly, utc(2026, 1, 1, 1), utc(2026, 1, 1, 5, 30)) == (
        utc(2026, 1, 1, 5),
        4,
    )
    assert latest_due(hourly, utc(2026, 1, 1, 1), utc(2026, 1, 1, 1, 0, 1)) == (
        utc(2026, 1, 1, 1),
        0,
    )


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "W. Europe Standard Time"])
def test_every_minute_is_every_minute_across_fall_back(zone: str) -> None:
    every_minute = trigger(type="cron", expression="* * * * *", time_zone=zone)
    ticks = upcoming(every_minute, utc(2026, 10, 24, 23, 59), 180)  # 01:00Z: the change
    assert ticks[0] == utc(2026, 10, 25, 0, 0) and len(ticks) == 180
    assert all(b - a == timedelta(minutes=1) for a, b in itertools.pairwise(ticks))


def test_triggers_in_words() -> None:
    assert describe(trigger(type="cron", expression="30 2 * * *", time_zone="Europe/Berlin")) == (
        "At 02:30 every day (Europe/Berlin)"
    )
    fortnightly = trigger(
        type="recurrence", frequency="week", interval=2,
        schedule={"week_days": ["monday", "friday"], "hours": [8], "minutes": [0, 30]},
    )  # fmt: skip
    assert describe(fortnightly) == "every 2 weeks on Monday, Friday at 08:00, 08:30 (UTC)"
    assert describe(trigger(type="recurrence", frequency="hour", interval=1)) == "every hour (UTC)"


def test_a_recurrence_that_runs_past_the_calendar_has_no_tick() -> None:
    far = trigger(
        type="recurrence", frequency="day", interval=1000, start_time="2999-01-01T00:00:00Z"
    )
    assert next_tick(far, utc(2999, 1, 1, 1)) is not None  # 1000 days on
    assert upcoming(far, utc(2999, 1, 1, 1), 5000)[-1].year < 10000
