"""Table output: what a person reads; ``-o json`` stays exact."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import BaseModel

from opsloop.cli.common import emit


def _first_two_cells(table: str) -> dict[str, str]:
    """{first cell: second cell} for each row of a printed rich table."""
    return {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in table.splitlines()
        if line.startswith("│")
    }


class Timing(BaseModel):
    name: str
    duration_ms: float


def test_tables_round_floats_and_json_keeps_every_digit(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [Timing(name="a", duration_ms=26.452123456789), Timing(name="b", duration_ms=0.0)]
    emit(rows, "table", ["name", "duration_ms"])
    cells = _first_two_cells(capsys.readouterr().out)
    assert cells == {"a": "26.452", "b": "0"}
    emit(rows, "json", ["name", "duration_ms"])
    assert json.loads(capsys.readouterr().out)[0]["duration_ms"] == 26.452123456789


class Event(BaseModel):
    name: str
    at: datetime


def test_tables_show_times_to_the_second_in_utc(capsys: pytest.CaptureFixture[str]) -> None:
    in_tokyo = timezone(timedelta(hours=9))
    rows = [
        Event(name="zoned", at=datetime(2026, 11, 22, 16, 55, 25, 781942, tzinfo=in_tokyo)),
        Event(name="naive", at=datetime(2026, 11, 22, 7, 55, 25, 781942)),
    ]
    emit(rows, "table", ["name", "at"])
    cells = _first_two_cells(capsys.readouterr().out)
    assert cells == {"zoned": "2026-11-22 07:55:25Z", "naive": "2026-11-22 07:55:25Z"}
    emit(rows, "json", ["name", "at"])
    assert json.loads(capsys.readouterr().out)[0]["at"] == "2026-11-22T16:55:25.781942+09:00"
