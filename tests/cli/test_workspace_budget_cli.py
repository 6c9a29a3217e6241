"""`opsloop workspace budget|cost|activity|stale-after|check` as a user runs them
(embedded): help with examples, a budget from options, the cost table, and bad options
named in one line."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import opsloop


def test_budget_cost_activity_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for command in (["budget", "set"], ["budget", "show"], ["cost"], ["activity"],
                    ["stale-after"], ["check"]):  # fmt: skip
        assert (
            "Example: opsloop workspace"
            in opsloop("workspace", *command, "--help", home=home).stdout
        )
    opsloop("workspace", "create", "--name", "prod", "--kind", "production", home=home)
    budget = json.loads(
        opsloop(
            "workspace", "budget", "set", "-w", "prod", "--monthly", "500", "--currency", "USD",
            "--thresholds", "50,90", "--rate", "compute.local=0.10/h", "--rate",
            "endpoint.instance=0.25", "-o", "json", home=home,
        ).stdout
    )  # fmt: skip
    assert budget["thresholds"] == [50, 90]
    assert budget["rates"]["endpoint.instance"] == 0.25
    table = opsloop("workspace", "cost", "-w", "prod", "--month", "2026-12", home=home).stdout
    assert "2026-12 total 0.0 USD (0.0% of 500.0)" in table
    activity = json.loads(
        opsloop("workspace", "activity", "-w", "prod", "-o", "json", home=home).stdout
    )
    assert activity["kind"] == "production" and activity["stale"] is False
    assert "Nothing new to raise" in opsloop("workspace", "check", "-w", "prod", home=home).stdout


def test_bad_options_are_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "prod", home=home)
    bad_rate = opsloop(
        "workspace", "budget", "set", "-w", "prod", "--monthly", "5", "--rate", "compute=cheap",
        home=home, check=False,
    )  # fmt: skip
    assert bad_rate.returncode != 0 and "rate" in bad_rate.stderr
    assert "Traceback" not in bad_rate.stderr
    bad_month = opsloop(
        "workspace", "cost", "-w", "prod", "--month", "12-2026", home=home, check=False
    )
    assert bad_month.returncode != 0 and "month" in bad_month.stderr
