"""Validating a job without running it, embedded, with real runs to predict reuse from:
the plan names what each step would reuse or why it runs, a bad reference gets the error
submission gives (file, line, field), and a validation writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import write
from opsloop import Client, ValidationError
from opsloop.store.tables import AuditRow, JobRow, OutboxEventRow

PIPELINE = """\
type: pipeline
experiment_name: plans
inputs:
  rows:
    type: uri_folder
    path: ./data
jobs:
  produce:
    code: ./src
    command: python count.py ${{inputs.rows}} ${{outputs.out}}
    inputs:
      rows: ${{parent.inputs.rows}}
    outputs:
      out:
        type: uri_folder
  consume:
    command: python -c "import pathlib,sys; print(pathlib.Path(sys.argv[1], 'n.txt').read_text())" ${{inputs.counted}}
    inputs:
      counted: ${{parent.jobs.produce.outputs.out}}
"""
COUNT = """\
import pathlib, sys
lines = pathlib.Path(sys.argv[1], "rows.csv").read_text().splitlines()
pathlib.Path(sys.argv[2], "n.txt").write_text(str(len(lines)))
"""


def _project(tmp_path: Path) -> Path:
    write(tmp_path / "src" / "count.py", COUNT)
    write(tmp_path / "data" / "rows.csv", "a\nb\n")
    return write(tmp_path / "pipeline.yml", PIPELINE)


def _reuse(client: Client, spec: Path, *overrides: str) -> dict[str, tuple[str, str]]:
    plan = client.jobs.validate(file=spec, overrides=list(overrides))
    return {step.name: (step.reuse, step.reason) for step in plan.steps}


def _stored(client: Client) -> tuple[int, int, int, list[Path]]:
    """Job rows, outbox events, audit records and stored files: what a call could write."""
    platform = client._transport.platform
    with platform.database.transaction() as session:
        counts = [
            session.scalar(select(func.count()).select_from(t)) or 0
            for t in (JobRow, OutboxEventRow, AuditRow)
        ]
    root = platform.artifacts.local_root()
    return counts[0], counts[1], counts[2], sorted(root.rglob("*")) if root else []


def test_a_step_is_predicted_reused_after_a_run_and_to_run_once_its_data_changed(
    client: Client, tmp_path: Path
) -> None:
    spec = _project(tmp_path)
    assert _reuse(client, spec) == {
        "produce": ("runs", "no earlier run with these inputs"),
        "consume": ("runs", "an upstream step runs (produce)"),
    }
    first = client.jobs.wait(client.jobs.create(file=spec).name, timeout=120)
    assert first.status == "Completed", first.error

    before = _stored(client)
    assert _reuse(client, spec) == {
        "produce": ("reused", f"reused (job {first.name} step produce)"),
        "consume": ("reused", f"reused (job {first.name} step consume)"),
    }
    assert _reuse(client, spec, "settings.force_rerun=true") == {
        "produce": ("runs", "force_rerun"),
        "consume": ("runs", "force_rerun"),
    }
    write(tmp_path / "data" / "rows.csv", "a\nb\nc\n")  # new data: a new hash, not uploaded
    changed = client.jobs.validate(file=spec)
    assert [(s.name, s.reuse, s.reason) for s in changed.steps] == [
        ("produce", "runs", "no earlier run with these inputs"),
        ("consume", "runs", "an upstream step runs (produce)"),
    ]
    assert _stored(client) == before  # no job, event, audit record or upload

    produce = changed.steps[0]
    assert produce.component == "(inline command)" and produce.compute == "local"
    assert produce.inputs["rows"].kind == "asset" and produce.inputs["rows"].url
    assert changed.steps[1].inputs["counted"].describe() == "produce.outputs.out"
    assert changed.steps[1].depends_on == ["produce"]

    # The prediction is the runner's: submitted, produce runs again.
    second = client.jobs.wait(client.jobs.create(file=spec).name, timeout=120)
    assert second.status == "Completed", second.error
    assert second.steps[0].reused_from is None


def test_a_step_that_is_not_deterministic_is_predicted_to_run(
    client: Client, tmp_path: Path
) -> None:
    write(tmp_path / "src" / "count.py", COUNT)
    write(tmp_path / "data" / "rows.csv", "a\n")
    clock = PIPELINE.replace(
        "  consume:",
        "  clock:\n    component:\n      name: clock\n      version: '2'\n      type: command\n"
        "      command: date +%s%N\n      is_deterministic: false\n  consume:",
    )
    spec = write(tmp_path / "pipeline.yml", clock)
    reasons = _reuse(client, spec)
    assert reasons["clock"] == ("runs", "is_deterministic: false")
    plan = client.jobs.validate(file=spec)
    assert {s.name: s.component for s in plan.steps}["clock"] == "clock:2"


def test_a_registered_component_is_named_with_its_version(client: Client, tmp_path: Path) -> None:
    client.components.create(
        name="echo",
        version="3",
        type="command",
        command="echo ${{inputs.word}}",
        inputs={"word": {"type": "string"}},
    )
    spec = write(
        tmp_path / "job.yml",
        "component: azureml:echo@latest\ninputs:\n  word: hi\n",
    )
    plan = client.jobs.validate(file=spec)
    assert plan.type == "command" and len(plan.steps) == 1
    step = plan.steps[0]
    assert step.component == "echo:3" and step.inputs["word"].value == "hi"
    assert step.reuse == "runs" and "command job always runs" in step.reason
    assert client.jobs.list() == []


@pytest.mark.parametrize(
    ("edit", "field", "line", "reason"),
    [
        ("    component: azureml:nope:1\n", "jobs.train.component", 5, "nope"),
        ("    command: echo ${{secrets.NOPE}}\n", "jobs.train.command", 5, "NOPE"),
        (
            "    command: echo ${{inputs.d}}\n    inputs:\n      d:\n        type: uri_folder\n"
            "        path: azureml:iris:9\n",
            "jobs.train.inputs.d",
            7,
            "iris",
        ),
    ],
)
def test_an_unknown_reference_names_the_file_line_and_field(
    client: Client, tmp_path: Path, edit: str, field: str, line: int, reason: str
) -> None:
    spec = write(
        tmp_path / "bad.yml", "type: pipeline\njobs:\n  train:\n    type: command\n" + edit
    )
    with pytest.raises(ValidationError) as raised:
        client.jobs.validate(file=spec)
    error = raised.value
    assert (error.field, error.file, error.line) == (field, str(spec), line), str(error)
    assert reason in str(error)


def test_an_input_that_cannot_be_read_now_is_predicted_to_run(
    client: Client, tmp_path: Path
) -> None:
    missing = (tmp_path / "gone").as_uri()
    spec = write(
        tmp_path / "p.yml",
        "type: pipeline\njobs:\n  read:\n    command: ls ${{inputs.d}}\n    inputs:\n      d:\n"
        f"        type: uri_folder\n        path: {missing}\n",
    )
    assert _reuse(client, spec)["read"] == ("runs", f"input d cannot be read now: {missing}")
