"""Table output: what a person reads; ``-o json`` stays exact."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from opsloop.cli.common import emit


class Timing(BaseModel):
    name: str
    duration_ms: float


def test_tables_round_floats_and_json_keeps_every_digit(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [Timing(name="a", duration_ms=26.452123456789), Timing(name="b", duration_ms=0.0)]
    emit(rows, "table", ["name", "duration_ms"])
    cells = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("│")
    }
    assert cells == {"a": "26.452", "b": "0"}
    emit(rows, "json", ["name", "duration_ms"])
    assert json.loads(capsys.readouterr().out)[0]["duration_ms"] == 26.452123456789
