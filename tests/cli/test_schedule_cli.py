"""`opsloop schedule` as a user runs it (embedded): help, create from a file that names a
job file, list, show, disable, enable, delete; and a bad spec's one-line error."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import opsloop, write

SCHEDULE = """\
name: hourly
trigger:
  type: cron
  expression: "15 * * * *"
  time_zone: Pacific Standard Time
create_job: jobs/job.yml
"""


def test_schedule_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    help_text = opsloop("schedule", "--help", home=home).stdout
    for verb in ("create", "list", "show", "enable", "disable", "delete"):
        assert verb in help_text
        assert "Example: opsloop schedule" in opsloop("schedule", verb, "--help", home=home).stdout
    opsloop("workspace", "create", "--name", "dev", home=home)
    write(tmp_path / "jobs" / "job.yml", "type: command\ncommand: python -c pass\n")
    spec = write(tmp_path / "hourly.yml", SCHEDULE)
    answer = opsloop("schedule", "create", "-f", str(spec), "-o", "json", home=home)
    assert "fire while `opsloop worker`" in answer.stderr  # embedded: nothing else fires them
    created = json.loads(answer.stdout)
    assert created["trigger_text"] == "At minute 15 of every hour (Pacific Standard Time)"
    assert created["action"] == {"type": "command", "command": "python -c pass"}
    assert created["next_fire_at"].endswith(":15:00Z")
    listed = opsloop("schedule", "list", home=home).stdout
    assert "hourly" in listed and "True" in listed
    shown = json.loads(opsloop("schedule", "show", "hourly", "-o", "json", home=home).stdout)
    assert len(shown["upcoming"]) == 5 and shown["fires"] == []
    assert shown["upcoming"][0] in (created["next_fire_at"], shown["next_fire_at"])
    disabled = json.loads(opsloop("schedule", "disable", "hourly", "-o", "json", home=home).stdout)
    assert disabled["enabled"] is False and disabled["next_fire_at"] is None
    enabled = json.loads(opsloop("schedule", "enable", "hourly", "-o", "json", home=home).stdout)
    # The next tick from now: the created one, or the hour after when that passed meanwhile.
    assert enabled["next_fire_at"] in (created["next_fire_at"], shown["upcoming"][1])
    assert (
        "Deleted schedule hourly" in opsloop("schedule", "delete", "hourly", "-y", home=home).stdout
    )
    assert "hourly" not in opsloop("schedule", "list", home=home).stdout


def test_a_bad_spec_gets_one_line_naming_file_line_and_field(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    spec = write(tmp_path / "bad.yml", SCHEDULE.replace("15 * * * *", "15 * * *"))
    result = opsloop("schedule", "create", "-f", str(spec), home=home, check=False)
    assert result.returncode != 0
    assert f"{spec}:4: trigger.expression: a cron expression has five fields" in result.stderr
    assert "Traceback" not in result.stderr
