"""Bad schedule specs: one error naming the file, the line and the field, whether pydantic,
a cross-field rule, the job file or the server finds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from opsloop import Client
from opsloop.errors import ValidationError

HEAD = "name: nightly\n"
JOB = "create_job:\n  type: command\n  command: python -c pass\n"


def _error(client: Client, tmp_path: Path, text: str) -> ValidationError:
    write(tmp_path / "job.yml", "type: command\ncommand: python -c pass\n")
    path = write(tmp_path / "schedule.yml", text)
    with pytest.raises(ValidationError) as caught:
        client.schedules.create(file=path)
    assert caught.value.file == str(path) or caught.value.file == str(tmp_path / "bad-job.yml")
    return caught.value


@pytest.mark.parametrize(
    ("text", "field", "line", "words"),
    [
        (
            HEAD + "trigger:\n  type: cron\n  expression: '61 * * * *'\n" + JOB,
            "trigger.expression",
            4,
            "invalid cron expression",
        ),
        (
            HEAD + "trigger:\n  type: cron\n  expression: '0 3 * *'\n" + JOB,
            "trigger.expression",
            4,
            "five fields",
        ),
        (
            HEAD + "trigger:\n  type: cron\n  expression: '0 3 * * *'\n"
            "  time_zone: Mars/Olympus\n" + JOB,
            "trigger.time_zone",
            5,
            "unknown time zone",
        ),
        (
            HEAD + "trigger:\n  type: recurrence\n  frequency: fortnight\n  interval: 1\n" + JOB,
            "trigger.frequency",
            4,
            "'minute', 'hour', 'day', 'week' or 'month'",
        ),
        (
            HEAD + "trigger:\n  type: recurrence\n  frequency: day\n  interval: 0\n" + JOB,
            "trigger.interval",
            5,
            "greater than or equal to 1",
        ),
        (
            HEAD + "trigger:\n  type: recurrence\n  frequency: day\n  interval: 1\n"
            "  schedule:\n    week_days: [monday]\n" + JOB,
            "trigger.schedule.week_days",
            7,
            "frequency week only",
        ),
        (
            HEAD + "trigger:\n  type: recurrence\n  frequency: week\n  interval: 1\n"
            "  schedule:\n    week_days: [funday]\n" + JOB,
            "trigger.schedule.week_days",
            7,
            "'funday' is no week day",
        ),
        (
            HEAD + "trigger:\n  type: recurrence\n  frequency: hour\n  interval: 1\n"
            "  schedule:\n    minutes: [5]\n" + JOB,
            "trigger.schedule",
            6,
            "applies to frequency day, week or month",
        ),
        (
            HEAD + "trigger:\n  type: cron\n  expression: '0 3 * * *'\n"
            "  start_time: '2026-02-01T00:00:00'\n  end_time: '2026-01-01T00:00:00'\n" + JOB,
            "trigger.end_time",
            6,
            "must come after start_time",
        ),
        (
            HEAD + "trigger:\n  type: cron\n  expression: '0 3 * * *'\n"
            "  start_time: '9999-12-31T00:00:00'\n" + JOB,
            "trigger.start_time",
            5,
            "year from 1970 to 2999",
        ),
        (
            HEAD + "trigger:\n  type: cron\n  expression: '0 3 * * *'\n"
            "  end_time: '2020-01-01T00:00:00'\n" + JOB,
            "trigger.end_time",
            5,
            "no tick left",
        ),
        (
            HEAD + "trigger:\n  type: cron\n  expresion: '0 3 * * *'\n" + JOB,
            "trigger.expresion",
            4,
            "unknown key",
        ),
        (
            HEAD + "trigger:\n  expression: '0 3 * * *'\n" + JOB,
            "trigger.type",
            2,
            "required key is missing",
        ),
        (
            HEAD + "trigger: {type: cron, expression: '0 3 * * *'}\n",
            None,
            1,
            "exactly one of create_job or create_monitor",
        ),
        (
            HEAD
            + "trigger: {type: cron, expression: '0 3 * * *'}\n"
            + JOB
            + "create_monitor: {}\n",
            "create_monitor",
            6,
            "both are given",
        ),
        (
            HEAD + "trigger: {type: cron, expression: '0 3 * * *'}\ncreate_job: ./missing.yml\n",
            "create_job",
            3,
            "does not exist",
        ),
        (
            HEAD + "trigger: {type: cron, expression: '0 3 * * *'}\n"
            "create_job:\n  type: command\n  command: python -c pass\n  enviroment: x\n",
            "create_job.enviroment",
            6,
            "unknown key",
        ),
        (
            HEAD + "trigger: {type: cron, expression: '0 3 * * *'}\ncreate_job: not a reference\n",
            "create_job",
            3,
            "neither a job file nor a component reference",
        ),
        (
            "name: 'bad name!'\ntrigger: {type: cron, expression: '0 3 * * *'}\n" + JOB,
            "name",
            1,
            "at most 100 letters",
        ),
    ],
)
def test_bad_specs_name_file_line_and_field(
    client: Client, tmp_path: Path, text: str, field: str | None, line: int | None, words: str
) -> None:
    error = _error(client, tmp_path, text)
    assert error.field == field, str(error)
    assert error.line == line, str(error)
    assert words in error.reason, str(error)
    assert client.schedules.list() == []


def test_an_error_in_the_job_file_names_that_file(client: Client, tmp_path: Path) -> None:
    write(tmp_path / "bad-job.yml", "type: command\ncomand: python -c pass\n")
    text = HEAD + "trigger: {type: cron, expression: '0 3 * * *'}\ncreate_job: ./bad-job.yml\n"
    error = _error(client, tmp_path, text)
    assert error.file == str(tmp_path / "bad-job.yml")
    assert (error.line, error.field) == (2, "comand")


def test_azure_ml_job_file_with_overrides(client: Client, tmp_path: Path) -> None:
    write(tmp_path / "job.yml", "type: command\ncommand: echo ${{inputs.x}}\ninputs:\n  x: 1\n")
    text = (
        HEAD + "trigger: {type: cron, expression: '0 3 * * *'}\n"
        "create_job:\n  job: ./job.yml\n  inputs:\n    x: 2\n  tags: {by: schedule}\n"
    )
    schedule = client.schedules.create(file=write(tmp_path / "s.yml", text))
    assert schedule.action["command"] == "echo ${{inputs.x}}"
    assert schedule.action["inputs"] == {"x": 2} and schedule.action["tags"] == {"by": "schedule"}
